package cli

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

func newTestSet(stdout, stderr *bytes.Buffer) (*flag.FlagSet, *string, *List) {
	fs := NewFlagSet("tool", "Usage: tool [flags] ARG\n\nFlags:\n", stdout, stderr)
	var out string
	for _, n := range []string{"o", "output"} {
		fs.StringVar(&out, n, "", "write to `FILE`")
	}
	tags := &List{Split: true}
	fs.Var(tags, "tag", "tag it `TAG` (repeatable)")
	return fs, &out, tags
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name     string
		args     []string
		min, max int
		pos      []string
		err      error
		says     string
	}{
		{"flags after the argument", []string{"a", "--output", "x", "-tag", "v1,v2"}, 1, 1, []string{"a"}, nil, ""},
		{"too few", []string{"-o", "x"}, 1, 1, nil, ErrUsage, "want ARG, got 0 arguments"},
		{"too many", []string{"a", "b"}, 1, 1, nil, ErrUsage, "got 2 arguments"},
		{"any number", []string{"a", "b", "c"}, 1, -1, []string{"a", "b", "c"}, nil, ""},
		{"mistyped flag", []string{"a", "--outptu", "x"}, 1, 1, nil, ErrUsage, "unknown flag --outptu; did you mean --output?"},
		{"help", []string{"--help"}, 1, 1, nil, flag.ErrHelp, ""},
	} {
		var stdout, stderr bytes.Buffer
		fs, out, tags := newTestSet(&stdout, &stderr)
		pos, err := Parse(fs, c.args, c.min, c.max, "ARG")
		if !errors.Is(err, c.err) || c.err == nil && err != nil || !strings.Contains(errString(err), c.says) {
			t.Errorf("%s: error %v, want %v saying %q", c.name, err, c.err, c.says)
			continue
		}
		if c.err == nil && (strings.Join(pos, " ") != strings.Join(c.pos, " ") || c.name == "flags after the argument" && *out != "x") {
			t.Errorf("%s: arguments %q, -o %q", c.name, pos, *out)
		}
		if c.name == "flags after the argument" && strings.Join(tags.Values, ",") != "v1,v2" {
			t.Errorf("--tag v1,v2 gave %q", tags.Values)
		}
		if c.err == flag.ErrHelp && !strings.Contains(stdout.String(), "  -o, --output FILE") {
			t.Errorf("help on stdout:\n%s", stdout.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("%s: Parse wrote on stderr: %q", c.name, stderr.String())
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestKeyValues(t *testing.T) {
	m, err := KeyValues("label", []string{"a=1", "b=x=y"})
	if err != nil || m["a"] != "1" || m["b"] != "x=y" {
		t.Errorf("KeyValues: %v %v", m, err)
	}
	if _, err := KeyValues("label", []string{"=1"}); err == nil || !strings.Contains(err.Error(), "--label") {
		t.Errorf("KeyValues of =1: %v, want an error naming --label", err)
	}
}

func TestSuggest(t *testing.T) {
	for word, want := range map[string]string{"buidl": "build", "inspct": "inspect", "xyz": "", "pus": "push"} {
		if got := Suggest(word, []string{"build", "inspect", "push", "pull"}); got != want {
			t.Errorf("Suggest(%q) = %q, want %q", word, got, want)
		}
	}
}
