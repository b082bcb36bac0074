package remote

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/imagetest"
	"github.com/minimage/minimage/internal/dockerregistry"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestPushImageAndIndex(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	ctx := context.Background()
	img := imagetest.Image(t, imagetest.Spec{Seed: 1, Layers: 2, Files: 4})
	ix := imagetest.Index(t, imagetest.Spec{Seed: 2, Layers: 2, Files: 4, Platforms: []image.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}})

	for _, tc := range []struct {
		name string
		ref  string
		a    image.Artifact
		// blobs is how many blobs the first push must upload: configs,
		// layers and, for an index, its children's manifests.
		blobs int
	}{
		{"image", "app:v1", img, 3},
		{"index", "multi:v1", ix, 2 * 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mark := reg.Mark()
			got, err := Push(ctx, reg.Ref(tc.ref), tc.a, regOptions(reg))
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest != tc.a.Digest() || got.MediaType != tc.a.MediaType() || got.Size != int64(len(tc.a.RawManifest())) {
				t.Errorf("Push returned %+v, want the artifact's descriptor %+v", got, tc.a.Descriptor())
			}
			first := reg.Requests(mark)
			var puts int
			for _, e := range first {
				if e.Method == "PUT" && strings.Contains(e.Path, "/blobs/uploads/") {
					puts++
				}
			}
			if puts != tc.blobs {
				t.Errorf("first push uploaded %d blobs, want %d:\n%v", puts, tc.blobs, first)
			}
			repo, tag, _ := strings.Cut(tc.ref, ":")
			if tags := reg.Tags(repo); !slices.Equal(tags, []string{tag}) {
				t.Errorf("tags = %v, want [%s]", tags, tag)
			}
			raw := skopeoInspectRaw(t, reg, tc.ref)
			if string(raw) != string(tc.a.RawManifest()) {
				t.Errorf("skopeo inspect --raw gives other bytes than the artifact's manifest:\n%s\nwant\n%s", raw, tc.a.RawManifest())
			}

			// A re-push of what is there sends no blob, and few requests.
			mark = reg.Mark()
			if _, err := Push(ctx, reg.Ref(tc.ref), tc.a, regOptions(reg)); err != nil {
				t.Fatal(err)
			}
			again := reg.Requests(mark)
			if u := dockerregistry.Uploads(again); len(u) > 0 {
				t.Errorf("re-push sent data: %v", u)
			}
			if len(again) > 4 {
				t.Errorf("re-push took %d requests, want <= 4: %v", len(again), again)
			}
			t.Logf("first push: %d requests; re-push: %d requests %v", len(first), len(again), again)

			// Under a new tag, only the manifest goes up again.
			mark = reg.Mark()
			if _, err := Push(ctx, reg.Ref(repo+":v2"), tc.a, regOptions(reg)); err != nil {
				t.Fatal(err)
			}
			retag := dockerregistry.Uploads(reg.Requests(mark))
			if len(retag) != 1 || retag[0].Path != "/v2/"+repo+"/manifests/v2" {
				t.Errorf("push under a new tag sent %v, want only the manifest's PUT", retag)
			}
		})
	}

	t.Run("index platforms seen by skopeo", func(t *testing.T) {
		var got ocispec.Index
		if err := json.Unmarshal(skopeoInspectRaw(t, reg, "multi:v1"), &got); err != nil {
			t.Fatal(err)
		}
		var archs []string
		for _, m := range got.Manifests {
			archs = append(archs, m.Platform.Architecture)
		}
		if !slices.Equal(archs, []string{"amd64", "arm64"}) {
			t.Errorf("index platforms = %v, want [amd64 arm64]", archs)
		}
	})
}

// regOptions returns client options that trust reg's CA (or speak plain
// HTTP to it) and log in as its user.
func regOptions(reg *dockerregistry.Docker) Options {
	var o Options
	if reg.CA != nil {
		o.CAFiles = []string{reg.CA.File}
	} else {
		o.InsecureAllowHTTP = true
	}
	o.Username, o.Password = reg.User, reg.Password
	return o
}

// skopeoInspectRaw returns the manifest skopeo finds at ref in reg.
func skopeoInspectRaw(t *testing.T, reg *dockerregistry.Docker, ref string) []byte {
	t.Helper()
	skopeo := testenv.NeedTool(t, "skopeo")
	args := append([]string{"inspect", "--raw"}, reg.SkopeoFlags(t, "")...)
	out, err := exec.Command(skopeo, append(args, "docker://"+reg.Ref(ref))...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("skopeo inspect: %v\n%s", err, ee.Stderr)
		}
		t.Fatal(err)
	}
	return out
}

