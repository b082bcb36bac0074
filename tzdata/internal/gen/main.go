// Command gen copies the Go toolchain's zoneinfo.zip into package tzdata
// and writes the Go files that describe it: version.go, with the IANA
// release that Go's lib/time/update.bash names, and links.go, with the
// zones that are links to others (from links.txt, checked against the
// zip's bytes).
//
// Run it through go generate in package tzdata:
//
//	go generate ./tzdata
//
// It reads $GOROOT/lib/time (GOROOT as go generate sets it, else from
// `go env GOROOT`) unless -goroot says otherwise, and writes into the
// current directory unless -out says otherwise.
package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

//go:embed links.txt
var linksTxt string

func main() {
	log.SetFlags(0)
	log.SetPrefix("tzdata/internal/gen: ")
	goroot := flag.String("goroot", os.Getenv("GOROOT"), "Go root whose lib/time to read")
	out := flag.String("out", ".", "directory to write zoneinfo.zip, version.go and links.go into")
	flag.Parse()
	if *goroot == "" {
		b, err := exec.Command("go", "env", "GOROOT").Output()
		if err != nil {
			log.Fatalf("go env GOROOT: %v; pass -goroot", err)
		}
		*goroot = strings.TrimSpace(string(b))
	}
	if err := run(filepath.Join(*goroot, "lib", "time"), *out); err != nil {
		log.Fatal(err)
	}
}

func run(libTime, out string) error {
	zipData, err := os.ReadFile(filepath.Join(libTime, "zoneinfo.zip"))
	if err != nil {
		return err
	}
	script, err := os.ReadFile(filepath.Join(libTime, "update.bash"))
	if err != nil {
		return err
	}
	release, err := parseRelease(script)
	if err != nil {
		return err
	}
	zones, err := readZip(zipData)
	if err != nil {
		return err
	}
	links, err := parseLinks(linksTxt)
	if err != nil {
		return err
	}
	if err := check(zones, links); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "zoneinfo.zip"), zipData, 0o644); err != nil {
		return err
	}
	if err := writeGo(filepath.Join(out, "version.go"), versionGo(release)); err != nil {
		return err
	}
	return writeGo(filepath.Join(out, "links.go"), linksGo(links))
}

var dataLine = regexp.MustCompile(`(?m)^DATA=([0-9]{4}[a-z])\s*$`)

// parseRelease finds the tzdata release in update.bash's DATA= line.
func parseRelease(script []byte) (string, error) {
	m := dataLine.FindSubmatch(script)
	if m == nil {
		return "", fmt.Errorf("update.bash has no DATA=YYYYx line; has Go changed how it records the tzdata release?")
	}
	return string(m[1]), nil
}

// readZip returns the content of every zone in zoneinfo.zip by name.
func readZip(data []byte) (map[string][]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("zoneinfo.zip: %w", err)
	}
	zones := make(map[string][]byte, len(zr.File))
	for _, f := range zr.File {
		if f.Method != zip.Store {
			return nil, fmt.Errorf("zoneinfo.zip: %s is compressed; Go's time package reads only stored entries", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc) // checks the CRC at EOF
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("zoneinfo.zip: %s: %w", f.Name, err)
		}
		zones[f.Name] = b
	}
	return zones, nil
}

// parseLinks reads links.txt into a map from link name to target.
func parseLinks(txt string) (map[string]string, error) {
	links := make(map[string]string)
	for i, line := range strings.Split(txt, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("links.txt:%d: want TARGET LINK-NAME, got %q", i+1, line)
		}
		if _, dup := links[f[1]]; dup {
			return nil, fmt.Errorf("links.txt:%d: %s is listed twice", i+1, f[1])
		}
		links[f[1]] = f[0]
	}
	return links, nil
}

// check makes sure links.txt describes zoneinfo.zip: every link and its
// target exist, hold the same bytes, and no target is itself a link; and
// every group of zones with equal bytes has exactly one zone that is not a
// link, so that no link is missing from the list.
func check(zones map[string][]byte, links map[string]string) error {
	var errs []string
	for name, target := range links {
		switch {
		case zones[name] == nil:
			errs = append(errs, fmt.Sprintf("link %s is not in zoneinfo.zip", name))
		case zones[target] == nil:
			errs = append(errs, fmt.Sprintf("link %s: target %s is not in zoneinfo.zip", name, target))
		case links[target] != "":
			errs = append(errs, fmt.Sprintf("link %s: target %s is itself a link; point it at %s", name, target, links[target]))
		case !bytes.Equal(zones[name], zones[target]):
			errs = append(errs, fmt.Sprintf("link %s: its bytes differ from its target %s; the release changed it into a zone of its own", name, target))
		}
	}
	groups := make(map[[sha256.Size]byte][]string)
	for name, b := range zones {
		if links[name] == "" {
			sum := sha256.Sum256(b)
			groups[sum] = append(groups[sum], name)
		}
	}
	for _, g := range groups {
		if len(g) > 1 {
			slices.Sort(g)
			errs = append(errs, fmt.Sprintf("zones %s hold equal bytes but links.txt makes none of them a link to another", strings.Join(g, ", ")))
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return fmt.Errorf("links.txt does not match zoneinfo.zip; update links.txt from the release's tzdata.zi:\n\t%s", strings.Join(errs, "\n\t"))
	}
	return nil
}

const header = "// Code generated by go run ./internal/gen; DO NOT EDIT.\n\npackage tzdata\n\n"

func versionGo(release string) []byte {
	return fmt.Appendf(nil, header+`// Release is the IANA time zone database release of the embedded zoneinfo,
// as named by the DATA= line of the Go toolchain's lib/time/update.bash that
// go generate copied it from.
const Release = %q
`, release)
}

func linksGo(links map[string]string) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("// links maps each zone name that IANA defines as a link (a former or\n")
	b.WriteString("// alternative name, such as US/Eastern) to the zone it names.\n")
	b.WriteString("var links = map[string]string{\n")
	names := make([]string, 0, len(links))
	for n := range links {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, "\t%q: %q,\n", n, links[n])
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func writeGo(file string, src []byte) error {
	src, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return os.WriteFile(file, src, 0o644)
}
