package sbom_test

import (
	"encoding/json"
	"fmt"
	"log"
	"runtime/debug"
	"time"

	"github.com/minimage/minimage/sbom"
)

// An image holding a Go program, the CA bundle and one time zone. A build
// fills BuildInfo from the binary with debug/buildinfo.Read, the CA bundle
// from certs.File and certs.Version, and the zones from tzdata.Files and
// tzdata.Release.
func Example() {
	program := []byte("\x7fELF…") // the binary's bytes
	in := sbom.Input{
		Name:     "example.com/app:v1",
		Platform: "linux/amd64",
		Created:  time.Unix(0, 0),
		Binary:   sbom.NewFile("/app", program),
		BuildInfo: &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "example.com/app", Version: "v1.0.0"},
			Deps: []*debug.Module{
				{Path: "golang.org/x/text", Version: "v0.21.0", Sum: "h1:4UGkvg3Bl8pSBSEW5QzbhHuf/cNSw8S3RVsf6xO7cL8="},
			},
		},
		Components: []sbom.Component{
			sbom.CABundle("v0.0.0-20261030153154-30a33513ff6d", sbom.NewFile("/etc/ssl/certs/ca-certificates.crt", []byte("…"))),
			sbom.TZData("2025c", sbom.NewFile("/usr/share/zoneinfo/Europe/Paris", []byte("TZif…"))),
		},
		Tool: "minimage-v1.0.0",
	}
	data, err := sbom.Generate(in)
	if err != nil {
		log.Fatal(err)
	}

	var doc struct {
		Packages []struct{ Name, VersionInfo string }
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		log.Fatal(err)
	}
	fmt.Println(sbom.FileName(in.Name, in.Platform))
	for _, p := range doc.Packages {
		fmt.Println(p.Name, p.VersionInfo)
	}
	// Output:
	// app-linux-amd64.spdx.json
	// example.com/app v1
	// example.com/app v1.0.0
	// stdlib go1.26.8
	// golang.org/x/text v0.21.0
	// ca-certificates v0.0.0-20261030153154-30a33513ff6d
	// tzdata 2025c
}