func TestPushDigestReference(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 3})
	ctx := context.Background()

	_, err := Push(ctx, reg.Ref("app@sha256:"+strings.Repeat("0", 64)), img, regOptions(reg))
	if !errors.Is(err, layer.ErrDigestMismatch) {
		t.Errorf("push under another digest: %v, want ErrDigestMismatch", err)
	}
	got, err := Push(ctx, reg.Ref("app@"+img.Digest().String()), img, regOptions(reg))
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != img.Digest() {
		t.Errorf("got %s, want %s", got.Digest, img.Digest())
	}
	if tags := reg.Tags("app"); len(tags) != 0 {
		t.Errorf("a push by digest made tags %v", tags)
	}
}

func TestPushAuthAndTLSErrors(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{})
	img := imagetest.Image(t, imagetest.Spec{Seed: 4})
	ctx := context.Background()
	// No credential file of the machine running the tests may answer.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	t.Setenv("REGISTRY_AUTH_FILE", "")
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("SSL_CERT_FILE", "")

	wrong := regOptions(reg)
	wrong.Password = "not-the-Passw0rd"
	anon := regOptions(reg)
	anon.Username, anon.Password = "", ""
	untrusted := regOptions(reg)
	untrusted.CAFiles = nil
	otherCA := regOptions(reg)
	otherCA.CAFiles = []string{dockerregistry.NewCA(t, "another CA").File}

	for _, tc := range []struct {
		name  string
		opts  Options
		want  error
		words []string // the message must name these
	}{
		{"wrong password", wrong, ErrUnauthorized, []string{reg.Host, "app", "401", `user "pusher" given explicitly`}},
		{"no credentials", anon, ErrUnauthorized, []string{reg.Host, "401", "none were found", "anonymous"}},
		{"untrusted CA", untrusted, ErrCertificate, []string{reg.Host, "certificate", "CAFiles"}},
		{"another CA", otherCA, ErrCertificate, []string{reg.Host, "certificate"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mark := reg.Mark()
			_, err := Push(ctx, reg.Ref("app:v1"), img, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var re *Error
			if !errors.As(err, &re) {
				t.Errorf("err is %T, want *Error", err)
			}
			msg := err.Error()
			t.Logf("error: %s", msg)
			for _, w := range tc.words {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			for _, secret := range []string{reg.Password, wrong.Password, "_state", "Basic "} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q shows %q", msg, secret)
				}
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error is not one line: %q", msg)
			}
			if u := dockerregistry.Uploads(reg.Requests(mark)); len(u) > 0 {
				t.Errorf("a failed push sent %v", u)
			}
			if tags := reg.Tags("app"); len(tags) != 0 {
				t.Errorf("a failed push made tags %v", tags)
			}
		})
	}

	t.Run("SSL_CERT_FILE", func(t *testing.T) {
		t.Setenv("SSL_CERT_FILE", reg.CA.File)
		if _, err := Push(ctx, reg.Ref("app:ssl"), img, untrusted); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("InsecureSkipTLSVerify", func(t *testing.T) {
		o := untrusted
		o.InsecureSkipTLSVerify = true
		if _, err := Push(ctx, reg.Ref("app:skip"), img, o); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("plain HTTP to a TLS registry", func(t *testing.T) {
		o := regOptions(reg)
		o.InsecureAllowHTTP = true
		_, err := Push(ctx, reg.Ref("app:http"), img, o)
		t.Logf("error: %v", err)
		if err == nil {
			t.Fatal("plain HTTP to a TLS port succeeded")
		}
	})
}

func TestPushPlainHTTP(t *testing.T) {
	reg := dockerregistry.Start(t, dockerregistry.Config{NoTLS: true, NoAuth: true})
	img := imagetest.Image(t, imagetest.Spec{Seed: 5})
	ctx := context.Background()

	_, err := Push(ctx, reg.Ref("app:v1"), img, Options{})
	t.Logf("error: %v", err)
	if err == nil || !strings.Contains(err.Error(), "InsecureAllowHTTP") {
		t.Errorf("HTTPS to a plain-HTTP registry: %v, want an error naming InsecureAllowHTTP", err)
	}
	if _, err := Push(ctx, reg.Ref("app:v1"), img, Options{InsecureAllowHTTP: true}); err != nil {
		t.Fatal(err)
	}
	if raw := skopeoInspectRaw(t, reg, "app:v1"); string(raw) != string(img.RawManifest()) {
		t.Errorf("skopeo sees another manifest")
	}
}
