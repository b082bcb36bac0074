//go:build linux

package interop

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/internal/testenv"
)

// The engine tests start their own dockerd (over its own containerd) and
// podman, each keeping all of its state in the test's temporary
// directory, load the tarballs that the minimage CLI builds from
// examples/hello, and run them with no network, as the images' user. An
// engine that is missing or does not start is skipped, except under
// CI=true, where the test fails with the tail of the engine's log.

const (
	engineStartTimeout = 30 * time.Second // a start takes about a second here
	engineCmdTimeout   = 2 * time.Minute  // one load or run
	engineStopTimeout  = 15 * time.Second // SIGTERM, then SIGKILL
)

func TestDocker(t *testing.T) {
	e := startDocker(t)
	runHelloImages(t, e, "run", "--rm", "--pull", "never", "--network", "none")
}

func TestPodman(t *testing.T) {
	e := startPodman(t)
	// podman's default ulimits exceed this machine's hard limits (runc
	// then fails with "error setting rlimit type 7: operation not
	// permitted"), so the run sets its own.
	runHelloImages(t, e, "run", "--rm", "--pull", "never", "--runtime", "runc", "--network", "none",
		"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")
}

// helloCase is one image built from examples/hello and what running it prints.
type helloCase struct {
	name     string   // the tag, minimage/engines:NAME
	build    []string // minimage build flags
	platform string   // the image's os/arch
	args     []string // arguments to the entrypoint
	stdout   []string // what it prints, line by line
	stderr   *regexp.Regexp
	exit     int
}

func helloCases() []helloCase {
	host := "linux/" + runtime.GOARCH
	roots := fmt.Sprintf("CA roots: %d certificates in /etc/ssl/certs/ca-certificates.crt", certs.Count()-certs.Constrained())
	full := []string{"hello from minimage", roots, "time zone: Europe/Paris, offset at the Unix epoch +01:00", "user: uid 65532 gid 65532", "tmp: writable"}
	return []helloCase{
		{name: "default", build: []string{"--zones", "Europe/Paris"}, platform: host, stdout: full},
		// --bare holds the binary alone: no CA bundle, no zones and no
		// /tmp (the README's "What a bare image breaks"). UTC needs no
		// zone file, so hello gets as far as the user and the temp dir.
		{name: "bare", build: []string{"--bare"}, platform: host, args: []string{"-zone", "UTC"},
			stdout: []string{"hello from minimage", "CA roots: 0 certificates in /etc/ssl/certs/ca-certificates.crt", "time zone: UTC, offset at the Unix epoch +00:00", "user: uid 65532 gid 65532"},
			stderr: regexp.MustCompile(`(?m)^hello: writing to the temp dir: open /tmp/hello-\d+: no such file or directory$`), exit: 1},
		{name: "arm64", build: []string{"--platform", "linux/arm64", "--zones", "Europe/Paris"}, platform: "linux/arm64", stdout: full},
	}
}

// runHelloImages loads each hello image into e and runs it with the
// client arguments run (the image reference and the entrypoint's
// arguments follow).
func runHelloImages(t *testing.T, e *engine, run ...string) {
	tars := helloTarballs(t)
	for _, tc := range helloCases() {
		t.Run(tc.name, func(t *testing.T) {
			if arch := strings.TrimPrefix(tc.platform, "linux/"); arch != runtime.GOARCH {
				needBinfmt(t, arch)
			}
			ref := "minimage/engines:" + tc.name
			if out := e.run(t, "load", "-i", tars[tc.name]); !strings.Contains(out, "Loaded image: ") || !strings.Contains(out, ref) {
				t.Errorf("%s load printed %q, want it to name %s", e.name, out, ref)
			}
			// The engine keeps the config minimage wrote: the image ID is
			// the config's digest.
			got := strings.Fields(e.run(t, "image", "inspect", "--format", "{{.Id}} {{.Os}}/{{.Architecture}}", ref))
			cfg := configDigest(t, tars[tc.name])
			if len(got) != 2 || strings.TrimPrefix(got[0], "sha256:") != strings.TrimPrefix(cfg, "sha256:") || got[1] != tc.platform {
				t.Errorf("%s image inspect: %q, want ID %s and platform %s", e.name, got, cfg, tc.platform)
			}

			args := append(append(slices.Clip(run), "--platform", tc.platform, ref), tc.args...)
			stdout, stderr, err := e.exec(t, args...)
			code := 0
			if exit := (*exec.ExitError)(nil); errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatalf("%s %s: %v\n%s", e.name, strings.Join(args, " "), err, e.logTail())
			}
			if code != tc.exit {
				t.Errorf("%s run exited %d, want %d; stderr:\n%s%s", e.name, code, tc.exit, stderr, e.logTail())
			}
			if lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n"); !slices.Equal(lines, tc.stdout) {
				t.Errorf("%s run printed\n%s\nwant\n%s", e.name, stdout, strings.Join(tc.stdout, "\n"))
			}
			if tc.stderr != nil && !tc.stderr.MatchString(stderr) {
				t.Errorf("%s run's stderr:\n%s\nwant a line matching %s", e.name, stderr, tc.stderr)
			}
		})
	}
}

