package remote

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/internal/dockerregistry"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// credEnv gives a test its own home, PATH entry for helpers and no
// credential file of the machine running it.
type credEnv struct {
	t                   *testing.T
	home, bin, xdg      string
	dockerConfig        string // $HOME/.docker/config.json
	dockerConfigEnvFile string // $DOCKER_CONFIG/config.json, when set
}

func newCredEnv(t *testing.T) *credEnv {
	e := &credEnv{t: t, home: t.TempDir(), bin: t.TempDir(), xdg: t.TempDir()}
	e.dockerConfig = filepath.Join(e.home, ".docker", "config.json")
	t.Setenv("HOME", e.home)
	t.Setenv("DOCKER_CONFIG", "")
	t.Setenv("REGISTRY_AUTH_FILE", "")
	t.Setenv("XDG_RUNTIME_DIR", e.xdg)
	t.Setenv("PATH", e.bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return e
}

func (e *credEnv) write(path string, v any) string {
	e.t.Helper()
	var data []byte
	switch v := v.(type) {
	case string:
		data = []byte(v)
	default:
		var err error
		if data, err = json.Marshal(v); err != nil {
			e.t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		e.t.Fatal(err)
	}
	return path
}

// helper installs docker-credential-NAME running script (sh).
func (e *credEnv) helper(name, script string) {
	e.t.Helper()
	p := filepath.Join(e.bin, "docker-credential-"+name)
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		e.t.Fatal(err)
	}
}

func basicAuth(u, p string) map[string]string {
	return map[string]string{"auth": base64.StdEncoding.EncodeToString([]byte(u + ":" + p))}
}

func lookup(t *testing.T, ref string, opts Options) (auth.Credential, string, error) {
	t.Helper()
	r, err := parseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	c, err := newCredentials(r, opts)
	if err != nil {
		return auth.Credential{}, "", err
	}
	host := r.Registry
	if host == dockerHub {
		host = "registry-1.docker.io" // what oras-go asks for
	}
	cred, err := c.get(context.Background(), host)
	return cred, c.describe(), err
}

func TestCredentials(t *testing.T) {
	// echo is a helper that answers with the server it was asked for.
	const echo = `read s; printf '{"ServerURL":"%s","Username":"u-%s","Secret":"p"}' "$s" "$s"`
	for _, tc := range []struct {
		name     string
		setup    func(e *credEnv)
		ref      string
		opts     Options
		want     auth.Credential
		source   []string // words the source must hold
		wantKind error
	}{
		{
			name: "explicit beats files",
			setup: func(e *credEnv) {
				e.write(e.dockerConfig, map[string]any{"auths": map[string]any{"reg.example": basicAuth("file", "filepw")}})
			},
			ref: "reg.example/app", opts: Options{Username: "me", Password: "mypw"},
			want: auth.Credential{Username: "me", Password: "mypw"}, source: []string{`user "me" given explicitly`},
		},
		{
			name: "~/.docker/config.json auths",
			setup: func(e *credEnv) {
				e.write(e.dockerConfig, map[string]any{"auths": map[string]any{"https://reg.example:5000": basicAuth("file", "filepw")}})
			},
			ref: "reg.example:5000/app", want: auth.Credential{Username: "file", Password: "filepw"},
			source: []string{`auths["https://reg.example:5000"]`, ".docker/config.json"},
		},
		{
			name: "DOCKER_CONFIG hides ~/.docker",
			setup: func(e *credEnv) {
				e.write(e.dockerConfig, map[string]any{"auths": map[string]any{"reg.example": basicAuth("home", "homepw")}})
				d := e.t.TempDir()
				e.t.Setenv("DOCKER_CONFIG", d)
				e.write(filepath.Join(d, "config.json"), map[string]any{"auths": map[string]any{"reg.example": map[string]string{"username": "env", "password": "envpw"}}})
			},
			ref: "reg.example/app", want: auth.Credential{Username: "env", Password: "envpw"}, source: []string{"config.json"},
		},
		{
			name: "docker hub key",
			setup: func(e *credEnv) {
				e.write(e.dockerConfig, map[string]any{"auths": map[string]any{"https://index.docker.io/v1/": basicAuth("hub", "hubpw")}})
			},
			ref: "alpine", want: auth.Credential{Username: "hub", Password: "hubpw"}, source: []string{"index.docker.io"},
		},
		{
			name: "identity token",
			setup: func(e *credEnv) {
				e.write(e.dockerConfig, map[string]any{"auths": map[string]any{"reg.example": map[string]string{"identitytoken": "tok"}}})
			},
			ref: "reg.example/app", want: auth.Credential{RefreshToken: "tok"},
		},
		{
			name: "credHelpers",
			setup: func(e *credEnv) {
				e.helper("echo", echo)
				e.write(e.dockerConfig, map[string]any{
					"auths":       map[string]any{"reg.example": basicAuth("file", "filepw")},
					"credHelpers": map[string]string{"reg.example": "echo"},
				})
			},
			ref: "reg.example/app", want: auth.Credential{Username: "u-reg.example", Password: "p"},
			source: []string{"docker-credential-echo (credHelpers in "},
		},
		{
			name: "credsStore, docker hub",
			setup: func(e *credEnv) {
				e.helper("echo", echo)
				e.write(e.dockerConfig, map[string]any{"auths": map[string]any{"https://index.docker.io/v1/": map[string]string{}}, "credsStore": "echo"})
			},
			ref: "docker.io/library/alpine", want: auth.Credential{Username: "u-https://index.docker.io/v1/", Password: "p"},
			source: []string{"docker-credential-echo (credsStore in "},
		},
		{
			name: "helper token",
			setup: func(e *credEnv) {
				e.helper("tok", `printf '{"Username":"<token>","Secret":"refresh"}'`)
				e.write(e.dockerConfig, map[string]any{"credsStore": "tok"})
			},
			ref: "reg.example/app", want: auth.Credential{RefreshToken: "refresh"},
		},
		{
			name: "helper has none: auths next, then podman",
			setup: func(e *credEnv) {
				e.helper("empty", `echo "credentials not found in native keychain"; exit 1`)
				e.write(e.dockerConfig, map[string]any{"credsStore": "empty"})
				e.write(filepath.Join(e.xdg, "containers", "auth.json"), map[string]any{"auths": map[string]any{"reg.example": basicAuth("podman", "podpw")}})
			},
			ref: "reg.example/app", want: auth.Credential{Username: "podman", Password: "podpw"},
			source: []string{"containers/auth.json"},
		},
		{
			name: "REGISTRY_AUTH_FILE before podman's",
			setup: func(e *credEnv) {
				f := e.write(filepath.Join(e.t.TempDir(), "auth.json"), map[string]any{"auths": map[string]any{"reg.example": basicAuth("raf", "rafpw")}})
				e.t.Setenv("REGISTRY_AUTH_FILE", f)
				e.write(filepath.Join(e.xdg, "containers", "auth.json"), map[string]any{"auths": map[string]any{"reg.example": basicAuth("podman", "podpw")}})
			},
			ref: "reg.example/app", want: auth.Credential{Username: "raf", Password: "rafpw"}, source: []string{"auth.json"},
		},
		{
			name: "podman repository keys, longest wins",
			setup: func(e *credEnv) {
				e.write(filepath.Join(e.xdg, "containers", "auth.json"), map[string]any{"auths": map[string]any{
					"reg.example":           basicAuth("host", "hostpw"),
					"reg.example/team":      basicAuth("team", "teampw"),
					"reg.example/team/app2": basicAuth("app2", "app2pw"),
				}})
			},
			ref: "reg.example/team/app", want: auth.Credential{Username: "team", Password: "teampw"},
			source: []string{`auths["reg.example/team"]`},
		},
		{
			name: "another registry's entry does not apply",
			setup: func(e *credEnv) {
				e.write(e.dockerConfig, map[string]any{"auths": map[string]any{"reg.example:5000": basicAuth("other", "otherpw")}})
			},
			ref: "reg.example/app", want: auth.EmptyCredential, source: []string{"anonymous"},
		},
		{
			name: "failing helper",
			setup: func(e *credEnv) {
				e.helper("locked", `echo "the keychain is locked" >&2; exit 3`)
				e.write(e.dockerConfig, map[string]any{"credHelpers": map[string]string{"reg.example": "locked"}})
			},
			ref: "reg.example/app", wantKind: ErrCredentialHelper,
			source: []string{"docker-credential-locked", "exited with code 3", "the keychain is locked"},
		},
		{
			name: "missing helper",
			setup: func(e *credEnv) {
				e.write(e.dockerConfig, map[string]any{"credsStore": "nosuchhelper"})
			},
			ref: "reg.example/app", wantKind: ErrCredentialHelper, source: []string{"docker-credential-nosuchhelper is not in PATH"},
		},
		{
			name:  "bad JSON",
			setup: func(e *credEnv) { e.write(e.dockerConfig, "{not json") },
			ref:   "reg.example/app", wantKind: ErrCredentialsFile, source: []string{".docker/config.json", "not valid JSON"},
		},
		{
			name: "bad auth field",
			setup: func(e *credEnv) {
				e.write(e.dockerConfig, map[string]any{"auths": map[string]any{"reg.example": map[string]string{"auth": "!!"}}})
			},
			ref: "reg.example/app", wantKind: ErrCredentialsFile, source: []string{"not base64"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newCredEnv(t)
			if tc.setup != nil {
				tc.setup(e)
			}
			cred, src, err := lookup(t, tc.ref, tc.opts)
			if tc.wantKind != nil {
				if !errors.Is(err, tc.wantKind) {
					t.Fatalf("err = %v, want %v", err, tc.wantKind)
				}
				src = err.Error()
			} else if err != nil {
				t.Fatal(err)
			}
			if cred != tc.want {
				t.Errorf("credential %+v, want %+v", cred, tc.want)
			}
			for _, w := range tc.source {
				if !strings.Contains(src, w) {
					t.Errorf("source %q does not say %q", src, w)
				}
			}
			for _, secret := range []string{"filepw", "p\"", "podpw", "mypw"} {
				if strings.Contains(src, secret) {
					t.Errorf("source %q shows a secret", src)
				}
			}
		})
	}
}

func TestCredentialsOnlyForTheRegistry(t *testing.T) {
	newCredEnv(t)
	r, _ := parseReference("reg.example/app")
	c, err := newCredentials(r, Options{Username: "u", Password: "p"})
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.get(context.Background(), "evil.example")
	if err != nil || got != auth.EmptyCredential {
		t.Errorf("credentials for another host: %+v, %v; want none", got, err)
	}
	for _, o := range []Options{{Username: "u"}, {Password: "p"}} {
		if err := o.Validate(); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: no error for half a credential", o)
		}
	}
}

