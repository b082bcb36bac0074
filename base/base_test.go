package base_test

import (
	"archive/tar"
	"context"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"testing"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/internal/testenv"
	"github.com/minimage/minimage/layer"
)

func TestFiles(t *testing.T) {
	byPath := make(map[string]base.File)
	for _, f := range base.Files() {
		byPath[f.Path] = f
	}
	tests := []struct {
		path     string
		mode     fs.FileMode
		uid, gid int
	}{
		{"/etc/passwd", 0o644, 0, 0},
		{"/etc/group", 0o644, 0, 0},
		{"/etc/nsswitch.conf", 0o644, 0, 0},
		{"/etc/os-release", 0o644, 0, 0},
		{"/root", fs.ModeDir | 0o700, 0, 0},
		{"/home", fs.ModeDir | 0o755, 0, 0},
		{"/home/nonroot", fs.ModeDir | 0o700, 65532, 65532},
		{"/tmp", fs.ModeDir | fs.ModeSticky | 0o777, 0, 0},
	}
	if len(byPath) != len(tests) {
		t.Errorf("Files has %d entries, want %d", len(byPath), len(tests))
	}
	for _, tc := range tests {
		f, ok := byPath[tc.path]
		if !ok || f.Mode != tc.mode || f.UID != tc.uid || f.GID != tc.gid {
			t.Errorf("%s: %v %v %d:%d, want %v %d:%d", tc.path, ok, f.Mode, f.UID, f.GID, tc.mode, tc.uid, tc.gid)
		}
	}
	if !strings.Contains(string(byPath["/etc/nsswitch.conf"].Data), "hosts: files dns\n") {
		t.Error("nsswitch.conf lacks hosts: files dns")
	}
	for _, want := range []string{"ID=minimage\n", "HOME_URL=\"https://github.com/minimage/minimage\"\n", "NAME=\"minimage\"\n"} {
		if !strings.Contains(string(byPath["/etc/os-release"].Data), want) {
			t.Errorf("os-release lacks %q", want)
		}
	}
	cp := base.Files()
	cp[0].Data[0] = 'X'
	if base.Files()[0].Data[0] == 'X' {
		t.Error("Files shares its data")
	}
}

// TestUsers checks /etc/passwd and /etc/group against the constants, the
// homes against Files, and the format against what libc and os/user parse.
func TestUsers(t *testing.T) {
	files := make(map[string]base.File)
	for _, f := range base.Files() {
		files[f.Path] = f
	}
	wantUsers := map[string][2]int{"root": {base.RootUID, base.RootGID}, "nobody": {base.NobodyUID, base.NobodyGID}, "nonroot": {base.NonrootUID, base.NonrootGID}}
	for _, line := range strings.Split(strings.TrimSuffix(string(files["/etc/passwd"].Data), "\n"), "\n") {
		f := strings.Split(line, ":")
		if len(f) != 7 {
			t.Fatalf("passwd line %q has %d fields", line, len(f))
		}
		ids, ok := wantUsers[f[0]]
		uid, _ := strconv.Atoi(f[2])
		gid, _ := strconv.Atoi(f[3])
		if !ok || uid != ids[0] || gid != ids[1] || f[1] != "x" || f[6] != "/sbin/nologin" {
			t.Errorf("passwd line %q", line)
		}
		delete(wantUsers, f[0])
		if home, ok := files[f[5]]; f[0] != "nobody" && (!ok || home.UID != uid || !home.Mode.IsDir()) {
			t.Errorf("%s's home %s is not a directory it owns", f[0], f[5])
		}
	}
	if len(wantUsers) != 0 {
		t.Errorf("users missing: %v", wantUsers)
	}
	group := string(files["/etc/group"].Data)
	for _, g := range []string{"root:x:0:", "nobody:x:65534:", "nonroot:x:65532:", "tty:x:5:", "staff:x:50:"} {
		if !strings.Contains(group, g+"\n") {
			t.Errorf("group lacks %s", g)
		}
	}
	if base.DefaultUser != fmt.Sprintf("%d:%d", base.NonrootUID, base.NonrootGID) {
		t.Errorf("DefaultUser %q does not match the nonroot ids", base.DefaultUser)
	}
}

func TestLayer(t *testing.T) {
	l, err := base.Layer(context.Background(), base.Options{Layer: layer.Options{Format: layer.Format{Compression: layer.Uncompressed}}})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Uncompressed(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	want := make(map[string]base.File)
	for _, f := range base.Files() {
		want[strings.TrimPrefix(f.Path, "/")] = f
	}
	for _, e := range testenv.ReadTar(t, rc) {
		h := e.Header
		name := strings.TrimSuffix(h.Name, "/")
		f, ok := want[name]
		if !ok {
			if name != "etc" || h.Typeflag != tar.TypeDir || h.Mode != 0o755 {
				t.Errorf("unexpected %s", h.Name)
			}
			continue
		}
		delete(want, name)
		mode := h.FileInfo().Mode()
		if mode != f.Mode || h.Uid != f.UID || h.Gid != f.GID || string(e.Body) != string(f.Data) {
			t.Errorf("%s: %v %d:%d %q; want %v %d:%d %q", name, mode, h.Uid, h.Gid, e.Body, f.Mode, f.UID, f.GID, f.Data)
		}
	}
	if len(want) != 0 {
		t.Errorf("missing from the layer: %v", want)
	}
}
