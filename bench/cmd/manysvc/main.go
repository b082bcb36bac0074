// Command manysvc writes a Go module of N small HTTP services, the input
// of the many-images benchmark (bench/many.sh): cmd/svc01 … cmd/svcNN,
// each a distinct main package that serves JSON with net/http and uses one
// more package of the standard library than the others (picked in turn
// from a fixed list), and internal/common, which they all import. The
// output depends on -n and -module only.
//
//	cd bench && go run ./cmd/manysvc -n 20 -o /tmp/manysvc-20
package main

import (
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
)

func main() {
	n := flag.Int("n", 20, "number of services, 1 to 99")
	out := flag.String("o", "", "directory to write the module into; must not exist or be empty")
	module := flag.String("module", "example.com/manysvc", "module path")
	flag.Parse()
	log.SetFlags(0)
	if *out == "" {
		log.Fatal("manysvc: -o DIR is required")
	}
	if err := write(*out, *module, *n); err != nil {
		log.Fatal(err)
	}
}

// write writes the module of n services into dir.
func write(dir, module string, n int) error {
	if n < 1 || n > 99 {
		return fmt.Errorf("manysvc: -n %d: give 1 to 99 services", n)
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return fmt.Errorf("manysvc: %s is not empty: give a new directory", dir)
	}
	files := map[string]string{
		"go.mod":                    fmt.Sprintf("module %s\n\ngo 1.24\n", module),
		"internal/common/common.go": commonSrc,
	}
	for i := 1; i <= n; i++ {
		src, err := format.Source([]byte(service(module, i)))
		if err != nil {
			return fmt.Errorf("manysvc: service %d: %w", i, err)
		}
		files[fmt.Sprintf("cmd/svc%02d/main.go", i)] = string(src)
	}
	for name, src := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("manysvc: %w", err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			return fmt.Errorf("manysvc: %w", err)
		}
	}
	return nil
}

// service returns the source of service i, which uses one
// standard-library package beside those they all use, taken in turn from
// a list: its import path, and an expression of type string that uses
// it, given the request body's text in s.
func service(module string, i int) string {
	extra := [][2]string{
		{"crypto/sha256", `fmt.Sprintf("%x", sha256.Sum256([]byte(s)))`},
		{"encoding/base64", `base64.StdEncoding.EncodeToString([]byte(s))`},
		{"regexp", `regexp.MustCompile("[aeiou]+").ReplaceAllString(s, "*")`},
		{"math/big", `new(big.Int).Exp(big.NewInt(int64(len(s)+2)), big.NewInt(64), nil).String()`},
		{"encoding/hex", `hex.EncodeToString([]byte(s))`},
		{"hash/crc32", `fmt.Sprint(crc32.ChecksumIEEE([]byte(s)))`},
		{"unicode/utf8", `fmt.Sprint(utf8.RuneCountInString(s))`},
		{"sort", `fmt.Sprint(sort.StringsAreSorted(strings.Fields(s)))`},
		{"crypto/sha512", `fmt.Sprintf("%x", sha512.Sum512([]byte(s)))`},
		{"html", `html.EscapeString(s)`},
	}
	e := extra[(i-1)%len(extra)]
	return fmt.Sprintf(serviceSrc, i, module, e[0], i, e[1])
}

const serviceSrc = `// Command svc%02[1]d is a generated HTTP service of the many-images benchmark.
package main

import (
	%[3]q
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"%[2]s/internal/common"
)

const name = "svc%02[4]d"

func transform(s string) string {
	return %[5]s
}

func main() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", common.Health(name))
	mux.HandleFunc("POST /v1/"+name, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s := strings.TrimSpace(string(b))
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"service": name, "in": len(s), "out": transform(s), "at": time.Now().UTC()})
	})
	addr := common.Addr(os.Getenv("PORT"))
	fmt.Fprintf(os.Stderr, "%%s listening on %%s\n", name, addr)
	log.Fatal(http.ListenAndServe(addr, common.Log(mux)))
}
`

const commonSrc = `// Package common holds what the generated services of the many-images
// benchmark share.
package common

import (
	"encoding/json"
	"log"
	"net/http"
	"time"
)

// Addr is the listen address for port, ":8080" when it is empty.
func Addr(port string) string {
	if port == "" {
		port = "8080"
	}
	return ":" + port
}

// Health answers with the service's name and the time.
func Health(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"service": name, "ok": true, "time": time.Now().UTC()})
	}
}

// Log logs each request's method, path and duration.
func Log(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		h.ServeHTTP(w, r)
		log.Printf("%s %s %s", r.Method, r.URL.Path, time.Since(start))
	})
}
`
