package dockerregistry

import (
	"github.com/minimage/minimage/image/registrytest"
	"net/http"
	"testing"
)

func TestDockerAndProxy(t *testing.T) {
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

	px := reg.Proxy(t)
	px.Fail(registrytest.Fault{Times: 2, Status: http.StatusServiceUnavailable})
	for i, want := range []int{503, 503, 200} {
		if s := get(reg.Client(), px.URL()+"/v2/", true); s != want {
			t.Errorf("request %d through the proxy: %d, want %d", i, s, want)
		}
	}
	if log := px.Log(); len(log) != 3 || !log[1].Fault || log[2].Fault {
		t.Errorf("proxy log %+v: want two faults, then a request passed on", log)
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
