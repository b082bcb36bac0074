package build

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/layer"
)

// ProgressPrinter prints a build's Events as text, as minimage build
// does: a line a step or note, and a live byte count per layer when w is
// a terminal, with the percentage and total where the size is known.
// Quiet prints nothing: no steps, no notes, no counts. The live line is
// cleared before anything else is printed; call Done when Run returns so
// that what comes next (an error) starts on a clean line. Its Event
// method is a Recipe.Progress.
type ProgressPrinter struct {
	w      io.Writer
	prefix string
	quiet  bool
	tty    bool
	live   bool // a \r line is on screen
	last   time.Time
}

// NewProgressPrinter returns a ProgressPrinter that writes to w, each
// step and note as prefix then the message; quiet silences it.
func NewProgressPrinter(w io.Writer, prefix string, quiet bool) *ProgressPrinter {
	p := &ProgressPrinter{w: w, prefix: prefix, quiet: quiet}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// Event prints e. Run calls Recipe.Progress one event at a time.
func (p *ProgressPrinter) Event(e Event) {
	switch e.Kind {
	case Step, Note:
		if e.Image != "" {
			p.line(e.Image + ": " + e.Message)
		} else {
			p.line(e.Message)
		}
	case LayerBytes:
		name := e.Layer
		if e.Image != "" {
			name = e.Image + " " + name
		}
		p.layer(name, e.Bytes, e.Total)
	}
}

// Remote prints a registry's progress, as minimage push and pull do (a
// remote.Options.Progress): a line as each blob's push ends, each retry,
// and each wait for a registry that does not answer.
func (p *ProgressPrinter) Remote(rp remote.Progress) {
	d := rp.Descriptor.Digest.String()
	if len(d) > 19 {
		d = d[:19]
	}
	switch rp.State {
	case remote.Exists, remote.Mounted:
		p.line(fmt.Sprintf("%s %s", d, rp.State))
	case remote.Uploaded:
		p.line(fmt.Sprintf("%s pushed %s", d, mib(rp.Total)))
	case remote.Retrying:
		p.line(fmt.Sprintf("%s retrying: %v", d, rp.Err))
	case remote.Waiting:
		p.line(fmt.Sprintf("%v; trying again in %v", rp.Err, rp.Wait.Round(time.Millisecond)))
	}
}

// Done clears the live line, if any.
func (p *ProgressPrinter) Done() { p.clear() }

func (p *ProgressPrinter) line(msg string) {
	if p.quiet {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "%s%s\n", p.prefix, msg)
}

// layer shows a live byte count for one layer on a terminal: "binary
// linux/amd64: 2.0 of 4.2 MiB (48%), 1.2 MiB compressed" where the total
// is known.
func (p *ProgressPrinter) layer(name string, lp layer.Progress, total int64) {
	if p.quiet || !p.tty || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	if total > 0 {
		pct := min(100, lp.In*100/total)
		fmt.Fprintf(p.w, "\r\033[K  %s: %.1f of %s (%d%%), %s compressed", name, float64(lp.In)/(1<<20), mib(total), pct, mib(lp.Out))
	} else {
		fmt.Fprintf(p.w, "\r\033[K  %s: %s, %s compressed", name, mib(lp.In), mib(lp.Out))
	}
	p.live = true
}

func (p *ProgressPrinter) clear() {
	if p.live {
		fmt.Fprint(p.w, "\r\033[K")
		p.live = false
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
