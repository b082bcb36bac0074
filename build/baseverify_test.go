package build_test

import (
	"context"
	"crypto/ecdsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/signature"
)

// TestRunBaseKey builds on bases in a registry and in a layout with
// Recipe.BaseKey: a base signed by the key (in either form) is built on;
// an unsigned one, or one signed by another key, is refused with its
// digest and the reason, before the output is written.
func TestRunBaseKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg := registrytest.New(t, registrytest.Options{})
	key, other := newKey(t), newKey(t)
	bases := map[string]*image.Image{}
	for i, name := range []string{"tag", "bundle", "unsigned", "other"} {
		img := imagetest.Image(t, imagetest.Spec{Seed: uint64(80 + i)})
		reg.Preload(t, name, img, "v1")
		bases[name] = img
	}
	sign := func(name string, k *ecdsa.PrivateKey, f signature.Format) {
		opts := signature.Options{Remote: httpOptions, Format: f}
		if _, err := signature.Sign(ctx, reg.Host()+"/"+name+":v1", bases[name], k, opts); err != nil {
			t.Fatal(err)
		}
	}
	sign("tag", key, signature.FormatTag)
	sign("bundle", key, signature.FormatBundle)
	sign("other", other, signature.FormatTag)

	dir := t.TempDir()
	l := filepath.Join(dir, "base")
	if err := layout.Write(ctx, l, bases["tag"], layout.Options{Tags: []string{"v1"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, base string
		sign       func()
		want       error
		digest     string
	}{
		{"registry, tag scheme", reg.Host() + "/tag:v1", nil, nil, ""},
		{"registry, bundle", reg.Host() + "/bundle:v1", nil, nil, ""},
		{"registry, unsigned", reg.Host() + "/unsigned:v1", nil, signature.ErrNoSignature, bases["unsigned"].Digest().String()},
		{"registry, another key", reg.Host() + "/other:v1", nil, signature.ErrWrongKey, bases["other"].Digest().String()},
		{"layout, unsigned", l + ":v1", nil, signature.ErrNoSignature, bases["tag"].Digest().String()},
		{"layout, another key", l + ":v1", func() { signLayout(t, l, bases["tag"], other) }, signature.ErrWrongKey, bases["tag"].Digest().String()},
		{"layout, signed", l + ":v1", func() { signLayout(t, l, bases["tag"], key) }, nil, ""},
	}
	for i, tt := range tests {
		if tt.sign != nil {
			tt.sign()
		}
		b, err := build.OpenBaseWith(tt.base, httpOptions)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "out"+string(rune('a'+i)))
		_, err = build.Run(ctx, build.Recipe{
			Package:   hello(t),
			Platforms: []image.Platform{amd64},
			Base:      b,
			BaseKey:   &key.PublicKey,
			Outputs:   []build.Output{{Format: build.Layout, Path: out}},
		})
		_, statErr := os.Stat(out)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != nil && (!errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.digest)):
			t.Errorf("%s: got %v, want %v naming %s", tt.name, err, tt.want, tt.digest)
		case tt.want != nil && statErr == nil:
			t.Errorf("%s: refused, but %s was written", tt.name, out)
		}
	}
}

func TestBaseKeyRefusesOtherBases(t *testing.T) {
	key := newKey(t)
	r := build.Recipe{
		Package:   hello(t),
		Platforms: []image.Platform{amd64},
		Base:      build.BaseOf("mem", imagetest.Image(t, imagetest.Spec{Seed: 90})),
		BaseKey:   &key.PublicKey,
		Outputs:   []build.Output{{Format: build.Layout, Path: t.TempDir()}},
	}
	if err := r.Validate(); !errors.Is(err, build.ErrInvalid) || !strings.Contains(err.Error(), "registry or an OCI layout") {
		t.Errorf("BaseKey with an in-memory base: %v, want ErrInvalid", err)
	}
	r.Base = nil
	if err := r.Validate(); !errors.Is(err, build.ErrInvalid) {
		t.Errorf("BaseKey without a Base: %v, want ErrInvalid", err)
	}
}

func signLayout(t *testing.T, dir string, a image.Artifact, k *ecdsa.PrivateKey) {
	t.Helper()
	if _, err := signature.SignLayout(context.Background(), dir, a, k, signature.Options{}); err != nil {
		t.Fatal(err)
	}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := signature.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}
