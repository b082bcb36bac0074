package base_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/minimage/minimage/base"
	"github.com/minimage/minimage/certs"
	"github.com/minimage/minimage/layer"
	"github.com/minimage/minimage/tzdata"
)

// TestSizes reports the size of each layer the three packages make, gzip
// (the default) and uncompressed, as the Markdown table in docs/sizes.md:
//
//	go test ./base -run TestSizes -v
func TestSizes(t *testing.T) {
	ctx := context.Background()
	subset := []string{"Europe/Paris", "America/New_York", "US/Eastern", "UTC"}
	rows := []struct {
		name  string
		build func(layer.Options) (*layer.Layer, error)
	}{
		{"base", func(o layer.Options) (*layer.Layer, error) { return base.Layer(ctx, base.Options{Layer: o}) }},
		{"certs (default)", func(o layer.Options) (*layer.Layer, error) { return certs.Layer(ctx, certs.Options{Layer: o}) }},
		{"tzdata all", tz(ctx, tzdata.Options{Zones: []string{"all"}})},
		{"tzdata all, zip", tz(ctx, tzdata.Options{Zones: []string{"all"}, Zip: true})},
		{"tzdata Europe/*", tz(ctx, tzdata.Options{Zones: []string{"Europe/*"}})},
		{"tzdata 4 names + localtime", tz(ctx, tzdata.Options{Zones: subset, Localtime: "Europe/Paris"})},
		{"tzdata 4 names + localtime, zip", tz(ctx, tzdata.Options{Zones: subset, Localtime: "Europe/Paris", Zip: true})},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "| layer | gzip (bytes) | uncompressed tar (bytes) |\n|---|--:|--:|\n")
	for _, r := range rows {
		gz, err := r.build(layer.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tar, err := r.build(layer.Options{Format: layer.Format{Compression: layer.Uncompressed}})
		if err != nil {
			t.Fatal(err)
		}
		if gz.Size() >= tar.Size() {
			t.Errorf("%s: gzip %d bytes, not smaller than the tar's %d", r.name, gz.Size(), tar.Size())
		}
		fmt.Fprintf(&b, "| %s | %d | %d |\n", r.name, gz.Size(), tar.Size())
	}
	t.Logf("sizes:\n%s", b.String())
}

func tz(ctx context.Context, o tzdata.Options) func(layer.Options) (*layer.Layer, error) {
	return func(lo layer.Options) (*layer.Layer, error) {
		o.Layer = lo
		return tzdata.Layer(ctx, o)
	}
}
