package registry

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// AuthScheme is how clients authenticate.
type AuthScheme int

const (
	// NoAuth lets every request in.
	NoAuth AuthScheme = iota
	// BasicAuth needs the user and password on every request, as HTTP
	// basic authentication.
	BasicAuth
	// BearerAuth needs a token on every request. A request without one
	// gets 401 with a WWW-Authenticate Bearer challenge whose realm is
	// the registry's token endpoint, /token, and whose scope names the
	// repository and actions (pull, push, delete) the request needs. The
	// endpoint gives a token for the requested scopes to a client that
	// presents the user and password (GET with basic authentication, or
	// POST of an OAuth2 password grant), as Docker's token protocol does.
	BearerAuth
)

// Auth is the authentication a Registry needs.
type Auth struct {
	Scheme AuthScheme
	// User and Password are the one account's credentials; both are
	// needed, New refuses an empty one.
	User, Password string
	// TokenTTL is how long a bearer token is valid; 0 means one hour.
	TokenTTL time.Duration
}

func (a Auth) validate() error {
	switch a.Scheme {
	case NoAuth:
		return nil
	case BasicAuth, BearerAuth:
		if a.User == "" {
			return fmt.Errorf("registry: auth needs a user: set Auth.User and Auth.Password")
		}
		if a.Password == "" {
			// An empty password would let anyone in who sends one.
			return fmt.Errorf("registry: auth of user %q needs a password: set Auth.Password", a.User)
		}
		return nil
	}
	return fmt.Errorf("registry: unknown auth scheme %d", a.Scheme)
}

// tokenPath is where a registry with BearerAuth serves tokens.
const tokenPath = "/token"

type authenticator struct {
	Auth
	scheme AuthScheme

	mu     sync.Mutex
	tokens map[string]*grant
}

// grant is what a token allows: actions by repository ("registry:catalog"
// for the catalog), until it expires.
type grant struct {
	expires time.Time
	actions map[string][]string
}

func newAuthenticator(a Auth) *authenticator {
	if a.TokenTTL <= 0 {
		a.TokenTTL = time.Hour
	}
	return &authenticator{Auth: a, scheme: a.Scheme, tokens: map[string]*grant{}}
}

func (a *authenticator) validCredentials(user, password string) bool {
	u := subtle.ConstantTimeCompare([]byte(user), []byte(a.User))
	p := subtle.ConstantTimeCompare([]byte(password), []byte(a.Password))
	return u&p == 1
}

// access is one action a request needs on a resource.
type access struct{ resource, action string }

// needs returns what a request with method on rt needs: pull to read,
// pull and push to write or to cancel an upload, delete to delete. A
// mount's pull of its source is checked when it mounts (see canPull),
// since without it the request still starts an upload.
func needs(method string, rt route) []access {
	if rt.end == endCatalog {
		return []access{{"registry:catalog", "*"}}
	}
	if rt.name == "" {
		return nil
	}
	repo := "repository:" + rt.name
	switch {
	case method == "GET" || method == "HEAD":
		return []access{{repo, "pull"}}
	case method == "DELETE" && rt.end != endUpload:
		return []access{{repo, "delete"}}
	}
	return []access{{repo, "pull"}, {repo, "push"}}
}

// grantKey is the key of the context value that holds the *grant of a
// request let in with a bearer token.
type grantKey struct{}

