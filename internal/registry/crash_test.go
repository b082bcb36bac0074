package registry

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"
)

// crashDirEnv names the store TestCrashChild deletes from; only the
// process TestCrashDuringDeletes starts sets it.
const crashDirEnv = "MINIMAGE_REGISTRY_CRASH_DIR"

const crashRepos = 100

// TestCrashDuringDeletes kills a process with SIGKILL while it deletes
// manifests, tags and blobs from a NewDir store, many times, and checks
// that the store then opens consistent: every tag names a manifest the
// repository holds, every manifest and blob listed has its file, and no
// file is left that nothing lists.
func TestCrashDuringDeletes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	t.Parallel() // its own stores and child processes
	const runs = 24
	var midway int
	for run := range runs {
		dir := t.TempDir()
		fillCrashStore(t, dir)
		if killDeleter(t, dir, rand.IntN(crashRepos/2), time.Duration(rand.IntN(5000))*time.Microsecond) {
			midway++
		}
		checkConsistent(t, dir, run)
	}
	if midway == 0 {
		t.Errorf("no kill of %d landed before the deletes ended: the test checked nothing", runs)
	}
	t.Logf("%d of %d kills landed during the deletes", midway, runs)
}

// TestCrashChild is the process TestCrashDuringDeletes kills.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("run by TestCrashDuringDeletes")
	}
	s, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := New(Options{Storage: s})
	if err != nil {
		t.Fatal(err)
	}
	for i := range crashRepos {
		name := fmt.Sprintf("repo%d", i)
		img := newImage(name, nil, "", nil)
		serve(reg, "", "DELETE", "/v2/"+name+"/manifests/"+img.digest.String(), nil)
		serve(reg, "", "DELETE", "/v2/"+name+"/blobs/"+digestOf(img.layer).String(), nil)
		serve(reg, "", "DELETE", "/v2/"+name+"/blobs/"+digestOf(img.config).String(), nil)
		serve(reg, "", "DELETE", "/v2/"+name+"/manifests/extra", nil)
		fmt.Println("deleted", i)
	}
	fmt.Println("done")
	time.Sleep(time.Minute)
}

// fillCrashStore pushes to dir an image per repository, tagged twice,
// which share a base layer, and a tagged manifest of another image.
func fillCrashStore(t *testing.T, dir string) {
	s, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := New(Options{Storage: s})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	for i := range crashRepos {
		name := fmt.Sprintf("repo%d", i)
		for _, img := range []image{newImage(name, nil, "", nil), newImage("shared", nil, "", nil)} {
			for _, b := range [][]byte{img.config, img.layer} {
				if err := reg.PutBlob(name, digestOf(b), strings.NewReader(string(b))); err != nil {
					t.Fatal(err)
				}
			}
		}
		img := newImage(name, nil, "", nil)
		if err := reg.PutManifest(name, img.digest, img.descriptor().MediaType, img.manifest, "v1", "latest"); err != nil {
			t.Fatal(err)
		}
		shared := newImage("shared", nil, "", nil)
		if err := reg.PutManifest(name, shared.digest, shared.descriptor().MediaType, shared.manifest, "extra"); err != nil {
			t.Fatal(err)
		}
	}
}

// killDeleter starts TestCrashChild on dir, kills it delay after it says
// it has deleted repository at, and reports whether it had not finished
// its deletes.
func killDeleter(t *testing.T, dir string, at int, delay time.Duration) bool {
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.v")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	for l := range lines {
		if l == fmt.Sprint("deleted ", at) {
			break
		}
	}
	time.Sleep(delay)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	for l := range lines {
		if l == "done" {
			return false
		}
	}
	return true
}

// checkConsistent opens dir and checks what it lists is there.
func checkConsistent(t *testing.T, dir string, run int) {
	t.Helper()
	s, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := New(Options{Storage: s})
	if err != nil {
		t.Fatalf("run %d: reopen: %v", run, err)
	}
	defer reg.Close()
	listed := map[digest.Digest]bool{}
	for name, repo := range reg.repos {
		for tag, d := range repo.Tags {
			if repo.Manifests[d] == nil {
				t.Errorf("run %d: %s:%s names manifest %s, which the repository does not hold", run, name, tag, d)
			}
			if c := serve(reg, "", "GET", "/v2/"+name+"/manifests/"+tag, nil).Code; c != http.StatusOK {
				t.Errorf("run %d: GET %s:%s: %d", run, name, tag, c)
			}
		}
		for d := range repo.Manifests {
			listed[d] = true
			if _, err := s.Stat(d); err != nil {
				t.Errorf("run %d: %s lists manifest %s: %v", run, name, d, err)
			}
		}
		for d := range repo.Blobs {
			listed[d] = true
			if _, err := s.Stat(d); err != nil {
				t.Errorf("run %d: %s lists blob %s: %v", run, name, d, err)
			}
		}
	}
	files, _ := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	for _, f := range files {
		if d := digest.NewDigestFromEncoded(digest.SHA256, f.Name()); !listed[d] {
			t.Errorf("run %d: file of %s is left, and nothing lists it", run, d)
		}
	}
}

// TestDirRepair: files lost or left behind (by a crash, or by hand) are
// found when a registry opens the store: what lists a missing file is
// dropped, with the tags of a dropped manifest, and files nothing lists
// are deleted.
func TestDirRepair(t *testing.T) {
	dir := t.TempDir()
	s, err := NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, Options{Storage: s})
	kept, lost := newImage("kept", nil, "", nil), newImage("lost", nil, "", nil)
	c.push("repo", kept, "v1")
	c.push("repo", lost, "v2")
	c.pushBlob("other", []byte("blob lost"))
	for _, d := range []digest.Digest{lost.digest, digestOf([]byte("blob lost"))} {
		if err := os.Remove(blobPath(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	stray := []byte("nothing lists me")
	if err := os.WriteFile(blobPath(dir, digestOf(stray)), stray, 0o644); err != nil {
		t.Fatal(err)
	}

	s, err = NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	c = newClient(t, Options{Storage: s})
	c.do("GET", "/v2/repo/manifests/v1", nil).want(t, http.StatusOK, "")
	c.do("GET", "/v2/repo/manifests/v2", nil).want(t, http.StatusNotFound, CodeManifestUnknown)
	c.do("GET", "/v2/repo/blobs/"+digestOf(lost.layer).String(), nil).want(t, http.StatusOK, "")
	c.do("GET", "/v2/other/blobs/"+digestOf([]byte("blob lost")).String(), nil).want(t, http.StatusNotFound, CodeBlobUnknown)
	if tags := c.do("GET", "/v2/repo/tags/list", nil).body; strings.Contains(string(tags), "v2") {
		t.Errorf("tags after the repair: %s, want v2 gone", tags)
	}
	if c := c.do("GET", "/v2/_catalog", nil).body; strings.Contains(string(c), "other") {
		t.Errorf("catalog after the repair: %s, want the emptied repository gone", c)
	}
	if _, err := os.Stat(blobPath(dir, digestOf(stray))); !os.IsNotExist(err) {
		t.Errorf("the stray file: %v, want it deleted", err)
	}
}
