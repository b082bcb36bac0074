package registry

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestBasicAuth(t *testing.T) {
	c := newClient(t, Options{Auth: Auth{Scheme: BasicAuth, User: "u", Password: "p"}})
	tests := []struct {
		name   string
		header []string
		status int
	}{
		{"none", nil, http.StatusUnauthorized},
		{"wrong password", []string{"Authorization", basic("u", "x")}, http.StatusUnauthorized},
		{"wrong user", []string{"Authorization", basic("x", "p")}, http.StatusUnauthorized},
		{"bearer", []string{"Authorization", "Bearer p"}, http.StatusUnauthorized},
		{"right", []string{"Authorization", basic("u", "p")}, http.StatusOK},
	}
	for _, tt := range tests {
		for _, path := range []string{"/v2/", "/v2/repo/tags/list?n=0"} {
			r := c.do("GET", path, nil, tt.header...)
			if r.StatusCode == http.StatusOK && path != "/v2/" {
				continue
			}
			if r.StatusCode == http.StatusNotFound && tt.status == http.StatusOK {
				continue // authenticated; the repository does not exist
			}
			if r.StatusCode != tt.status {
				t.Errorf("%s, GET %s: %d, want %d", tt.name, path, r.StatusCode, tt.status)
			}
			if tt.status == http.StatusUnauthorized && (r.code() != CodeUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic ")) {
				t.Errorf("%s, GET %s: code %q, WWW-Authenticate %q", tt.name, path, r.code(), r.Header.Get("WWW-Authenticate"))
			}
		}
	}
}

func basic(user, password string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(user, password)
	return req.Header.Get("Authorization")
}

var challengeParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// challenge parses a Bearer WWW-Authenticate header.
func challenge(t *testing.T, r response) map[string]string {
	t.Helper()
	h := r.Header.Get("WWW-Authenticate")
	if r.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(h, "Bearer ") {
		t.Fatalf("%s %s: %d, WWW-Authenticate %q; want 401 and a Bearer challenge", r.Request.Method, r.Request.URL, r.StatusCode, h)
	}
	p := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(h, -1) {
		p[m[1]] = m[2]
	}
	return p
}

// token gets a token for scope from realm with GET and basic auth.
func (c *client) token(realm, service, scope, user, password string) (string, int) {
	c.t.Helper()
	q := url.Values{"service": {service}}
	if scope != "" {
		q.Set("scope", scope)
	}
	r := c.do("GET", realm+"?"+q.Encode(), nil, "Authorization", basic(user, password))
	if r.StatusCode != http.StatusOK {
		return "", r.StatusCode
	}
	var tok struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(r.body, &tok); err != nil || tok.Token == "" || tok.Token != tok.AccessToken || tok.ExpiresIn <= 0 {
		c.t.Fatalf("token response %s: %v", r.body, err)
	}
	return tok.Token, r.StatusCode
}

