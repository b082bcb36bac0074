package dockerregistry

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Docker is Debian's docker-registry (distribution 2.8) run by a test:
// TLS with a CA the test made, htpasswd basic auth, storage and logs in a
// temporary directory. The process is killed when the test ends.
type Docker struct {
	t   testing.TB
	bin string
	cfg Config

	Dir      string // holds config.yml, the logs and data/, the storage
	Host     string // 127.0.0.1:PORT
	CA       *CA    // nil with Config.NoTLS
	User     string // empty with Config.NoAuth
	Password string

	accessLog string // the access log (the process's stdout)
	appLog    string // everything else (its stderr)

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}

	mu2        sync.Mutex
	transports []*http.Transport
}

// Config switches off parts of the default set-up.
type Config struct {
	NoTLS  bool // serve plain HTTP
	NoAuth bool // no htpasswd: anyone may push
}

// Start starts a registry for t, or skips t when docker-registry is not
// installed (fails it under CI=true). It is killed when t ends.
func Start(t testing.TB, cfg Config) *Docker {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		// As testenv.NeedTool, which a helper outside the tests may not
		// import: CI installs every tool, so there a missing one fails.
		if os.Getenv("CI") == "true" {
			t.Fatal("docker-registry is missing; .ci/run installs it (CI=true makes that a failure)")
		}
		t.Skip("docker-registry not installed (apt-get install docker-registry)")
	}
	dir := t.TempDir()
	r := &Docker{
		t: t, bin: bin, Dir: dir, cfg: cfg,
		accessLog: filepath.Join(dir, "access.log"),
		appLog:    filepath.Join(dir, "registry.log"),
	}
	if !cfg.NoAuth {
		r.User, r.Password = "pusher", "s3cret-Passw0rd"
	}
	r.Host = net.JoinHostPort("127.0.0.1", freePort(t))

	var tlsConf, authConf string
	if !cfg.NoTLS {
		r.CA = NewCA(t, "minimage test CA")
		cert, key, _ := r.CA.ServerCert(t, dir)
		tlsConf = fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\n", cert, key)
	}
	if !cfg.NoAuth {
		hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(r.User+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		authConf = fmt.Sprintf("auth:\n  htpasswd:\n    realm: minimage-test\n    path: %s\n", htpasswd)
	}
	config := fmt.Sprintf(`version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: a-fixed-secret-so-restarts-keep-upload-state
%s%s`, filepath.Join(dir, "data"), r.Host, tlsConf, authConf)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	r.Restart()
	t.Cleanup(r.Kill)
	return r
}

// Ref returns HOST/repoTag.
func (r *Docker) Ref(repoTag string) string { return r.Host + "/" + repoTag }

// Restart starts the registry process again after Kill, on the same
// port and storage, and waits until it answers.
func (r *Docker) Restart() {
	r.t.Helper()
	if err := r.RestartErr(); err != nil {
		r.t.Fatal(err)
	}
}

// RestartErr is Restart for goroutines other than the test's, which may
// not call t.Fatal.
func (r *Docker) RestartErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	out, err := os.OpenFile(r.accessLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	errf, err := os.OpenFile(r.appLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer errf.Close()
	cmd := exec.Command(r.bin, "serve", filepath.Join(r.Dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = out, errf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start docker-registry: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	r.cmd, r.exited = cmd, exited

	client := r.Client()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("docker-registry exited at start:\n%s", r.tail(r.appLog))
		default:
		}
		resp, err := client.Get(r.URL("/v2/"))
		if err == nil {
			resp.Body.Close()
			client.CloseIdleConnections()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("docker-registry did not answer within 15s: %v\n%s", err, r.tail(r.appLog))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill kills the registry process at once (SIGKILL) and waits for it.
func (r *Docker) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.exited
	r.cmd = nil
	r.closeIdle()
}

// URL returns the registry's URL for path, such as "/v2/".
func (r *Docker) URL(path string) string {
	scheme := "https"
	if r.cfg.NoTLS {
		scheme = "http"
	}
	return scheme + "://" + r.Host + path
}

// Client returns a plain client that trusts the registry's CA and sends
// no credentials. Each call makes a new one, whose connections close when
// the registry is killed or the test ends; one shared client would let
// one test's idle connections show in another's goroutine count.
func (r *Docker) Client() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if r.CA != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: r.CA.Pool()}
	}
	r.mu2.Lock()
	r.transports = append(r.transports, t)
	r.mu2.Unlock()
	return &http.Client{Transport: t, Timeout: 5 * time.Second}
}

