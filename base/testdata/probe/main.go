// Command probe checks, from inside an image, what a Go program expects of
// its base: a CA bundle that crypto/x509 loads, the time zones it was given
// and no others, a nonroot user that os/user resolves, and a writable /tmp.
// It prints one key=value line per check and exits 1 if any failed.
//
// Usage: probe -zones Europe/Paris,US/Eastern -missing Asia/Tokyo
package main

import (
	"crypto/x509"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"
)

var failed bool

func report(key string, err error, format string, args ...any) {
	if err != nil {
		failed = true
		fmt.Printf("%s=FAIL %v\n", key, err)
		return
	}
	fmt.Printf("%s=%s\n", key, fmt.Sprintf(format, args...))
}

func main() {
	zones := flag.String("zones", "", "comma-separated zones that must load")
	missing := flag.String("missing", "", "a zone that must not load")
	flag.Parse()

	fmt.Printf("uid=%d gid=%d\n", os.Getuid(), os.Getgid())
	u, err := user.Current()
	report("user", err, "%s home=%s", name(u), home(u))
	wd, err := os.Getwd()
	report("cwd", err, "%s", wd)

	certs()

	jan := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, z := range strings.Split(*zones, ",") {
		loc, err := time.LoadLocation(z)
		report("zone "+z, err, "ok %s", jan.In(loc).Format("-0700 MST"))
	}
	if *missing != "" {
		if _, err := time.LoadLocation(*missing); err == nil {
			report("missing "+*missing, fmt.Errorf("loaded, but it was left out"), "")
		} else {
			fmt.Printf("missing %s=%v\n", *missing, err)
		}
	}
	fmt.Printf("local=%s\n", jan.In(time.Local).Format("-0700 MST"))

	f := "/tmp/probe.txt"
	err = os.WriteFile(f, []byte("ok\n"), 0o600)
	report("tmp", err, "wrote %s", f)

	if failed {
		os.Exit(1)
	}
}

// certs loads the system pool and counts the certificates in the file it
// came from, then checks that the pool verifies a root from that file.
func certs() {
	pool, err := x509.SystemCertPool()
	report("system_pool", err, "ok")
	file := os.Getenv("SSL_CERT_FILE")
	if file == "" {
		file = "/etc/ssl/certs/ca-certificates.crt"
	}
	data, err := os.ReadFile(file)
	if err != nil {
		report("certs", err, "")
		return
	}
	var first *x509.Certificate
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			report("certs", err, "")
			return
		}
		if first == nil {
			first = c
		}
		n++
	}
	fmt.Printf("certs=%d file=%s\n", n, file)
	if first != nil && pool != nil {
		_, err := first.Verify(x509.VerifyOptions{CurrentTime: first.NotBefore.Add(time.Hour)})
		report("verify", err, "ok")
	}
}

func name(u *user.User) string {
	if u == nil {
		return ""
	}
	return u.Username
}

func home(u *user.User) string {
	if u == nil {
		return ""
	}
	return u.HomeDir
}
