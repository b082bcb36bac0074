package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/internal/pki"
	"github.com/opencontainers/go-digest"
)

// serve runs "minimage registry serve args" until the test ends or stop is
// called, and returns the address it printed.
func serve(t *testing.T, args ...string) (addr string, stop func()) {
	t.Helper()
	return serveIn(t, "", args...)
}

// serveIn is serve with stdin as the command's standard input.
func serveIn(t *testing.T, stdin string, args ...string) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		err := runRegistry(ctx, append([]string{"serve"}, args...), strings.NewReader(stdin), pw, &stderr)
		pw.Close()
		done <- err
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no address printed: %v; stderr: %s; run: %v", err, stderr.String(), <-done)
	}
	go io.Copy(io.Discard, pr)
	var once bool
	stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("registry serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("registry serve did not stop after the interrupt")
		}
	}
	t.Cleanup(stop)
	return strings.TrimSpace(line), stop
}

func TestRegistryServe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	addr, stop := serve(t, "--address", "127.0.0.1:0", "--dir", dir)
	data := []byte("kept across restarts")
	d := digest.FromBytes(data)
	resp, err := http.Post("http://"+addr+"/v2/repo/blobs/uploads/?digest="+d.String(), "application/octet-stream", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("push: %s", resp.Status)
	}
	stop()
	if _, err := http.Get("http://" + addr + "/v2/"); err == nil {
		t.Fatal("the registry still answers after the interrupt")
	}

	addr, _ = serve(t, "--address", "127.0.0.1:0", "--dir", dir, "--read-only")
	resp, err = http.Get("http://" + addr + "/v2/repo/blobs/" + d.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != string(data) {
		t.Errorf("after a restart on the same --dir: %s %q", resp.Status, body)
	}
	resp, err = http.Post("http://"+addr+"/v2/repo/blobs/uploads/", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("push with --read-only: %s, want 405", resp.Status)
	}
}

func TestRegistryServeAuth(t *testing.T) {
	t.Parallel()
	addr, _ := serve(t, "--address", "127.0.0.1:0", "--user", "u", "--password", "p", "--token-auth")
	resp, err := http.Get("http://" + addr + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer realm=") {
		t.Errorf("--token-auth: %s, WWW-Authenticate %q", resp.Status, resp.Header.Get("WWW-Authenticate"))
	}
}

func TestRegistryUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want error
	}{
		{nil, errUsage},
		{[]string{"start"}, errUsage},
		{[]string{"serve", "extra"}, errUsage},
		{[]string{"serve", "--nope"}, errUsage},
		{[]string{"serve", "--token-auth"}, errUsage},
		{[]string{"serve", "-h"}, flag.ErrHelp},
		{[]string{"--help"}, flag.ErrHelp},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		err := runRegistry(context.Background(), tt.args, nil, io.Discard, &stderr)
		if !errors.Is(err, tt.want) {
			t.Errorf("registry %q: %v, want %v", tt.args, err, tt.want)
		}
	}
	// A port in use is an error that says what to do.
	addr, _ := serve(t, "--address", "127.0.0.1:0")
	err := runRegistry(context.Background(), []string{"serve", "--address", addr}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--address") {
		t.Errorf("serve on a busy port: %v", err)
	}
}

// A user without a password is refused at start: an empty password
// would let anyone in who sends one. So is a password given two ways.
func TestRegistryServeNeedsPassword(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args  []string
		stdin string
		want  string // in the error
	}{
		{[]string{"--user", "alice"}, "", "--password-file"},
		{[]string{"--user", "alice", "--password", ""}, "", "empty"},
		{[]string{"--user", "alice", "--password", "", "--token-auth"}, "", "empty"},
		{[]string{"--user", "alice", "--password-file", empty}, "", "empty"},
		{[]string{"--user", "alice", "--password-file", ""}, "", "--password-file"},
		{[]string{"--user", "alice", "--password-stdin"}, "\r\nsecond line", "empty"},
		{[]string{"--user", "alice", "--password-stdin", "--password", "p"}, "p\n", "one way"},
		{[]string{"--password-file", empty}, "", "need --user"},
	}
	for _, tt := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := runRegistryStdin(ctx, tt.stdin, append([]string{"serve", "--address", "127.0.0.1:0"}, tt.args...))
		cancel()
		if !errors.Is(err, errUsage) && !errors.Is(err, fs.ErrNotExist) || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("registry serve %q: %v, want a usage error saying %q", tt.args, err, tt.want)
		}
	}
}

// runRegistryStdin runs "minimage registry" with args and stdin as its
// standard input.
func runRegistryStdin(ctx context.Context, stdin string, args []string) error {
	return runRegistry(ctx, args, strings.NewReader(stdin), io.Discard, io.Discard)
}

// The password comes from a file or from standard input, never only from
// a flag that ps shows.
func TestRegistryServePasswordSources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	get := func(addr, password string) int { return aliceStatus(t, addr, password) }
	addr, _ := serve(t, "--address", "127.0.0.1:0", "--user", "alice", "--password-file", file)
	if a, b, c := get(addr, "from-file"), get(addr, ""), get(addr, "from-file\n"); a != http.StatusOK || b != http.StatusUnauthorized || c != http.StatusUnauthorized {
		t.Errorf("--password-file: right password %d, empty %d, with the newline %d; want 200, 401, 401", a, b, c)
	}
	addr, _ = serveIn(t, "from-stdin\r\nignored\n", "--address", "127.0.0.1:0", "--user", "alice", "--password-stdin")
	if a, b := get(addr, "from-stdin"), get(addr, "ignored"); a != http.StatusOK || b != http.StatusUnauthorized {
		t.Errorf("--password-stdin: right password %d, second line %d; want 200, 401", a, b)
	}
}