var (
	helloOnce sync.Once
	helloTars map[string]string // case name -> tarball
	helloErr  error
)

// helloTarballs builds the minimage CLI and, with it, a tarball for each
// of helloCases, once per test binary.
func helloTarballs(t *testing.T) map[string]string {
	t.Helper()
	helloOnce.Do(func() { helloTars, helloErr = buildHelloTarballs() })
	if helloErr != nil {
		t.Fatal(helloErr)
	}
	return helloTars
}

func buildHelloTarballs() (map[string]string, error) {
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "minimage-engines-")
	if err != nil {
		return nil, err
	}
	atExit = append(atExit, func() { os.RemoveAll(dir) })
	cli := filepath.Join(dir, "minimage")
	cmd := exec.Command("go", "build", "-o", cli, "./cmd/minimage")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build ./cmd/minimage: %v\n%s", err, out)
	}
	tars := map[string]string{}
	for _, tc := range helloCases() {
		tars[tc.name] = filepath.Join(dir, tc.name+".tar")
		args := append([]string{"build", "-q", "-t", "minimage/engines:" + tc.name, "-o", tars[tc.name]}, tc.build...)
		cmd := exec.Command(cli, append(args, "./examples/hello")...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("minimage %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return tars, nil
}

// configDigest reads the config's digest from the docker manifest.json
// in the tarball at path.
func configDigest(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s: no manifest.json: %v", path, err)
		}
		if h.Name != "manifest.json" {
			continue
		}
		var m []struct{ Config string }
		if err := json.NewDecoder(tr).Decode(&m); err != nil || len(m) != 1 || !strings.HasPrefix(m[0].Config, "blobs/sha256/") {
			t.Fatalf("%s: manifest.json %+v: %v", path, m, err)
		}
		return "sha256:" + strings.TrimPrefix(m[0].Config, "blobs/sha256/")
	}
}