// TestPushCredentialSources pushes with credentials from a docker config
// file and from a helper, and fails with a helper that fails.
func TestPushCredentialSources(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 11})
	ctx := context.Background()
	noCreds := regOptions(reg)
	noCreds.Username, noCreds.Password = "", ""

	t.Run("config.json", func(t *testing.T) {
		e := newCredEnv(t)
		e.write(e.dockerConfig, map[string]any{"auths": map[string]any{reg.Host: basicAuth(reg.User, reg.Password)}})
		if _, err := Push(ctx, reg.Ref("app:file"), img, noCreds); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("helper", func(t *testing.T) {
		e := newCredEnv(t)
		e.helper("test", `printf '{"Username":"`+reg.User+`","Secret":"`+reg.Password+`"}'`)
		e.write(e.dockerConfig, map[string]any{"credHelpers": map[string]string{reg.Host: "test"}})
		if _, err := Push(ctx, reg.Ref("app:helper"), img, noCreds); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("failing helper", func(t *testing.T) {
		e := newCredEnv(t)
		e.helper("broken", `echo "no D-Bus session" >&2; exit 4`)
		e.write(e.dockerConfig, map[string]any{"credsStore": "broken"})
		_, err := Push(ctx, reg.Ref("app:broken"), img, noCreds)
		if !errors.Is(err, ErrCredentialHelper) {
			t.Fatalf("err = %v, want ErrCredentialHelper", err)
		}
		t.Logf("error: %v", err)
		for _, w := range []string{reg.Host, "docker-credential-broken", "code 4", "no D-Bus session"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q does not say %q", err, w)
			}
		}
	})
}
