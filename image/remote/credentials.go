package remote

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"oras.land/oras-go/v2/registry/remote/auth"
)

// credentials finds the credentials for one registry, once, the first
// time the registry asks for them, and remembers where they came from.
type credentials struct {
	ref      reference
	username string
	password string

	mu     sync.Mutex
	done   bool
	cred   auth.Credential
	source string
	err    error
}

func newCredentials(r reference, opts Options) (*credentials, error) {
	return &credentials{ref: r, username: opts.Username, password: opts.Password}, nil
}

// get is the auth.CredentialFunc: it answers for the registry of the
// reference only, so credentials never go to another host.
func (c *credentials) get(ctx context.Context, hostport string) (auth.Credential, error) {
	if !sameRegistry(hostport, c.ref.Registry) {
		return auth.EmptyCredential, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.done {
		c.cred, c.source, c.err = c.lookup(ctx)
		// A helper that failed because ctx ended may work next time.
		c.done = ctx.Err() == nil
	}
	return c.cred, c.err
}

// describe says where the credentials came from, for error messages.
func (c *credentials) describe() string {
	if c == nil {
		return ""
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.done:
		return c.source
	case c.username != "":
		return fmt.Sprintf("user %q given explicitly, not asked for", c.username)
	}
	return "anonymous, none asked for"
}

// secrets returns what must never be printed.
func (c *credentials) secrets() []string {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return []string{c.password, c.cred.Password, c.cred.RefreshToken, c.cred.AccessToken}
}

// lookup tries each source in order: the explicit credentials; docker's
// config.json; REGISTRY_AUTH_FILE and podman's auth.json; anonymous.
func (c *credentials) lookup(ctx context.Context) (auth.Credential, string, error) {
	if c.username != "" {
		return auth.Credential{Username: c.username, Password: c.password},
			fmt.Sprintf("user %q given explicitly", c.username), nil
	}
	for _, f := range credentialFiles() {
		cred, src, err := fromFile(ctx, f, c.ref)
		if err != nil || src != "" {
			return cred, src, err
		}
	}
	return auth.EmptyCredential, "anonymous", nil
}

// credentialFile is one file to look in, with the environment variable
// or default that named it.
type credentialFile struct {
	path   string
	origin string // "DOCKER_CONFIG", "~/.docker", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR"
}

// credentialFiles returns the files in the order they are tried.
func credentialFiles() []credentialFile {
	var fs []credentialFile
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		fs = append(fs, credentialFile{filepath.Join(d, "config.json"), "DOCKER_CONFIG"})
	} else if h, err := os.UserHomeDir(); err == nil {
		fs = append(fs, credentialFile{filepath.Join(h, ".docker", "config.json"), "~/.docker"})
	}
	if f := os.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		fs = append(fs, credentialFile{f, "REGISTRY_AUTH_FILE"})
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		fs = append(fs, credentialFile{filepath.Join(d, "containers", "auth.json"), "XDG_RUNTIME_DIR"})
	}
	return fs
}

// authFile is the part of docker's config.json and podman's auth.json
// that holds credentials.
type authFile struct {
	Auths       map[string]authEntry `json:"auths"`
	CredHelpers map[string]string    `json:"credHelpers"`
	CredsStore  string               `json:"credsStore"`
}

type authEntry struct {
	Auth          string `json:"auth"`
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
}

// fromFile looks for the registry's credentials in one file. An empty
// source means the file does not exist or has none for it.
func fromFile(ctx context.Context, f credentialFile, r reference) (auth.Credential, string, error) {
	data, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return auth.EmptyCredential, "", nil
	}
	if err != nil {
		return auth.EmptyCredential, "", &credError{ErrCredentialsFile, fmt.Sprintf("credentials file: %v", err)}
	}
	var af authFile
	if err := json.Unmarshal(data, &af); err != nil {
		return auth.EmptyCredential, "", &credError{ErrCredentialsFile,
			fmt.Sprintf("credentials file %s (from %s) is not valid JSON: %v; fix or remove it", f.path, f.origin, err)}
	}
	if key, ok := bestKey(keysOf(af.CredHelpers), r); ok {
		h := af.CredHelpers[key]
		src := fmt.Sprintf("docker-credential-%s (credHelpers in %s)", h, f.path)
		cred, found, err := runHelper(ctx, h, serverURL(r.Registry), src)
		if err != nil || found {
			return cred, src, err
		}
	}
	if af.CredsStore != "" {
		src := fmt.Sprintf("docker-credential-%s (credsStore in %s)", af.CredsStore, f.path)
		cred, found, err := runHelper(ctx, af.CredsStore, serverURL(r.Registry), src)
		if err != nil || found {
			return cred, src, err
		}
	}
	if key, ok := bestKey(keysOf(af.Auths), r); ok {
		e := af.Auths[key]
		cred, err := e.credential()
		if err != nil {
			return auth.EmptyCredential, "", &credError{ErrCredentialsFile,
				fmt.Sprintf("auths[%q] in %s: %v; fix it, or log in again", key, f.path, err)}
		}
		if cred != auth.EmptyCredential {
			return cred, fmt.Sprintf("auths[%q] in %s", key, f.path), nil
		}
	}
	return auth.EmptyCredential, "", nil
}