// closeIdle closes the idle connections of every client Client made.
func (r *Docker) closeIdle() {
	r.mu2.Lock()
	defer r.mu2.Unlock()
	for _, t := range r.transports {
		t.CloseIdleConnections()
	}
}

// Entry is one line of the access log.
type Entry struct {
	Method, Path string
	Status       int
}

func (e Entry) String() string { return fmt.Sprintf("%s %s %d", e.Method, e.Path, e.Status) }

var accessLine = regexp.MustCompile(`"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3}) `)

// Mark returns the access log's length, for Requests to count from.
func (r *Docker) Mark() int64 {
	r.settle()
	fi, err := os.Stat(r.accessLog)
	if err != nil {
		r.t.Fatal(err)
	}
	return fi.Size()
}

// Requests returns the requests logged since mark, waiting until the log
// stops growing: the registry writes a line after it has answered.
func (r *Docker) Requests(mark int64) []Entry {
	r.t.Helper()
	r.settle()
	data, err := os.ReadFile(r.accessLog)
	if err != nil {
		r.t.Fatal(err)
	}
	var es []Entry
	sc := bufio.NewScanner(bytes.NewReader(data[mark:]))
	for sc.Scan() {
		m := accessLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var st int
		fmt.Sscan(m[3], &st)
		es = append(es, Entry{Method: m[1], Path: m[2], Status: st})
	}
	return es
}

// settle waits until the access log has not grown for 150ms.
func (r *Docker) settle() {
	var last int64 = -1
	for range 40 {
		fi, err := os.Stat(r.accessLog)
		if err == nil && fi.Size() == last {
			return
		}
		if err == nil {
			last = fi.Size()
		}
		time.Sleep(150 * time.Millisecond)
	}
}

// Tags lists the repository's tags, asking the registry directly.
func (r *Docker) Tags(repo string) []string {
	r.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, r.URL("/v2/"+repo+"/tags/list"), nil)
	if !r.cfg.NoAuth {
		req.SetBasicAuth(r.User, r.Password)
	}
	client := r.Client()
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	if resp.StatusCode != http.StatusOK {
		r.t.Fatalf("GET tags of %s: %s", repo, resp.Status)
	}
	var body struct{ Tags []string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		r.t.Fatal(err)
	}
	return body.Tags
}

func (r *Docker) tail(path string) string {
	data, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return strings.Join(lines, "\n")
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// BlobPath returns the file in the registry's storage that holds the
// blob of digest d ("sha256:…"), for a test that corrupts it.
func (r *Docker) BlobPath(d string) string {
	alg, hex, _ := strings.Cut(d, ":")
	return filepath.Join(r.Dir, "data", "docker", "registry", "v2", "blobs", alg, hex[:2], hex, "data")
}

// Uploads returns the requests of es that send data: POST, PUT and PATCH.
func Uploads(es []Entry) []Entry {
	var out []Entry
	for _, e := range es {
		if e.Method == "POST" || e.Method == "PUT" || e.Method == "PATCH" {
			out = append(out, e)
		}
	}
	return out
}

// SkopeoFlags returns the flags that make skopeo trust and log in to r,
// for skopeo inspect; prefix is "src-" or "dest-" for skopeo copy.
func (r *Docker) SkopeoFlags(t testing.TB, prefix string) []string {
	t.Helper()
	var flags []string
	if r.CA != nil {
		certDir := t.TempDir()
		data, err := os.ReadFile(r.CA.File)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(certDir, "ca.crt"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		flags = append(flags, "--"+prefix+"cert-dir", certDir)
	} else {
		flags = append(flags, "--"+prefix+"tls-verify=false")
	}
	if r.User != "" {
		flags = append(flags, "--"+prefix+"creds", r.User+":"+r.Password)
	}
	return flags
}
