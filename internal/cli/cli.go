// Package cli is the command line's flag handling: flag sets whose flags
// take one dash or two and may come after the arguments, aliases listed
// together in the help, one-line usage errors that wrap ErrUsage, and a
// suggestion for a mistyped flag or command. cmd/minimage uses it; it
// knows nothing of images.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/minimage/minimage/internal/typo"
)

// ErrUsage is wrapped by every usage error of Parse: a bad flag, or too
// few or too many arguments.
var ErrUsage = errors.New("usage")

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

// NewFlagSet returns a FlagSet whose usage is head followed by the flags
// (printFlags), on stderr after a usage error and on stdout for -h and
// --help. The flag package's own messages are silenced: parseCommand
// reports errors, with a suggestion for a mistyped flag.
func NewFlagSet(name, head string, stdout, stderr io.Writer) *flag.FlagSet {
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
			if SameValue(g.f.Value, f.Value) {
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

// SameValue reports whether a and b are the same variable: flags
// registered with one pointer, as aliases are.
func SameValue(a, b flag.Value) (same bool) {
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
	if s := Suggest(name, names); s != "" {
		return fmt.Errorf("unknown flag %s; did you mean %s?", dash(name), dash(s))
	}
	return fmt.Errorf("unknown flag %s", dash(name))
}

// Suggest returns the candidate closest to word, or "" when none is close
// enough to be what was meant: at most a third of its letters wrong (one
// for short words), or word a prefix of it.
func Suggest(word string, candidates []string) string {
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

// Parse parses a command's flags and its positional arguments:
// at least min, at most max (-1: any number), what says which ("TARGET",
// "REF SRC..."). Anything else is a usage error.
func Parse(fs *flag.FlagSet, args []string, min, max int, what string) ([]string, error) {
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrUsage, err)
	}
	if len(pos) < min || max >= 0 && len(pos) > max {
		return nil, fmt.Errorf("%w: want %s, got %s", ErrUsage, what, arguments(len(pos)))
	}
	return pos, nil
}

// parseInterspersed parses flags that may come before or after the
// positional arguments, as in "minimage build ./cmd/app -o out". For -h
// or --help it prints the usage and returns flag.ErrHelp; a mistyped
// flag's error suggests the closest one (parseError), with no usage.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	usage := fs.Usage
	fs.Usage = func() {} // the flag package's call on an error
	defer func() { fs.Usage = usage }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, err
			}
			return nil, parseError(fs, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if helpAsked(fs) {
		usage()
		return nil, flag.ErrHelp
	}
	return pos, nil
}

// List is a repeatable flag: Values holds each use, in order; with Split
// set, each use may also hold a comma-separated list.
type List struct {
	Values []string
	Split  bool
}

func (l *List) String() string { return strings.Join(l.Values, ",") }

func (l *List) Set(v string) error {
	if !l.Split {
		l.Values = append(l.Values, v)
		return nil
	}
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			l.Values = append(l.Values, s)
		}
	}
	return nil
}

// KeyValues parses K=V flags into a map, naming the flag in its error.
func KeyValues(flag string, vs []string) (map[string]string, error) {
	if len(vs) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(vs))
	for _, v := range vs {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flag, v)
		}
		m[k] = val
	}
	return m, nil
}

// KeyValueList checks K=V flags and keeps them in order, naming the flag
// in its error.
func KeyValueList(flag string, vs []string) ([]string, error) {
	for _, v := range vs {
		if k, _, ok := strings.Cut(v, "="); !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flag, v)
		}
	}
	return vs, nil
}

// arguments says "1 argument", "2 arguments".
func arguments(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
}
