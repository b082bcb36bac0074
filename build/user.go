package build

// Recipe.User: numeric ids as given, names looked up in the /etc/passwd
// and /etc/group the image will hold.

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/image"
)

// maxAccountFile bounds the /etc/passwd or /etc/group read from a base.
const maxAccountFile = 1 << 20

// parseUser checks the form of Recipe.User, USER[:GROUP] with each a
// name or a number, and resolves what needs no lookup: "" and "nonroot"
// (65532:65532), "root" (0:0) and numeric ids. It returns "" for a name
// that resolveUser looks up once the base is known.
func parseUser(v string) (string, error) {
	switch v {
	case "", "nonroot":
		return base.DefaultUser, nil
	case "root":
		return base.RootUser, nil
	}
	u, g, hasGroup := strings.Cut(v, ":")
	if !validAccount(u) || hasGroup && !validAccount(g) {
		return "", invalid("user %q: want USER[:GROUP], each a name (nonroot, nobody, root, or one the base's /etc/passwd holds) or a number", v)
	}
	if isID(u) && (!hasGroup || isID(g)) {
		return v, nil
	}
	return "", nil
}

// validAccount reports whether s can be a user or group: a number up to
// 2^31-1, or a name without ":", spaces or control characters.
func validAccount(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	if s[0] >= '0' && s[0] <= '9' {
		return isID(s)
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == ':' || r == 0x7f })
}

func isID(s string) bool {
	_, err := strconv.ParseUint(s, 10, 31)
	return err == nil
}

// accounts is what /etc/passwd and /etc/group say: name to uid and
// primary gid, and group name to gid, in file order.
type accounts struct {
	users  []account
	groups []account
	from   string // where they were read, for errors
}

type account struct {
	name    string
	id, gid string
}

// resolveUser resolves a user or group name against the accounts the
// image holds: minimage's base files, or each platform's base image's
// /etc/passwd and /etc/group. It sets p.user to "UID:GID".
func (p *plan) resolveUser(ctx context.Context) error {
	r := &p.r
	if r.Base == nil {
		acc, err := baseAccounts()
		if err != nil {
			return err
		}
		if r.Bare {
			acc.from = "minimage's base files (which a bare image leaves out; the ids stand)"
		}
		p.user, err = acc.resolve(r.User)
		return err
	}
	for i, img := range p.bases {
		acc, err := imageAccounts(ctx, img, needsGroups(r.User))
		if err != nil {
			return fmt.Errorf("build: user %q: base for %s: %w", r.User, p.platforms[i], err)
		}
		acc.from = fmt.Sprintf("the %s base's /etc/passwd", p.platforms[i])
		u, err := acc.resolve(r.User)
		if err != nil {
			return err
		}
		if i > 0 && u != p.user {
			return invalid("user %q is %s in the %s base and %s in the %s base; give numeric ids, UID:GID", r.User, p.user, p.platforms[0], u, p.platforms[i])
		}
		p.user = u
	}
	return nil
}

// needsGroups reports whether v names a group, which /etc/group says.
func needsGroups(v string) bool {
	_, g, ok := strings.Cut(v, ":")
	return ok && !isID(g)
}

func (a accounts) resolve(v string) (string, error) {
	u, g, hasGroup := strings.Cut(v, ":")
	uid, gid := u, ""
	if !isID(u) {
		acc, ok := find(a.users, u)
		if !ok {
			return "", invalid("user %q: no user %q in %s, which has %s; give one of them, or numeric ids UID[:GID]", v, u, a.from, names(a.users))
		}
		uid, gid = acc.id, acc.gid
	}
	if hasGroup {
		gid = g
		if !isID(g) {
			grp, ok := find(a.groups, g)
			if !ok {
				return "", invalid("user %q: no group %q in %s, which has %s; give one of them, or a numeric GID", v, g, strings.Replace(a.from, "passwd", "group", 1), names(a.groups))
			}
			gid = grp.id
		}
	}
	if gid == "" {
		return uid, nil
	}
	return uid + ":" + gid, nil
}

func find(as []account, name string) (account, bool) {
	for _, a := range as {
		if a.name == name {
			return a, true
		}
	}
	return account{}, false
}

func names(as []account) string {
	if len(as) == 0 {
		return "none"
	}
	var ns []string
	for _, a := range as {
		ns = append(ns, a.name)
	}
	return strings.Join(ns, ", ")
}

// parseAccounts reads passwd (name:x:uid:gid:…) or group (name:x:gid:…)
// lines; lines it cannot read are skipped, as libc does.
func parseAccounts(data []byte, passwd bool) []account {
	var out []account
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, maxAccountFile)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 3 || f[0] == "" || strings.HasPrefix(f[0], "#") || !isID(f[2]) {
			continue
		}
		a := account{name: f[0], id: f[2]}
		if passwd {
			if len(f) < 4 || !isID(f[3]) {
				continue
			}
			a.gid = f[3]
		}
		if _, dup := find(out, a.name); !dup {
			out = append(out, a)
		}
	}
	return out
}

// baseAccounts are the users and groups of minimage's base files.
func baseAccounts() (accounts, error) {
	acc := accounts{from: "minimage's base files (/etc/passwd)"}
	for _, f := range base.Files() {
		switch f.Path {
		case "/etc/passwd":
			acc.users = parseAccounts(f.Data, true)
		case "/etc/group":
			acc.groups = parseAccounts(f.Data, false)
		}
	}
	return acc, nil
}

// imageAccounts reads /etc/passwd, and /etc/group when groups is set,
// from img's layers, topmost first, as the image's filesystem has them:
// a higher layer's copy or whiteout wins.
func imageAccounts(ctx context.Context, img *image.Image, groups bool) (accounts, error) {
	want := []string{"/etc/passwd"}
	if groups {
		want = append(want, "/etc/group")
	}
	found := map[string][]byte{}
	decided := map[string]bool{}
	layers := img.Layers()
	for i := len(layers) - 1; i >= 0 && len(decided) < len(want); i-- {
		// A layer's whiteouts delete what the layers below hold, not
		// its own files.
		deleted := map[string]bool{}
		if err := layers[i].Walk(ctx, func(h *tar.Header, r io.Reader) error {
			p := path.Clean("/" + h.Name)
			dir, name := path.Split(p)
			for _, w := range want {
				switch {
				case decided[w]:
				case p == w:
					if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
						return fmt.Errorf("%s is not a regular file; give numeric ids, UID:GID", w)
					}
					if h.Size > maxAccountFile {
						return fmt.Errorf("%s is %d bytes, more than %d", w, h.Size, maxAccountFile)
					}
					data, err := io.ReadAll(r)
					if err != nil {
						return err
					}
					found[w], decided[w] = data, true
				case name == ".wh."+path.Base(w) && dir == path.Dir(w)+"/",
					name == ".wh..wh..opq" && strings.HasPrefix(w, dir),
					name == ".wh.etc" && dir == "/":
					deleted[w] = true
				}
			}
			return nil
		}); err != nil {
			return accounts{}, fmt.Errorf("layer %s: %w", layers[i].Digest(), err)
		}
		for w := range deleted {
			decided[w] = true
		}
	}
	return accounts{users: parseAccounts(found["/etc/passwd"], true), groups: parseAccounts(found["/etc/group"], false)}, nil
}