func TestBearerAuth(t *testing.T) {
	c := newClient(t, Options{Auth: Auth{Scheme: BearerAuth, User: "u", Password: "p"}})
	data := []byte("blob")
	push := "/v2/repo/blobs/uploads/?digest=" + digestOf(data).String()

	ch := challenge(t, c.do("POST", push, data))
	if ch["realm"] != c.url+"/token" || ch["service"] == "" || ch["scope"] != "repository:repo:pull,push" {
		t.Fatalf("challenge %v: want realm %s/token, a service, scope repository:repo:pull,push", ch, c.url)
	}
	if _, status := c.token(ch["realm"], ch["service"], ch["scope"], "u", "wrong"); status != http.StatusUnauthorized {
		t.Fatalf("token with a wrong password: %d, want 401", status)
	}
	pushTok, _ := c.token(ch["realm"], ch["service"], ch["scope"], "u", "p")
	c.do("POST", push, data, "Authorization", "Bearer "+pushTok).want(t, http.StatusCreated, "")

	pullTok, _ := c.token(ch["realm"], ch["service"], "repository:repo:pull", "u", "p")
	c.do("GET", "/v2/repo/blobs/"+digestOf(data).String(), nil, "Authorization", "Bearer "+pullTok).want(t, http.StatusOK, "")
	c.do("GET", "/v2/", nil, "Authorization", "Bearer "+pullTok).want(t, http.StatusOK, "")
	tests := []struct {
		name, method, path, tok string
		scope, error            string // of the challenge
	}{
		{"pull token, push", "POST", push, pullTok, "repository:repo:pull,push", "insufficient_scope"},
		{"pull token, delete", "DELETE", "/v2/repo/blobs/" + digestOf(data).String(), pullTok, "repository:repo:delete", "insufficient_scope"},
		{"pull token, other repository", "GET", "/v2/other/tags/list", pullTok, "repository:other:pull", "insufficient_scope"},
		{"pull token, catalog", "GET", "/v2/_catalog", pullTok, "registry:catalog:*", "insufficient_scope"},
		{"unknown token", "GET", "/v2/repo/tags/list", "nonsense", "repository:repo:pull", "invalid_token"},
		{"no token, ping", "GET", "/v2/", "", "", ""},
	}
	for _, tt := range tests {
		var h []string
		if tt.tok != "" {
			h = []string{"Authorization", "Bearer " + tt.tok}
		}
		r := c.do(tt.method, tt.path, nil, h...)
		ch := challenge(t, r)
		if r.code() != CodeUnauthorized || ch["scope"] != tt.scope || ch["error"] != tt.error {
			t.Errorf("%s: code %q, scope %q, error %q; want %s, %q, %q", tt.name, r.code(), ch["scope"], ch["error"], CodeUnauthorized, tt.scope, tt.error)
		}
	}
	// A token for what a mount needs mounts.
	mountTok, _ := c.token(ch["realm"], ch["service"], "repository:dst:pull,push repository:repo:pull", "u", "p")
	c.do("POST", "/v2/dst/blobs/uploads/?mount="+digestOf(data).String()+"&from=repo", nil, "Authorization", "Bearer "+mountTok).want(t, http.StatusCreated, "")
	// "*" grants every action.
	allTok, _ := c.token(ch["realm"], ch["service"], "repository:dst:*", "u", "p")
	c.do("DELETE", "/v2/dst/blobs/"+digestOf(data).String(), nil, "Authorization", "Bearer "+allTok).want(t, http.StatusAccepted, "")
}

func TestBearerTokenPost(t *testing.T) {
	c := newClient(t, Options{Auth: Auth{Scheme: BearerAuth, User: "u", Password: "p"}})
	form := func(v url.Values) response {
		return c.do("POST", "/token", []byte(v.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	}
	form(url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"x"}, "scope": {"repository:r:pull"}}).want(t, http.StatusUnauthorized, CodeUnauthorized)
	form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"x"}}).want(t, http.StatusBadRequest, CodeUnsupported)
	r := form(url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}, "scope": {"repository:r:pull"}, "service": {"s"}})
	r.want(t, http.StatusOK, "")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.Unmarshal(r.body, &tok)
	c.do("GET", "/v2/r/tags/list", nil, "Authorization", "Bearer "+tok.AccessToken).want(t, http.StatusNotFound, CodeNameUnknown)
}

func TestBearerTokenExpires(t *testing.T) {
	c := newClient(t, Options{Auth: Auth{Scheme: BearerAuth, User: "u", Password: "p", TokenTTL: 50 * time.Millisecond}})
	tok, _ := c.token(c.url+"/token", "s", "repository:r:pull", "u", "p")
	c.do("GET", "/v2/", nil, "Authorization", "Bearer "+tok).want(t, http.StatusOK, "")
	time.Sleep(100 * time.Millisecond)
	if ch := challenge(t, c.do("GET", "/v2/", nil, "Authorization", "Bearer "+tok)); ch["error"] != "invalid_token" {
		t.Errorf("expired token: challenge %v, want error invalid_token", ch)
	}
}

func TestAuthOptions(t *testing.T) {
	for _, a := range []Auth{
		{Scheme: BasicAuth}, {Scheme: BearerAuth, Password: "p"}, {Scheme: 7, User: "u"},
		// An empty password would let anyone in who sends one.
		{Scheme: BasicAuth, User: "alice"}, {Scheme: BearerAuth, User: "alice"},
	} {
		if _, err := New(Options{Auth: a}); err == nil {
			t.Errorf("New with %+v: no error", a)
		}
	}
}