// Past --max-connections, a connection waits to be accepted until one
// closes.
func TestRegistryServeMaxConnections(t *testing.T) {
	t.Parallel()
	addr, _ := serve(t, "--address", "127.0.0.1:0", "--max-connections", "2")
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		held = append(held, c)
	}
	// Let the server accept both before the third comes.
	time.Sleep(200 * time.Millisecond)
	get := func() error {
		hc := &http.Client{Timeout: 500 * time.Millisecond, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := hc.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := get(); err == nil {
		t.Fatal("a third connection was served while two were open")
	}
	held[0].Close()
	if err := get(); err != nil {
		t.Fatalf("after one of two connections closed: %v", err)
	}
}

func TestRegistryServeMaxBlobSize(t *testing.T) {
	t.Parallel()
	addr, _ := serve(t, "--address", "127.0.0.1:0", "--max-blob-size", "1KiB")
	for _, n := range []int{1024, 1025} {
		data := bytes.Repeat([]byte{'x'}, n)
		resp, err := http.Post("http://"+addr+"/v2/repo/blobs/uploads/?digest="+digest.FromBytes(data).String(), "application/octet-stream", bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := http.StatusCreated
		if n > 1024 {
			want = http.StatusRequestEntityTooLarge
		}
		if resp.StatusCode != want {
			t.Errorf("push of %d bytes with --max-blob-size 1KiB: %s, want %d", n, resp.Status, want)
		}
	}
}

func TestSizeFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"1048576", 1 << 20, true}, {"1MiB", 1 << 20, true}, {"3 GiB", 3 << 30, true}, {"2KiB", 2048, true},
		{"", 0, false}, {"-1", 0, false}, {"1MB", 0, false}, {"9000000TiB", 0, false}, {"1.5GiB", 0, false},
	}
	for _, tt := range tests {
		var f sizeFlag
		err := f.Set(tt.in)
		if (err == nil) != tt.ok || tt.ok && int64(f) != tt.want {
			t.Errorf("Set(%q) = %d, %v; want %d, ok %v", tt.in, f, err, tt.want, tt.ok)
		}
	}
}

func TestRegistryServeTLS(t *testing.T) {
	t.Parallel()
	ca, err := pki.NewCA("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, _, err := ca.ServerCert()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, certPEM, 0o644)
	os.WriteFile(key, keyPEM, 0o600)
	addr, _ := serve(t, "--address", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key, "--user", "u", "--password", "p")
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.Pool()}}}
	req, _ := http.NewRequest("GET", "https://"+addr+"/v2/", nil)
	req.SetBasicAuth("u", "p")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil {
		t.Errorf("GET over TLS: %s, TLS %v", resp.Status, resp.TLS != nil)
	}
	resp, err = http.Get("http://" + addr + "/v2/")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("plain HTTP to the TLS registry: %s", resp.Status)
		}
	}
	for _, args := range [][]string{{"--tls-cert", cert}, {"--tls-key", key}, {"--tls-cert", key, "--tls-key", cert}} {
		err := runRegistry(context.Background(), append([]string{"serve", "--address", "127.0.0.1:0"}, args...), nil, io.Discard, io.Discard)
		if err == nil {
			t.Errorf("registry serve %v: no error", args)
		}
	}
}

// Credentials in clear beyond loopback need TLS, or a flag that says so.
func TestRegistryServeClearCredentials(t *testing.T) {
	t.Parallel()
	wide := []string{"serve", "--address", "0.0.0.0:0", "--user", "u", "--password", "p"}
	err := runRegistry(context.Background(), wide, nil, io.Discard, io.Discard)
	if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--tls-cert") || !strings.Contains(err.Error(), "--insecure-http-credentials") {
		t.Errorf("--user on 0.0.0.0 without TLS: %v, want a usage error naming --tls-cert and --insecure-http-credentials", err)
	}
	for _, args := range [][]string{
		{"--address", "0.0.0.0:0", "--user", "u", "--password", "p", "--insecure-http-credentials"},
		{"--address", "0.0.0.0:0"},
		{"--address", "127.0.0.1:0", "--user", "u", "--password", "p"},
	} {
		addr, stop := serve(t, args...)
		if _, port, _ := net.SplitHostPort(addr); port == "" {
			t.Errorf("serve %v: address %q", args, addr)
		}
		stop()
	}
}

// TestPasswordStdinPerCommand runs two commands in one process, both
// serving, each with its own standard input: each reads its own password
// (stdin is an argument of run, not a variable they share).
func TestPasswordStdinPerCommand(t *testing.T) {
	get := func(addr, password string) int { return aliceStatus(t, addr, password) }
	addrs := make([]string, 2)
	for i := range addrs {
		addrs[i], _ = serveIn(t, fmt.Sprintf("secret-%d\n", i), "--address", "127.0.0.1:0", "--user", "alice", "--password-stdin")
	}
	for i, addr := range addrs {
		own, other := get(addr, fmt.Sprintf("secret-%d", i)), get(addr, fmt.Sprintf("secret-%d", 1-i))
		if own != http.StatusOK || other != http.StatusUnauthorized {
			t.Errorf("registry %d: its own password %d, the other's %d; want 200, 401", i, own, other)
		}
	}
}

// aliceStatus returns the status of GET /v2/ at the registry at addr
// with the password as alice's.
func aliceStatus(t *testing.T, addr, password string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://"+addr+"/v2/", nil)
	req.SetBasicAuth("alice", password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
