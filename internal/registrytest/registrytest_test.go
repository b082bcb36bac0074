package registrytest

import (
	"net/http"
	"testing"
)

func TestDockerAndFaultProxy(t *testing.T) {
	reg := Start(t, Config{})
	get := func(c *http.Client, url string, login bool) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if login {
			req.SetBasicAuth(reg.User, reg.Password)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	mark := reg.Mark()
	if s := get(reg.Client(), reg.URL("/v2/"), false); s != http.StatusUnauthorized {
		t.Errorf("anonymous /v2/: %d, want 401", s)
	}
	if s := get(reg.Client(), reg.URL("/v2/"), true); s != http.StatusOK {
		t.Errorf("/v2/ with the password: %d, want 200", s)
	}
	if es := reg.Requests(mark); len(es) != 2 || es[0].Status != 401 || es[1].Status != 200 {
		t.Errorf("access log: %v, want the two requests", es)
	}

	px := NewFaultProxy(t, reg)
	px.Add(&Fault{Times: 2, Status: http.StatusServiceUnavailable})
	for i, want := range []int{503, 503, 200} {
		if s := get(reg.Client(), "https://"+px.Host+"/v2/", true); s != want {
			t.Errorf("request %d through the proxy: %d, want %d", i, s, want)
		}
	}
	if n := px.Count("503"); n != 2 {
		t.Errorf("proxy log %v: want two 503s", px.Log())
	}

	reg.Kill()
	if _, err := reg.Client().Get(reg.URL("/v2/")); err == nil {
		t.Error("the registry answers after Kill")
	}
	reg.Restart()
	if s := get(reg.Client(), reg.URL("/v2/"), true); s != http.StatusOK {
		t.Errorf("after Restart: %d, want 200", s)
	}
}