// allow reports whether a request that needs need may go on, and returns
// it with its grant, if any, for canPull; if not, it has answered 401.
func (a *authenticator) allow(w http.ResponseWriter, req *http.Request, need []access) (*http.Request, bool) {
	if a.scheme == BasicAuth {
		if u, p, ok := req.BasicAuth(); ok && a.validCredentials(u, p) {
			return req, true
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="minimage registry"`)
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized, "authentication required: send the user and password with basic authentication"))
		return req, false
	}
	tok, hasToken := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	g := a.lookup(tok)
	if g != nil && g.covers(need) {
		return req.WithContext(context.WithValue(req.Context(), grantKey{}, g)), true
	}
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	challenge := fmt.Sprintf(`Bearer realm="%s://%s%s",service="%s"`, scheme, req.Host, tokenPath, req.Host)
	if scope := scopeString(need); scope != "" {
		challenge += fmt.Sprintf(`,scope="%s"`, scope)
	}
	msg := "authentication required: get a token from the realm of the WWW-Authenticate challenge"
	switch {
	case g != nil:
		challenge += `,error="insufficient_scope"`
		msg = "the token does not grant " + scopeString(need)
	case hasToken:
		challenge += `,error="invalid_token"`
		msg = "the token is unknown or expired: get a new one"
	}
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized, msg))
	return req, false
}

// canPull reports whether req, which ServeHTTP let in, may pull
// repository name: always without auth or with basic auth (one user
// who may do everything), with a bearer token if it grants pull.
func (r *Registry) canPull(req *http.Request, name string) bool {
	if r.auth == nil || r.auth.scheme == BasicAuth {
		return true
	}
	g, _ := req.Context().Value(grantKey{}).(*grant)
	return g != nil && g.covers([]access{{"repository:" + name, "pull"}})
}

// scopeString returns the scopes of acc as a challenge or a token request
// writes them: "repository:NAME:pull,push", space separated.
func scopeString(acc []access) string {
	var scopes []string
	actions := map[string][]string{}
	for _, x := range acc {
		if _, ok := actions[x.resource]; !ok {
			scopes = append(scopes, x.resource)
		}
		actions[x.resource] = append(actions[x.resource], x.action)
	}
	for i, s := range scopes {
		scopes[i] = s + ":" + strings.Join(actions[s], ",")
	}
	return strings.Join(scopes, " ")
}

func (a *authenticator) lookup(tok string) *grant {
	if tok == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	g := a.tokens[tok]
	if g != nil && time.Now().After(g.expires) {
		delete(a.tokens, tok)
		return nil
	}
	return g
}

func (g *grant) covers(need []access) bool {
	for _, x := range need {
		acts := g.actions[x.resource]
		if !slices.Contains(acts, x.action) && !slices.Contains(acts, "*") {
			return false
		}
	}
	return true
}

// serveToken serves the token endpoint: GET with basic authentication,
// or POST of an OAuth2 password grant, with the scopes asked for in
// "scope" parameters, each one or more space-separated scopes.
func (a *authenticator) serveToken(w http.ResponseWriter, req *http.Request) {
	var user, password string
	var scopes []string
	switch req.Method {
	case "GET":
		user, password, _ = req.BasicAuth()
		scopes = req.URL.Query()["scope"]
	case "POST":
		if err := req.ParseForm(); err != nil {
			writeError(w, newError(http.StatusBadRequest, CodeUnsupported, "invalid token request: "+err.Error()))
			return
		}
		if gt := req.PostForm.Get("grant_type"); gt != "password" {
			writeError(w, newError(http.StatusBadRequest, CodeUnsupported, fmt.Sprintf("unsupported grant_type %q: use password", gt)))
			return
		}
		user, password = req.PostForm.Get("username"), req.PostForm.Get("password")
		scopes = req.PostForm["scope"]
	default:
		w.Header().Set("Allow", "GET, POST")
		writeError(w, newError(http.StatusMethodNotAllowed, CodeUnsupported, req.Method+" is not allowed on "+tokenPath))
		return
	}
	if !a.validCredentials(user, password) {
		w.Header().Set("WWW-Authenticate", `Basic realm="minimage registry token"`)
		writeError(w, newError(http.StatusUnauthorized, CodeUnauthorized, "wrong or missing user and password"))
		return
	}
	g := &grant{expires: time.Now().Add(a.TokenTTL), actions: map[string][]string{}}
	for _, s := range scopes {
		for _, scope := range strings.Fields(s) {
			// TYPE:NAME:ACTIONS; a name has no colons.
			i, j := strings.Index(scope, ":"), strings.LastIndex(scope, ":")
			if i < 0 || i == j {
				continue
			}
			res := scope[:j]
			for _, act := range strings.Split(scope[j+1:], ",") {
				if act != "" && !slices.Contains(g.actions[res], act) {
					g.actions[res] = append(g.actions[res], act)
				}
			}
		}
	}
	tok := rand.Text() + rand.Text()
	a.mu.Lock()
	a.tokens[tok] = g
	a.mu.Unlock()
	writeJSON(w, "application/json", map[string]any{
		"token":        tok,
		"access_token": tok,
		"expires_in":   int((a.TokenTTL + time.Second - 1) / time.Second),
		"issued_at":    time.Now().UTC().Format(time.RFC3339),
	})
}
