package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/image"
	"github.com/minimage/minimage/image/rootfs"
	"github.com/minimage/minimage/internal/cli"
	"github.com/minimage/minimage/internal/oci"
)

const exportUsage = `Usage: minimage export [flags] SRC[:TAG] -o FILE.tar|-

Write the filesystem that SRC's image makes, its layers applied as a
container runtime applies them (whiteouts and opaque directories
delete what the layers below hold), as one plain tar: to FILE.tar, or
with -o - to stdout, which must not be a terminal. For an image with no
shell: minimage export app.tar -o - | tar -tv.

SRC is an OCI layout directory, a tarball or a registry reference; an
index needs --platform when it holds several images.

Flags:
`

// exportFlags are the flags of "minimage export".
type exportFlags struct {
	out, platform string
	reg           registryFlags
}

func newExportFlagSet(f *exportFlags, stdout, stderr io.Writer) *flag.FlagSet {
	fs := cli.NewFlagSet("minimage export", exportUsage, stdout, stderr)
	for _, n := range []string{"o", "output"} {
		fs.StringVar(&f.out, n, "", "write the tar to `FILE`, or to stdout with -")
	}
	fs.StringVar(&f.platform, "platform", "", "export the image for `os/arch[/variant]` of an index")
	f.reg.register(fs, false)
	return fs
}

func runExport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f exportFlags
	f.reg.stdin = stdin
	pos, err := cli.Parse(newExportFlagSet(&f, stdout, stderr), args, 1, 1, "one SRC[:TAG]")
	if err != nil {
		return err
	}
	ref := pos[0]
	if f.out == "" {
		return fmt.Errorf("%w: no output; add -o FILE.tar, or -o - for stdout", errUsage)
	}
	p, err := parsePlatform(f.platform)
	if err != nil {
		return err
	}
	if f.out == "-" {
		if err := notTerminal(stdout); err != nil {
			return err
		}
	} else if err := checkOutputFile(f.out); err != nil {
		return err
	}
	src, tag, err := openSource(ctx, ref, &f.reg, stderr)
	if err != nil {
		return err
	}
	img, err := exportImage(ctx, src, tag, p)
	if err != nil {
		return err
	}
	if f.out == "-" {
		return rootfs.Write(ctx, stdout, img)
	}
	abs, err := filepath.Abs(f.out)
	if err != nil {
		return err
	}
	return oci.WriteAtomic(filepath.Dir(abs), filepath.Base(abs), func(w io.Writer) error {
		return rootfs.Write(ctx, w, img)
	})
}

// checkOutputFile refuses, before any work, an output whose name is not
// a tar's by the rule every -o follows (parseOutput), or that lies in a
// directory that does not exist.
func checkOutputFile(out string) error {
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		return fmt.Errorf("%w: -o %s is a directory; give a file name, such as %s", errUsage, out, filepath.Join(out, "rootfs.tar"))
	}
	o, err := parseOutput(out)
	if err != nil {
		return err
	}
	if o.Format != build.Tarball {
		return fmt.Errorf("%w: -o %s: export writes a tar; name it FILE.tar, or give - for stdout", errUsage, out)
	}
	if _, err := os.Stat(filepath.Dir(out)); err != nil {
		return fmt.Errorf("-o %s: %s does not exist; create it first", out, filepath.Dir(out))
	}
	return nil
}

// exportImage picks the image to export: the one for p, or the only one.
func exportImage(ctx context.Context, src image.Source, tag string, p image.Platform) (*image.Image, error) {
	if p != (image.Platform{}) {
		return src.Image(ctx, tag, p)
	}
	imgs, err := src.Images(ctx, tag)
	if err != nil {
		return nil, err
	}
	switch len(imgs) {
	case 0:
		return nil, fmt.Errorf("%w: it holds no image", image.ErrNotFound)
	case 1:
		return imgs[0], nil
	}
	return nil, fmt.Errorf("%w: it holds images for %s; pick one with --platform", errUsage, platformsOf(imgs))
}

// notTerminal refuses to write a tar to w when it is a terminal (a
// character device other than /dev/null), where it would only scramble
// the screen.
func notTerminal(w io.Writer) error {
	f, ok := w.(*os.File)
	if !ok {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return nil
	}
	return errors.New("-o - writes a tar to stdout, which is a terminal; redirect it (> image.tar, | tar -tv) or give -o FILE.tar")
}