func (e authEntry) credential() (auth.Credential, error) {
	var c auth.Credential
	if e.Auth != "" {
		raw, err := base64.StdEncoding.DecodeString(e.Auth)
		if err != nil {
			return c, fmt.Errorf("auth is not base64")
		}
		u, p, ok := strings.Cut(string(raw), ":")
		if !ok {
			return c, fmt.Errorf("auth is not base64 of USER:PASSWORD")
		}
		c.Username, c.Password = u, p
	} else if e.Username != "" {
		c.Username, c.Password = e.Username, e.Password
	}
	if e.IdentityToken != "" {
		c.RefreshToken = e.IdentityToken
	}
	return c, nil
}

// helperReply is what a docker-credential-* helper prints for "get".
type helperReply struct {
	Username string `json:"Username"`
	Secret   string `json:"Secret"`
}

// runHelper runs docker-credential-NAME get for server. found is false
// when the helper has nothing for it.
func runHelper(ctx context.Context, name, server, src string) (cred auth.Credential, found bool, err error) {
	prog := "docker-credential-" + name
	fail := func(format string, args ...any) (auth.Credential, bool, error) {
		return auth.EmptyCredential, false, &credError{ErrCredentialHelper,
			fmt.Sprintf("credentials for %s from %s: %s", server, src, fmt.Sprintf(format, args...))}
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return fail("%s is not in PATH; install it or remove it from the file", prog)
	}
	cmd := exec.CommandContext(ctx, path, "get")
	cmd.Stdin = strings.NewReader(server)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if err != nil {
		out := strings.TrimSpace(stdout.String())
		if strings.Contains(out, "credentials not found") {
			return auth.EmptyCredential, false, nil
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fail("%s get exited with code %d: %s", prog, ee.ExitCode(), oneLine(stderr.String(), out))
		}
		return fail("%s get: %v", prog, err)
	}
	var rep helperReply
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return fail("%s get printed something that is not a credential (%v)", prog, err)
	}
	if rep.Username == "<token>" {
		return auth.Credential{RefreshToken: rep.Secret}, true, nil
	}
	return auth.Credential{Username: rep.Username, Password: rep.Secret}, true, nil
}

// oneLine returns the first non-empty of texts, on one line, cut short.
func oneLine(texts ...string) string {
	for _, t := range texts {
		t = strings.Join(strings.Fields(t), " ")
		if t != "" {
			if len(t) > 300 {
				t = t[:300] + "…"
			}
			return t
		}
	}
	return "no output"
}

// serverURL is what docker passes to a credential helper for registry.
func serverURL(registry string) string {
	if registry == dockerHub {
		return "https://index.docker.io/v1/"
	}
	return registry
}

func keysOf[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// bestKey returns the key of a credential file that applies to r: the
// registry itself, in any of the spellings docker writes
// (https://host/v1/, host), or, as podman allows, host/namespace, the
// longest such prefix of the repository winning.
func bestKey(keys []string, r reference) (string, bool) {
	best, bestLen := "", -1
	for _, k := range keys {
		host, path := normalizeKey(k)
		if host != r.Registry {
			continue
		}
		n := 0
		if path != "" {
			if r.Repository != path && !strings.HasPrefix(r.Repository, path+"/") {
				continue
			}
			n = len(path)
		}
		if n > bestLen || (n == bestLen && k < best) {
			best, bestLen = k, n
		}
	}
	return best, bestLen >= 0
}

// normalizeKey splits a credential file key into the registry, as
// parseReference names it, and a repository prefix.
func normalizeKey(k string) (host, path string) {
	k = strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "http://")
	k = strings.TrimSuffix(k, "/")
	host, path, _ = strings.Cut(k, "/")
	if path == "v1" || path == "v2" {
		path = ""
	}
	switch host {
	case dockerHubIndex, "registry-1.docker.io":
		host = dockerHub
	}
	return host, path
}

// sameRegistry reports whether hostport, as oras-go passes it to the
// credential function, is the registry the reference names.
func sameRegistry(hostport, registry string) bool {
	if hostport == registry {
		return true
	}
	return registry == dockerHub && (hostport == "registry-1.docker.io" || hostport == dockerHubIndex)
}

// credError is a failure to find credentials. oras-go wraps it in text
// naming the request; wrapError finds it and prints it alone.
type credError struct {
	kind error
	msg  string
}

func (e *credError) Error() string { return "remote: " + e.msg }
func (e *credError) Unwrap() error { return e.kind }
