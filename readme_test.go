package minimage_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMELibrary checks that the README's "library in a dozen lines"
// is the body of buildApp in example_test.go, which Example runs.
func TestREADMELibrary(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## The library in a dozen lines")
	if !ok {
		t.Fatal(`README.md has no "## The library in a dozen lines" section`)
	}
	_, block, ok := strings.Cut(after, "```go\n")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("the section has no ```go block")
	}
	_, body, ok := strings.Cut(string(src), "func buildApp(ctx context.Context, bin, out string) error {\n")
	body, _, ok2 = strings.Cut(body, "\n}\n")
	if !ok || !ok2 {
		t.Fatal("example_test.go has no buildApp")
	}
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if want := strings.Join(lines, "\n") + "\n"; block != want {
		t.Errorf("README block:\n%s\nbuildApp's body:\n%s", block, want)
	}
}
