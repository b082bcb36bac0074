package gzip_test

import (
	"bytes"
	stdgzip "compress/gzip"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"strings"

	"github.com/minimage/minimage/layer/gzip"
)

func ExampleNewWriter() {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	// The header holds no name and no time unless they are set.
	zw.Name = "hello.txt"
	if _, err := io.WriteString(zw, strings.Repeat("hello, world\n", 1000)); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}

	// Any gzip reader reads it back.
	zr, err := stdgzip.NewReader(&buf)
	if err != nil {
		log.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(zr.Name, len(data))
	// Output: hello.txt 13000
}

func ExampleWriter_SetConcurrency() {
	data := []byte(strings.Repeat("The same bytes, whatever the parallelism.\n", 100000))
	digest := func(blocks int) string {
		h := sha256.New()
		zw, err := gzip.NewWriterLevel(h, gzip.BestSpeed)
		if err != nil {
			log.Fatal(err)
		}
		// 256 KiB blocks; the number of blocks in flight does not change
		// the output, the block size does.
		if err := zw.SetConcurrency(256<<10, blocks); err != nil {
			log.Fatal(err)
		}
		zw.Write(data)
		if err := zw.Close(); err != nil {
			log.Fatal(err)
		}
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	fmt.Println(digest(1) == digest(4))
	// Output: true
}
