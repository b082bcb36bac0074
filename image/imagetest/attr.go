package imagetest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"

	"github.com/minimage/minimage/layer"
)

// Attr is the metadata of one Layer entry, set with With. The zero value
// is a Layer's default: the entry type's mode (0644 files, 0755
// directories, 0777 links), owned by 0:0, dated like the rest of the
// layer (layer.Options.ModTime, the Unix epoch by default).
type Attr struct {
	// Mode holds the permission bits and optionally fs.ModeSetuid,
	// fs.ModeSetgid and fs.ModeSticky; other type bits are ignored. 0
	// means the default for the entry's type.
	Mode fs.FileMode
	// UID and GID are the numeric owner and group.
	UID, GID int
	// Uname and Gname are the optional owner and group names.
	Uname, Gname string
	// ModTime is the entry's modification time, truncated to whole
	// seconds; zero means the layer's time.
	ModTime time.Time
}

// attrPrefix starts a Layer value that With made: the attributes in
// JSON, which holds no NUL byte, a NUL, then the value they apply to.
const attrPrefix = "\x00imagetest:attr:"

// With returns the Layer value v (a file's content, "" for a key that
// ends in "/", or Whiteout, Opaque, Symlink or Hardlink's value) with the
// attributes a. Of Opaque, a applies to the directory; a hard link takes
// its target's mode and owner, as package layer writes it, and a only
// for its time. With of a value that With returned replaces its
// attributes.
//
//	imagetest.Layer{
//		"/etc/shadow":   imagetest.With("root:*:0:0:99999:7:::\n", imagetest.Attr{Mode: 0o640, GID: 42}),
//		"/home/nonroot/": imagetest.With("", imagetest.Attr{Mode: 0o700, UID: 65532, GID: 65532}),
//		"/app":          imagetest.With(binary, imagetest.Attr{Mode: 0o755, ModTime: built}),
//	}
//
// AssertFiles checks the owner, and the mode when not 0, of a wanted
// value made with With; it cannot check times, which Flatten does not
// keep.
func With(v string, a Attr) string {
	if _, inner, _, err := splitAttr(v); err == nil {
		v = inner
	}
	b, err := json.Marshal(a)
	if err != nil {
		// Attr holds numbers, strings and a time.Time, which marshal
		// unless the year is outside 0 to 9999.
		panic(fmt.Sprintf("imagetest: With: %v", err))
	}
	return attrPrefix + string(b) + "\x00" + v
}

// splitAttr returns the attributes that With put on v, whether it did,
// and the value they apply to. A v that starts as With's values do but
// does not parse is an error.
func splitAttr(v string) (a Attr, inner string, ok bool, err error) {
	rest, ok := strings.CutPrefix(v, attrPrefix)
	if !ok {
		return Attr{}, v, false, nil
	}
	js, inner, ok := strings.Cut(rest, "\x00")
	if !ok || json.Unmarshal([]byte(js), &a) != nil {
		return Attr{}, v, false, fmt.Errorf("imagetest: layer value %.40q starts as With's values do but is not one; make it with With", v)
	}
	return a, inner, true, nil
}

func (a Attr) layerAttr() layer.Attr {
	return layer.Attr{Mode: a.Mode, UID: a.UID, GID: a.GID, Uname: a.Uname, Gname: a.Gname}
}

// setTimes rewrites the tar stream of l, whose compression is none, with
// the modification times of the entries times names (tar names without a
// trailing "/"), and returns the layer of the result built with opts.
// package layer dates every entry of a Builder alike; a Layer's entries
// may each have their own time.
func setTimes(ctx context.Context, l *layer.Layer, times map[string]time.Time, opts layer.Options) (*layer.Layer, error) {
	rc, err := l.Uncompressed(ctx)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	tr, tw := tar.NewReader(rc), tar.NewWriter(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if t, ok := times[strings.TrimSuffix(h.Name, "/")]; ok {
			// Let the writer pick the format the time needs, as
			// package layer does: USTAR where it fits, else PAX.
			h.ModTime, h.Format = t.Truncate(time.Second), tar.FormatUnknown
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("%s: %w", h.Name, err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return layer.FromTar(ctx, &buf, opts)
}