// needBinfmt skips the test unless the kernel runs arch's binaries
// through qemu, registered with the F flag so that the interpreter needs
// no path inside the container; under CI=true, .ci/run registers it and
// its absence fails the test.
func needBinfmt(t *testing.T, arch string) {
	t.Helper()
	name := map[string]string{"arm64": "aarch64", "amd64": "x86_64"}[arch]
	b, err := os.ReadFile("/proc/sys/fs/binfmt_misc/qemu-" + name)
	if err == nil && strings.HasPrefix(string(b), "enabled\n") && regexp.MustCompile(`(?m)^flags: \S*F`).Match(b) {
		return
	}
	msg := fmt.Sprintf("running %s images needs qemu-%s registered in /proc/sys/fs/binfmt_misc with the F flag (.ci/run registers /usr/lib/binfmt.d/qemu-%s.conf); have %q, %v", arch, name, name, b, err)
	if testenv.InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// engine is a container engine's client, set up to talk to the engine
// that one test started.
type engine struct {
	name string
	argv []string // the client and its global flags
	env  []string
	logs []string // what explains a failure
}

// run runs the client with args and returns its stdout; a failure fails
// the test with the client's output and the engine's log.
func (e *engine) run(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, err := e.exec(t, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s%s", e.name, strings.Join(args, " "), err, stdout, stderr, e.logTail())
	}
	return stdout
}

// exec runs the client with args, for at most engineCmdTimeout.
func (e *engine) exec(t *testing.T, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(t.Context(), engineCmdTimeout)
	defer cancel()
	var o, eb bytes.Buffer
	cmd := exec.CommandContext(ctx, e.argv[0], append(slices.Clip(e.argv[1:]), args...)...)
	cmd.Env, cmd.Stdout, cmd.Stderr, cmd.WaitDelay = e.env, &o, &eb, 5*time.Second
	err = cmd.Run()
	return o.String(), eb.String(), err
}

func (e *engine) logTail() string { return logTail(e.logs...) }

// unavailable skips the test because the engine did not start, or fails
// it under CI=true, where .ci/run installs the engine and it must start.
func (e *engine) unavailable(t *testing.T, err error) {
	t.Helper()
	msg := fmt.Sprintf("%s does not start here: %v%s", e.name, err, e.logTail())
	if testenv.InCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// startDocker starts containerd and dockerd with their state, sockets
// and logs in a temporary directory, and stops them when the test ends.
func startDocker(t *testing.T) *engine {
	testenv.NeedRoot(t)
	dockerd, containerd := testenv.NeedTool(t, "dockerd"), testenv.NeedTool(t, "containerd")
	client := testenv.NeedTool(t, "docker")
	testenv.NeedTool(t, "runc")
	dir := t.TempDir()
	var daemons []*daemon
	t.Cleanup(func() {
		for _, d := range slices.Backward(daemons) {
			d.stop(t)
		}
		reap(t, dir)
	})
	sock := filepath.Join(dir, "docker.sock")
	e := &engine{
		name: "docker",
		argv: []string{client},
		env: append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "DOCKER_") }),
			"DOCKER_HOST=unix://"+sock, "DOCKER_CONFIG="+filepath.Join(dir, "client")),
		logs: []string{filepath.Join(dir, "dockerd.log"), filepath.Join(dir, "containerd.log")},
	}
	start := time.Now()

	// dockerd would use the machine's containerd where one runs (.ci/run
	// starts one for ctr): its own, given with --containerd, keeps the
	// containers' state here too.
	ctd := filepath.Join(dir, "containerd")
	conf := filepath.Join(dir, "containerd.toml")
	if err := os.WriteFile(conf, fmt.Appendf(nil, `version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[debug]
  level = "warn"
[grpc]
  address = %q
[ttrpc]
  address = %q
[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, filepath.Join(ctd, "root"), filepath.Join(ctd, "state"), filepath.Join(dir, "containerd.sock"),
		filepath.Join(dir, "containerd.sock.ttrpc"), filepath.Join(ctd, "opt")), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := startDaemon(e.logs[1], containerd, "--config", conf)
	if err != nil {
		e.unavailable(t, err)
	}
	daemons = append(daemons, d)
	if err := d.waitFor(func() error { _, err := os.Stat(filepath.Join(dir, "containerd.sock")); return err }); err != nil {
		e.unavailable(t, fmt.Errorf("containerd: %w", err))
	}

	// A daemon.json of its own: the machine's /etc/docker/daemon.json
	// could contradict these flags.
	daemonJSON := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(daemonJSON, []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err = startDaemon(e.logs[0], dockerd,
		"--config-file", daemonJSON,
		"--containerd", filepath.Join(dir, "containerd.sock"),
		"--data-root", filepath.Join(dir, "data"),
		"--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"),
		"-H", "unix://"+sock,
		// No networks to set up: the containers run with --network none.
		"--iptables=false", "--ip6tables=false", "--bridge=none",
		"--storage-driver=vfs", "--exec-opt", "native.cgroupdriver=cgroupfs",
		"--log-level", "warn")
	if err != nil {
		e.unavailable(t, err)
	}
	daemons = append(daemons, d)
	ping := &http.Client{Timeout: time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	if err := d.waitFor(func() error {
		resp, err := ping.Get("http://docker/_ping")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /_ping: %s", resp.Status)
		}
		return nil
	}); err != nil {
		e.unavailable(t, fmt.Errorf("dockerd: %w", err))
	}
	t.Logf("dockerd %s answered %v after the start", strings.TrimSpace(e.run(t, "version", "--format", "{{.Server.Version}}")), time.Since(start).Round(time.Millisecond))
	return e
}

// startPodman sets podman up with its storage, state and temporary files
// in a temporary directory; podman has no daemon, so the start is its
// first command, podman info, which sets the storage up.
func startPodman(t *testing.T) *engine {
	testenv.NeedRoot(t)
	podman := testenv.NeedTool(t, "podman")
	testenv.NeedTool(t, "runc")
	dir := t.TempDir()
	t.Cleanup(func() { reap(t, dir) })
	e := &engine{
		name: "podman",
		argv: []string{podman,
			"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
			"--tmpdir", filepath.Join(dir, "libpod"), "--volumepath", filepath.Join(dir, "volumes"),
			"--network-config-dir", filepath.Join(dir, "networks"),
			"--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "none"},
		// Images are unpacked through TMPDIR (/var/tmp by default).
		env:  append(os.Environ(), "TMPDIR="+filepath.Join(dir, "tmp")),
		logs: []string{filepath.Join(dir, "info.log")},
	}
	if err := os.Mkdir(filepath.Join(dir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	stdout, stderr, err := e.exec(t, "info", "--format", "{{.Version.Version}} {{.Store.GraphDriverName}} {{.Host.CgroupManager}}")
	if err != nil {
		os.WriteFile(e.logs[0], []byte(stdout+stderr), 0o644)
		e.unavailable(t, err)
	}
	t.Logf("podman %s answered %v after the start", strings.TrimSpace(stdout), time.Since(start).Round(time.Millisecond))
	return e
}

// daemon is a process started by a test, with its output in a log file.
type daemon struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited
}

func startDaemon(log string, argv ...string) (*daemon, error) {
	f, err := os.Create(log)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	// Killed with the test binary, should it die before its cleanups run.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, err
	}
	d := &daemon{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		f.Close()
		close(d.done)
	}()
	return d, nil
}

// waitFor polls ready until it returns nil, the daemon exits, or
// engineStartTimeout passes.
func (d *daemon) waitFor(ready func() error) error {
	deadline := time.Now().Add(engineStartTimeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-d.done:
			return fmt.Errorf("%s exited: %v", filepath.Base(d.cmd.Path), d.cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %w", filepath.Base(d.cmd.Path), engineStartTimeout, err)
		}
	}
}

// stop sends SIGTERM, and SIGKILL if the daemon has not exited within
// engineStopTimeout.
func (d *daemon) stop(t *testing.T) {
	select {
	case <-d.done:
		t.Logf("%s had exited before the test stopped it: %v", filepath.Base(d.cmd.Path), d.cmd.ProcessState)
		return
	default:
	}
	start := time.Now()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(engineStopTimeout):
		t.Logf("%s ignored SIGTERM for %v; killing it", filepath.Base(d.cmd.Path), engineStopTimeout)
		d.cmd.Process.Kill()
		<-d.done
	}
	t.Logf("%s stopped in %v", filepath.Base(d.cmd.Path), time.Since(start).Round(time.Millisecond))
}

// reap kills every process whose command line names dir, which only the
// engine the test started and its children do (containerd shims and
// conmon outlive the command that started them), then unmounts what is
// still mounted under dir, so that the test can remove it.
func reap(t *testing.T, dir string) {
	ents, _ := os.ReadDir("/proc")
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if err == nil && (bytes.Contains(cmdline, []byte(dir+"/")) || bytes.Contains(cmdline, []byte(dir+"\x00"))) {
			t.Logf("killing process %d, left behind: %s", pid, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '}))
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	mountinfo, _ := os.ReadFile("/proc/self/mountinfo")
	var mounts []string
	for line := range strings.Lines(string(mountinfo)) {
		// The fifth field is the mount point, with spaces and the like
		// written as octal escapes.
		if f := strings.Fields(line); len(f) > 4 {
			if p := unescapeMount(f[4]); strings.HasPrefix(p, dir+"/") || p == dir {
				mounts = append(mounts, p)
			}
		}
	}
	// Deepest first.
	slices.SortFunc(mounts, func(a, b string) int { return len(b) - len(a) })
	for _, p := range mounts {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil {
			t.Logf("unmount %s: %v", p, err)
		}
	}
}

func unescapeMount(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// logTail returns the last lines of each log file, to explain a failure.
func logTail(logs ...string) string {
	const n = 30
	var b strings.Builder
	for _, p := range logs {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		fmt.Fprintf(&b, "\n--- the last %d lines of %s:\n%s", min(n, len(lines)), p, strings.Join(lines[max(0, len(lines)-n):], "\n"))
		if err != nil {
			fmt.Fprintf(&b, "\n(%v)", err)
		}
	}
	return b.String()
}
