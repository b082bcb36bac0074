package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/image/layout"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/dockerregistry"
)

// registryCmd runs runPush or runPull with password on stdin.
func registryCmd(t *testing.T, password string, f func(context.Context, []string, io.Reader, *bytes.Buffer, *bytes.Buffer) error, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := f(context.Background(), args, strings.NewReader(password+"\n"), &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func push(ctx context.Context, args []string, in io.Reader, o, e *bytes.Buffer) error {
	return runPush(ctx, args, in, o, e)
}
func pull(ctx context.Context, args []string, in io.Reader, o, e *bytes.Buffer) error {
	return runPull(ctx, args, in, o, e)
}

func TestPushPullCommands(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	img := imagetest.Image(t, imagetest.Spec{Seed: 61, Layers: 2})
	ix := imagetest.Index(t, imagetest.Spec{Seed: 62, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}})
	dir := imagetest.WriteLayout(t, img, "v1")
	tar := imagetest.WriteTarball(t, ix, "multi:v2")
	login := []string{"--ca-file", reg.CA.File, "--username", reg.User, "--password-stdin"}

	t.Run("push a layout", func(t *testing.T) {
		out, errs, err := registryCmd(t, reg.Password, push, append(login, dir+":v1", reg.Ref("app:v1"))...)
		if err != nil {
			t.Fatalf("%v\n%s", err, errs)
		}
		if want := reg.Ref("app:v1") + "@" + img.Digest().String() + "\n"; out != want {
			t.Errorf("stdout %q, want %q", out, want)
		}
		if !strings.Contains(errs, "pushed") {
			t.Errorf("no progress on stderr: %q", errs)
		}
	})
	t.Run("push an index from a tarball, JSON and image refs", func(t *testing.T) {
		refs := filepath.Join(t.TempDir(), "refs")
		out, errs, err := registryCmd(t, reg.Password, push, append(login, "-q", "--json", "--image-refs", refs, tar, reg.Ref("multi:v2"))...)
		if err != nil {
			t.Fatalf("%v\n%s", err, errs)
		}
		if errs != "" {
			t.Errorf("-q printed %q", errs)
		}
		var got struct{ Reference, Digest, MediaType string }
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if got.Digest != ix.Digest().String() || got.MediaType != ix.MediaType() {
			t.Errorf("JSON %+v, want the index's digest %s", got, ix.Digest())
		}
		data, _ := os.ReadFile(refs)
		if string(data) != got.Reference+"\n" {
			t.Errorf("--image-refs wrote %q, want %q", data, got.Reference)
		}
	})
	t.Run("pull into a layout", func(t *testing.T) {
		o := filepath.Join(t.TempDir(), "oci")
		if _, errs, err := registryCmd(t, reg.Password, pull, append(login, reg.Ref("app:v1"), "-o", o)...); err != nil {
			t.Fatalf("%v\n%s", err, errs)
		}
		l, err := layout.Read(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range []string{"v1", reg.Ref("app:v1")} {
			a, err := l.Artifact(context.Background(), tag)
			if err != nil {
				t.Fatal(err)
			}
			if a.Digest() != img.Digest() {
				t.Errorf("%s: pulled %s, want %s", tag, a.Digest(), img.Digest())
			}
		}
	})
	t.Run("pull one platform into a tarball", func(t *testing.T) {
		o := filepath.Join(t.TempDir(), "arm.tar")
		if _, errs, err := registryCmd(t, reg.Password, pull, append(login, "--platform", "linux/arm64", reg.Ref("multi:v2"), "-o", o)...); err != nil {
			t.Fatalf("%v\n%s", err, errs)
		}
		tb, err := tarball.Read(o)
		if err != nil {
			t.Fatal(err)
		}
		got, err := tb.Image(context.Background(), reg.Ref("multi:v2"), image.Platform{})
		if err != nil {
			t.Fatalf("%v (tags %v)", err, tb.Tags())
		}
		if want := ix.Images()[1]; got.Digest() != want.Digest() {
			t.Errorf("pulled %s, want the arm64 image %s", got.Digest(), want.Digest())
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		_, _, err := registryCmd(t, "not-it", push, append(login, dir+":v1", reg.Ref("app:bad"))...)
		if err == nil || !strings.Contains(err.Error(), reg.Host) || strings.Contains(err.Error(), "not-it") {
			t.Errorf("err = %v, want one naming the registry without the password", err)
		}
		if tags := reg.Tags("app"); len(tags) != 1 {
			t.Errorf("tags %v after a failed push", tags)
		}
	})
}

func TestRegistryFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--username", "u", "src", "reg.example/app"},  // no --password-stdin
		{"--password-stdin", "src", "reg.example/app"}, // no --username
		{"--jobs", "0", "src", "reg.example/app"},      // no jobs
		{"src"}, // no destination
		{"--retries", "-1", "src", "reg.example/app"},          // negative
		{"--timeout", "-1s", "src", "reg.example/app"},         // negative
		{"--no-such-flag", "src", "reg.example/app"},           // unknown
		{"--insecure-skip-tls-verify=maybe", "src", "reg/app"}, // not a bool
	} {
		_, _, err := registryCmd(t, "pw", push, args...)
		if !errors.Is(err, errUsage) {
			t.Errorf("push %q: %v, want a usage error", args, err)
		}
	}
	if _, _, err := registryCmd(t, "pw", pull, "reg.example/app"); !errors.Is(err, errUsage) {
		t.Errorf("pull without -o: %v, want a usage error", err)
	}
}
