package remote

import (
	"errors"
	"strings"
	"testing"
)

func TestParseReference(t *testing.T) {
	const d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		in   string
		want reference
	}{
		{"alpine", reference{"docker.io", "library/alpine", "latest", ""}},
		{"alpine:3.20", reference{"docker.io", "library/alpine", "3.20", ""}},
		{"user/app", reference{"docker.io", "user/app", "latest", ""}},
		{"docker.io/alpine", reference{"docker.io", "library/alpine", "latest", ""}},
		{"index.docker.io/library/alpine:3", reference{"docker.io", "library/alpine", "3", ""}},
		{"ghcr.io/o/app:v1", reference{"ghcr.io", "o/app", "v1", ""}},
		{"localhost/app", reference{"localhost", "app", "latest", ""}},
		{"localhost:5000/a/b/c:t", reference{"localhost:5000", "a/b/c", "t", ""}},
		{"127.0.0.1:5000/app@" + d, reference{"127.0.0.1:5000", "app", "", d}},
		{"127.0.0.1:5000/app:v1@" + d, reference{"127.0.0.1:5000", "app", "v1", d}},
		{"[::1]:5000/app", reference{"[::1]:5000", "app", "latest", ""}},
		{"reg.example/a.b_c__d-e--f", reference{"reg.example", "a.b_c__d-e--f", "latest", ""}},
	} {
		got, err := parseReference(tc.in)
		if err != nil {
			t.Errorf("parseReference(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("parseReference(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		// The full form parses to the same reference.
		if again, err := parseReference(got.String()); err != nil || again != got {
			t.Errorf("parseReference(%q) = %+v, %v; want %+v", got.String(), again, err, got)
		}
	}
}

func TestParseReferenceErrors(t *testing.T) {
	for _, in := range []string{
		"", ":tag", "reg.example/", "reg.example/App", "reg.example/a//b", "reg.example/-a",
		"reg.example/a:" + strings.Repeat("t", 129), "reg.example/a:-t", "reg.example/a@sha256:12",
		"reg_x.example:5000/a", "reg.example/a@md5:00",
	} {
		_, err := parseReference(in)
		if !errors.Is(err, ErrInvalidReference) {
			t.Errorf("parseReference(%q) = %v, want ErrInvalidReference", in, err)
		}
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"alpine", "localhost:5000/a/b:c", "ghcr.io/o/app:v1@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "a:b:c", "@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := parseReference(s)
		if err != nil {
			return
		}
		again, err := parseReference(r.String())
		if err != nil || again != r {
			t.Fatalf("%q -> %q -> %+v, %v; want %+v", s, r.String(), again, err, r)
		}
	})
}

func TestParseReferenceExported(t *testing.T) {
	r, err := ParseReference("alpine:3.20")
	if err != nil {
		t.Fatal(err)
	}
	if want := (Reference{"docker.io", "library/alpine", "3.20", ""}); r != want {
		t.Errorf("ParseReference = %+v, want %+v", r, want)
	}
	if got := r.String(); got != "docker.io/library/alpine:3.20" {
		t.Errorf("String = %q", got)
	}
	if _, err := ParseReference("Not/A:Ref:"); !errors.Is(err, ErrInvalidReference) {
		t.Errorf("bad reference: %v, want ErrInvalidReference", err)
	}
}

func TestReferenceName(t *testing.T) {
	for in, want := range map[string]string{
		"alpine:3.20": "docker.io/library/alpine",
		"localhost:5000/team/app@sha256:" + strings.Repeat("a", 64): "localhost:5000/team/app",
		"ghcr.io/o/app:v1@sha256:" + strings.Repeat("b", 64):        "ghcr.io/o/app",
	} {
		r, err := ParseReference(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Name(); got != want {
			t.Errorf("ParseReference(%q).Name() = %q, want %q", in, got, want)
		}
	}
}
