// Package conformance certifies minimage's registry (internal/registry,
// served by registrytest.New and "minimage registry serve"): it runs
// the OCI distribution-spec conformance suite against it, and against
// go-containerregistry's registry for comparison, and pushes and pulls
// with real clients (go-containerregistry, oras-go, skopeo). It is a
// nested module so that the suite and the clients stay out of minimage's
// go.mod. Run it with "cd conformance && go test -v .".
package conformance

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ggcr "github.com/google/go-containerregistry/pkg/registry"
	"github.com/minimage/minimage/image/registrytest"
	"github.com/minimage/minimage/internal/registry"
)

// result is what the suite reports: its verdict and counts by status.
type result struct {
	Verdict string         // "PASS" or "FAIL"
	Counts  map[string]int // Pass, FAIL, Error, Skip, Disabled, Total
	Output  string
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// suite returns the path of the conformance binary, built by "go tool"
// from the version go.mod pins.
func suite(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		out, err := exec.Command("go", "tool", "-n", "conformance").Output()
		binPath, binErr = strings.TrimSpace(string(out)), err
	})
	if binErr != nil {
		t.Fatalf("building the conformance suite: %v", binErr)
	}
	return binPath
}

var countRE = regexp.MustCompile(`(?m)^\s+(Disabled|Skip|Pass|FAIL|Error|Total)\.*:\s+(\d+)$`)

// run runs the suite against the registry at host (HOST:PORT) with the
// extra OCI_* settings env, and returns what it reported.
func run(t *testing.T, host string, env ...string) result {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite(t))
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OCI_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "OCI_REGISTRY="+host, "OCI_TLS=disabled", "OCI_VERSION=1.1",
		"OCI_RESULTS_DIR="+dir, "OCI_LOG=error")
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	res := result{Counts: map[string]int{}, Output: out.String()}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running the conformance suite: %v\n%s", err, out.String())
	}
	sc := bufio.NewScanner(strings.NewReader(res.Output))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "OCI Conformance Result: "); ok {
			res.Verdict = strings.ToUpper(strings.TrimSpace(v))
		}
	}
	for _, m := range countRE.FindAllStringSubmatch(res.Output, -1) {
		res.Counts[m[1]], _ = strconv.Atoi(m[2])
	}
	if res.Verdict == "" || res.Counts["Total"] == 0 {
		t.Fatalf("the conformance suite reported no result:\n%s", res.Output)
	}
	return res
}

// failures returns the lines of out that report a failed test.
func failures(out string) string {
	var b strings.Builder
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, ": FAIL") || strings.Contains(l, ": Error") || strings.HasPrefix(strings.TrimSpace(l), "- ") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// TestConformance runs the suite against minimage's registry, in process,
// in each configuration a user may pick, and wants every test to pass.
func TestConformance(t *testing.T) {
	dirStorage := func(t *testing.T) registry.Storage {
		s, err := registry.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	user := []string{"OCI_USERNAME=conformance", "OCI_PASSWORD=s3cret"}
	tests := []struct {
		name string
		opts func(t *testing.T) registry.Options
		tls  bool
		env  []string
	}{
		{name: "memory"},
		{name: "dev", env: []string{"OCI_VERSION=dev"}},
		{name: "dir", opts: func(t *testing.T) registry.Options { return registry.Options{Storage: dirStorage(t)} }},
		{name: "basic", env: user, opts: func(*testing.T) registry.Options {
			return registry.Options{Auth: registry.Auth{Scheme: registry.BasicAuth, User: "conformance", Password: "s3cret"}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var opts registry.Options
			if tt.opts != nil {
				opts = tt.opts(t)
			}
			reg, err := registry.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			defer reg.Close()
			srv := httptest.NewServer(reg)
			defer srv.Close()
			wantPass(t, "minimage "+tt.name, run(t, srv.Listener.Addr().String(), tt.env...))
		})
	}
}

// wantPass fails the test unless the suite passed every test.
func wantPass(t *testing.T, name string, res result) {
	t.Helper()
	t.Logf("%s: %s, %v", name, res.Verdict, res.Counts)
	if res.Verdict != "PASS" || res.Counts["FAIL"] != 0 || res.Counts["Error"] != 0 {
		t.Errorf("%s: conformance %s, %d failed, %d errors:\n%s", name, res.Verdict, res.Counts["FAIL"], res.Counts["Error"], failures(res.Output))
	}
}

// TestConformanceRegistrytest runs the suite against registrytest.New
// as a test would start it, with TLS and bearer-token auth: the harness's
// faults and log are in the path, idle.
func TestConformanceRegistrytest(t *testing.T) {
	t.Parallel()
	reg := registrytest.New(t, registrytest.Options{TLS: true, User: "conformance", Password: "s3cret", BearerToken: true})
	// OCI_TLS=insecure still verifies certificates: the suite trusts the
	// registry's CA through SSL_CERT_FILE instead.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, reg.CAPEM(), 0o644); err != nil {
		t.Fatal(err)
	}
	wantPass(t, "imagetest TLS bearer", run(t, reg.Host(), "OCI_TLS=enabled", "SSL_CERT_FILE="+ca,
		"OCI_USERNAME=conformance", "OCI_PASSWORD=s3cret"))
	var auth, token int
	for _, r := range reg.Log() {
		if r.Status == http.StatusUnauthorized {
			auth++
		}
		if r.Path == "/token" {
			token++
		}
	}
	if auth == 0 || token == 0 {
		t.Errorf("the suite got %d challenges and %d tokens: auth was not exercised", auth, token)
	}
}

// TestConformanceServe runs the suite against "minimage registry serve",
// the registry for tests not written in Go.
func TestConformanceServe(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "minimage")
	if out, err := exec.Command("go", "build", "-C", "..", "-o", bin, "./cmd/minimage").CombinedOutput(); err != nil {
		t.Fatalf("go build minimage: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "registry", "serve", "--address", "127.0.0.1:0", "--dir", t.TempDir())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		cmd.Wait()
		t.Fatalf("minimage registry serve printed no address: %v\n%s", err, stderr.String())
	}
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			t.Errorf("minimage registry serve, interrupted: %v\n%s", err, stderr.String())
		}
	}()
	wantPass(t, "minimage registry serve --dir", run(t, strings.TrimSpace(addr)))
}

// TestConformanceGGCR runs the suite against go-containerregistry's
// registry, as "crane registry serve" runs it and with its referrers API
// on, to record where it stands beside ours; it fails only if the suite
// did not run.
func TestConformanceGGCR(t *testing.T) {
	tests := []struct {
		name string
		opts []ggcr.Option
	}{
		{name: "crane-serve"},
		{name: "referrers", opts: []ggcr.Option{ggcr.WithReferrersSupport(true)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := append([]ggcr.Option{ggcr.Logger(log.New(io.Discard, "", 0))}, tt.opts...)
			srv := httptest.NewServer(ggcr.New(opts...))
			defer srv.Close()
			res := run(t, srv.Listener.Addr().String())
			t.Logf("go-containerregistry %s: %s, %v", tt.name, res.Verdict, res.Counts)
		})
	}
}
