package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/minimage/minimage/build"
	"github.com/minimage/minimage/layer"
)

// progress reports long work on stderr: a line a step, and a live byte
// count per layer when stderr is a terminal, with the percentage and
// total where the size is known. With -q it prints nothing: no steps, no
// notes, no counts. The live line is cleared before anything else is
// printed, errors included (done).
type progress struct {
	w     io.Writer
	quiet bool
	tty   bool
	live  bool // a \r line is on screen
	last  time.Time
}

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) step(format string, args ...any) {
	if p.quiet {
		return
	}
	p.clear()
	fmt.Fprintf(p.w, "minimage: "+format+"\n", args...)
}

// note prints something the user should know, such as what a bare image
// lacks; -q silences it too.
func (p *progress) note(format string, args ...any) {
	p.step(format, args...)
}

// event prints one build.Event: the build package's progress callback,
// which it calls one at a time.
func (p *progress) event(e build.Event) {
	switch e.Kind {
	case build.Step:
		p.step("%s", e.Message)
	case build.Note:
		p.note("%s", e.Message)
	case build.LayerBytes:
		p.layer(e.Layer, e.Bytes, e.Total)
	}
}

// layer shows a live byte count for one layer on a terminal: "binary
// linux/amd64: 2.0 of 4.2 MiB (48%), 1.2 MiB compressed" where the total
// is known.
func (p *progress) layer(name string, lp layer.Progress, total int64) {
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

func (p *progress) clear() {
	if p.live {
		fmt.Fprint(p.w, "\r\033[K")
		p.live = false
	}
}

func (p *progress) done() { p.clear() }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
