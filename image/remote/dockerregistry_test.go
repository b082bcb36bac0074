package remote

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
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

	"github.com/minimage/minimage/internal/testenv"
	"golang.org/x/crypto/bcrypt"
)

// dockerRegistry is Debian's docker-registry (distribution 2.8) run by a
// test: TLS with a CA the test made, htpasswd basic auth, storage and
// logs in a temporary directory. The process is killed when the test
// ends.
type dockerRegistry struct {
	t        testing.TB
	bin, dir string
	cfg      registryConfig

	Host     string // 127.0.0.1:PORT
	CA       *testCA
	User     string
	Password string

	accessLog string // the access log (the process's stdout)
	appLog    string // everything else (its stderr)

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
}

// registryConfig switches off parts of the default set-up.
type registryConfig struct {
	NoTLS  bool // serve plain HTTP
	NoAuth bool // no htpasswd: anyone may push
}

// startDockerRegistry starts a registry for t, or skips t when
// docker-registry is not installed (fails it under CI=true).
func startDockerRegistry(t testing.TB, cfg registryConfig) *dockerRegistry {
	t.Helper()
	bin := testenv.NeedTool(t, "docker-registry")
	dir := t.TempDir()
	r := &dockerRegistry{
		t: t, bin: bin, dir: dir, cfg: cfg,
		User: "pusher", Password: "s3cret-Passw0rd",
		accessLog: filepath.Join(dir, "access.log"),
		appLog:    filepath.Join(dir, "registry.log"),
	}
	r.Host = net.JoinHostPort("127.0.0.1", freePort(t))

	var tlsConf, authConf string
	if !cfg.NoTLS {
		r.CA = newTestCA(t, "minimage test CA")
		cert, key, _ := r.CA.serverCert(t, dir)
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
	r.Start()
	t.Cleanup(r.Kill)
	return r
}

// Options returns client options that trust the registry's CA and log
// in as its user.
func (r *dockerRegistry) Options() Options {
	var o Options
	if r.CA != nil {
		o.CAFiles = []string{r.CA.File}
	} else {
		o.InsecureAllowHTTP = true
	}
	if !r.cfg.NoAuth {
		o.Username, o.Password = r.User, r.Password
	}
	return o
}

// Ref returns HOST/repo:tag.
func (r *dockerRegistry) Ref(repoTag string) string { return r.Host + "/" + repoTag }

// Start starts the registry process and waits until it answers.
func (r *dockerRegistry) Start() {
	r.t.Helper()
	if err := r.start(); err != nil {
		r.t.Fatal(err)
	}
}

// start is Start for goroutines other than the test's.
func (r *dockerRegistry) start() error {
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
	cmd := exec.Command(r.bin, "serve", filepath.Join(r.dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = out, errf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start docker-registry: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	r.cmd, r.exited = cmd, exited

	client := r.probeClient()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			return fmt.Errorf("docker-registry exited at start:\n%s", r.tail(r.appLog))
		default:
		}
		resp, err := client.Get(r.url("/v2/"))
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("docker-registry did not answer within 15s: %v\n%s", err, r.tail(r.appLog))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill kills the registry process at once (SIGKILL) and waits for it.
func (r *dockerRegistry) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.exited
	r.cmd = nil
}

func (r *dockerRegistry) url(path string) string {
	scheme := "https"
	if r.cfg.NoTLS {
		scheme = "http"
	}
	return scheme + "://" + r.Host + path
}

// probeClient is a plain client trusting the registry's CA.
func (r *dockerRegistry) probeClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if r.CA != nil {
		t.TLSClientConfig = &tls.Config{RootCAs: r.CA.pool()}
	}
	return &http.Client{Transport: t, Timeout: 5 * time.Second}
}

// accessEntry is one line of the access log.
type accessEntry struct {
	Method, Path string
	Status       int
}

func (e accessEntry) String() string { return fmt.Sprintf("%s %s %d", e.Method, e.Path, e.Status) }

var accessLine = regexp.MustCompile(`"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3}) `)

// Mark returns the access log's length, for Requests to count from.
func (r *dockerRegistry) Mark() int64 {
	r.settle()
	fi, err := os.Stat(r.accessLog)
	if err != nil {
		r.t.Fatal(err)
	}
	return fi.Size()
}

// Requests returns the requests logged since mark, waiting until the log
// stops growing: the registry writes a line after it has answered.
func (r *dockerRegistry) Requests(mark int64) []accessEntry {
	r.t.Helper()
	r.settle()
	data, err := os.ReadFile(r.accessLog)
	if err != nil {
		r.t.Fatal(err)
	}
	var es []accessEntry
	sc := bufio.NewScanner(bytes.NewReader(data[mark:]))
	for sc.Scan() {
		m := accessLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		var st int
		fmt.Sscan(m[3], &st)
		es = append(es, accessEntry{Method: m[1], Path: m[2], Status: st})
	}
	return es
}

// settle waits until the access log has not grown for 150ms.
func (r *dockerRegistry) settle() {
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
func (r *dockerRegistry) Tags(repo string) []string {
	r.t.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, r.url("/v2/"+repo+"/tags/list"), nil)
	if !r.cfg.NoAuth {
		req.SetBasicAuth(r.User, r.Password)
	}
	resp, err := r.probeClient().Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var body struct{ Tags []string }
	if err := jsonDecode(resp, &body); err != nil {
		r.t.Fatal(err)
	}
	return body.Tags
}

func (r *dockerRegistry) tail(path string) string {
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
