package build

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/minimage/minimage/layer"
)

func TestProgressPrinterTerminal(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := &ProgressPrinter{w: &buf, prefix: "minimage: ", tty: true}
	p.Event(Event{Kind: LayerBytes, Layer: "binary linux/amd64", Bytes: layer.Progress{In: 2 << 20, Out: 1 << 20}, Total: 4 << 20})
	if got := buf.String(); !strings.Contains(got, "binary linux/amd64: 2.0 of 4.0 MiB (50%), 1.0 MiB compressed") {
		t.Errorf("live line %q: want the percentage and total", got)
	}
	buf.Reset()
	p.last = p.last.Add(-time.Second)
	p.Event(Event{Kind: LayerBytes, Layer: "files", Bytes: layer.Progress{In: 3 << 20, Out: 1 << 20}})
	if got := buf.String(); !strings.Contains(got, "files: 3.0 MiB, 1.0 MiB compressed") || strings.Contains(got, "%") {
		t.Errorf("live line %q: no total known, no percentage", got)
	}
	// What comes next, a step or the error the command prints after
	// done, starts on a cleared line.
	buf.Reset()
	p.Event(Event{Kind: Step, Message: "writing out"})
	if got := buf.String(); !strings.HasPrefix(got, "\r\033[K") || !strings.HasSuffix(got, "minimage: writing out\n") {
		t.Errorf("a step after a live line: %q", got)
	}
	// Of one image of several (RunAll), the lines name the image.
	buf.Reset()
	p.Event(Event{Kind: Step, Message: "adding the binary for linux/amd64", Image: "api"})
	p.last = p.last.Add(-time.Second)
	p.Event(Event{Kind: LayerBytes, Layer: "binary linux/amd64", Bytes: layer.Progress{In: 1 << 20}, Image: "api"})
	if got := buf.String(); !strings.Contains(got, "minimage: api: adding the binary for linux/amd64\n") || !strings.Contains(got, "api binary linux/amd64: 1.0 MiB") {
		t.Errorf("lines of the image api: %q", got)
	}
	p.last = p.last.Add(-time.Second)
	p.Event(Event{Kind: LayerBytes, Layer: "x", Bytes: layer.Progress{In: 1}})
	buf.Reset()
	p.Done()
	if buf.String() != "\r\033[K" {
		t.Errorf("done after a live line wrote %q, want the line cleared", buf.String())
	}
}

func TestProgressPrinterQuiet(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	p := NewProgressPrinter(&buf, "minimage: ", true)
	p.tty = true
	for _, e := range []Event{
		{Kind: Step, Message: "go build"},
		{Kind: Note, Message: "bare: no CA certificates"},
		{Kind: LayerBytes, Layer: "x", Bytes: layer.Progress{In: 1}, Total: 2},
	} {
		p.Event(e)
	}
	p.Done()
	if buf.Len() != 0 {
		t.Errorf("-q printed %q", buf.String())
	}
	// Not a terminal: steps, no live counts.
	p = NewProgressPrinter(&buf, "minimage: ", false) // a bytes.Buffer: no terminal
	p.Event(Event{Kind: LayerBytes, Layer: "x", Bytes: layer.Progress{In: 1}, Total: 2})
	p.Event(Event{Kind: Note, Message: "a note"})
	if buf.String() != "minimage: a note\n" {
		t.Errorf("progress to a file printed %q", buf.String())
	}
}
