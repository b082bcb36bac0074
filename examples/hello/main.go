// Command hello is the program the README builds into an image: a Go
// service's first needs in one screen. It loads the system's CA roots (as
// an HTTPS client would), a time zone, reports the user it runs as and
// writes to /tmp.
//
// Run it in an image built by minimage:
//
//	go run ./cmd/minimage build --zones Europe/Paris -o hello.tar ./examples/hello
//	docker load -i hello.tar && docker run --rm hello:latest
package main

import (
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	zone := flag.String("zone", "Europe/Paris", "time zone to load")
	flag.Parse()
	if err := run(*zone); err != nil {
		fmt.Fprintln(os.Stderr, "hello:", err)
		os.Exit(1)
	}
}

func run(zone string) error {
	fmt.Println("hello from minimage")

	if _, err := x509.SystemCertPool(); err != nil {
		return fmt.Errorf("CA roots: %w", err)
	}
	fmt.Printf("CA roots: %d certificates in %s\n", countPEM(certFile()), certFile())

	loc, err := time.LoadLocation(zone)
	if err != nil {
		return fmt.Errorf("time zone: %w", err)
	}
	fmt.Printf("time zone: %s, offset at the Unix epoch %s\n", loc, time.Unix(0, 0).In(loc).Format("-07:00"))

	fmt.Printf("user: uid %d gid %d\n", os.Getuid(), os.Getgid())

	f, err := os.CreateTemp("", "hello-*")
	if err != nil {
		return fmt.Errorf("writing to the temp dir: %w", err)
	}
	f.Close()
	os.Remove(f.Name())
	fmt.Println("tmp: writable")
	return nil
}

func certFile() string {
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		return f
	}
	return "/etc/ssl/certs/ca-certificates.crt"
}

// countPEM counts the certificates in a PEM file, 0 if it cannot be read.
func countPEM(path string) int {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return n
		}
		if b.Type == "CERTIFICATE" {
			n++
		}
	}
}
