package main

// Usage text and flag errors shared by the commands: -h and --help print
// on stdout, each flag is listed once with its aliases ("-o, --output"),
// and a mistyped flag or command gets "did you mean".

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/minimage/minimage/internal/typo"
)

// helpValue is the -h and --help flag of a FlagSet made by newFlagSet: it
// remembers that help was asked for and where to print it.
type helpValue struct {
	set    bool
	stdout io.Writer
}

func (h *helpValue) String() string   { return "false" }
func (h *helpValue) IsBoolFlag() bool { return true }
func (h *helpValue) Set(v string) error {
	h.set = v != "false"
	return nil
}

// newFlagSet returns a FlagSet whose usage is head followed by the flags
// (printFlags), on stderr after a usage error and on stdout for -h and
// --help. The flag package's own messages are silenced: parseCommand
// reports errors, with a suggestion for a mistyped flag.
func newFlagSet(name, head string, stdout, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	h := &helpValue{stdout: stdout}
	fs.Var(h, "h", "show this help")
	fs.Var(h, "help", "show this help")
	fs.Usage = func() {
		out := stderr
		if h.set {
			out = stdout
		}
		fmt.Fprint(out, head)
		printFlags(out, fs)
	}
	return fs
}

// helpAsked reports whether fs was given -h or --help.
func helpAsked(fs *flag.FlagSet) bool {
	f := fs.Lookup("help")
	if f == nil {
		return false
	}
	h, ok := f.Value.(*helpValue)
	return ok && h.set
}

// printFlags lists fs's flags, those that share a value (aliases) on one
// line, shortest name first: "  -o, --output PATH".
func printFlags(w io.Writer, fs *flag.FlagSet) {
	type group struct {
		names []string
		f     *flag.Flag
	}
	var groups []*group
	fs.VisitAll(func(f *flag.Flag) {
		for _, g := range groups {
			if sameValue(g.f.Value, f.Value) {
				g.names = append(g.names, f.Name)
				return
			}
		}
		groups = append(groups, &group{[]string{f.Name}, f})
	})
	for _, g := range groups {
		slices.SortFunc(g.names, func(a, b string) int { return len(a) - len(b) })
	}
	// Sorted by the long name, help last.
	key := func(g *group) string {
		if g.f.Name == "help" || g.f.Name == "h" {
			return "\xff"
		}
		return g.names[len(g.names)-1]
	}
	slices.SortFunc(groups, func(a, b *group) int { return strings.Compare(key(a), key(b)) })
	for _, g := range groups {
		arg, help := flag.UnquoteUsage(g.f)
		dashed := make([]string, len(g.names))
		for i, n := range g.names {
			dashed[i] = dash(n)
		}
		line := "  " + strings.Join(dashed, ", ")
		if arg != "" && !isBool(g.f) {
			line += " " + arg
		}
		if !isZeroDefault(g.f) {
			help += fmt.Sprintf(" (default %q)", g.f.DefValue)
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, strings.ReplaceAll(help, "\n", "\n    \t"))
	}
}

// sameValue reports whether a and b are the same variable: flags
// registered with one pointer, as aliases are.
func sameValue(a, b flag.Value) (same bool) {
	defer func() {
		if recover() != nil {
			same = false // values of uncomparable types
		}
	}()
	return a == b
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func isZeroDefault(f *flag.Flag) bool {
	switch f.DefValue {
	case "", "0", "false", "[]":
		return true
	}
	return false
}

// dash spells a flag as users type it: -o, --output.
func dash(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// parseError rewrites an error of fs.Parse: an unknown flag gets the
// closest known one suggested.
func parseError(fs *flag.FlagSet, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
	if !ok {
		return err
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	if s := suggest(name, names); s != "" {
		return fmt.Errorf("unknown flag %s; did you mean %s?", dash(name), dash(s))
	}
	return fmt.Errorf("unknown flag %s", dash(name))
}

// suggest returns the candidate closest to word, or "" when none is close
// enough to be what was meant: at most a third of its letters wrong (one
// for short words), or word a prefix of it.
func suggest(word string, candidates []string) string {
	best, bestD, bestRaw := "", -1, 0
	for _, c := range candidates {
		raw := typo.Distance(word, c)
		d := raw
		if len(word) >= 3 && strings.HasPrefix(c, word) {
			d = min(d, 1)
		}
		if bestD < 0 || d < bestD || d == bestD && raw < bestRaw {
			best, bestD, bestRaw = c, d, raw
		}
	}
	if bestD < 0 || bestD > max(1, len(word)/3) || best == word {
		return ""
	}
	return best
}
