package build

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"

	"github.com/minimage/minimage/image/remote"
	"github.com/minimage/minimage/image/tarball"
	"github.com/minimage/minimage/internal/oci"
	"github.com/minimage/minimage/layer"
	"golang.org/x/sync/errgroup"
)

// RunAll builds several recipes in one run, as Run builds each, and
// returns their results in the order of recs. It is what a release of
// several programs runs: one RunAll costs far less than a Run per
// recipe.
//
// Every recipe is checked first (Validate), and the recipes against each
// other: two may not give one tag in the same layout or tarball, nor push
// to the same reference. Nothing is compiled or written before all pass.
// Then:
//
//   - go build runs once per platform for the packages of all recipes
//     that share Dir (a package directory: its module), GoBuild and
//     AllowDynamic, as go build -o DIR/ PKG...; each recipe takes its
//     program from there, and reports it as Run does. A package that is
//     not package main is an ErrNotMain error.
//   - The recipes share one layer.Cache, one layer.Limiter and one
//     remote.Mounts: the first that a recipe gives, else new ones. The
//     base files, CA bundle and zones are then built once, and a blob the
//     pushes share is uploaded once and mounted after.
//   - The images are built and written concurrently: layouts and pushes
//     per recipe, as Run writes them; a tarball output that several
//     recipes name (the same path, or the same Writer) is written once,
//     with every recipe's artifact under its Tags (tarball.WriteNamed).
//
// The first error stops the rest, and RunAll returns it once everything
// it started has stopped. A single recipe is built by Run.
func RunAll(ctx context.Context, recs []Recipe) ([]*Result, error) {
	switch len(recs) {
	case 0:
		return nil, invalid("no recipes to run")
	case 1:
		res, err := Run(ctx, recs[0])
		if err != nil {
			return nil, err
		}
		return []*Result{res}, nil
	}
	recs = share(recs)
	plans := make([]*plan, len(recs))
	for i, r := range recs {
		if err := r.Validate(); err != nil {
			return nil, err
		}
		plans[i] = &plan{r: r}
	}
	shared, err := checkAcross(recs)
	if err != nil {
		return nil, err
	}
	once := new(stepOnce)
	for i, r := range recs {
		if plans[i], err = r.plan(ctx); err != nil {
			return nil, err
		}
		plans[i].name, plans[i].once = r.Name(), once
	}
	shareFiles(plans)
	for _, t := range shared {
		t.takeFrom(plans)
	}
	units, err := groupBuilds(plans)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "minimage-build-*")
	if err != nil {
		return nil, fmt.Errorf("build: %w", err)
	}
	defer os.RemoveAll(tmp) // after every pipeline: nothing reads it then
	return runPlans(ctx, plans, units, shared, tmp)
}

// runPlans runs the go builds, and each plan's build and outputs, in
// goroutines of their own; the shared tarballs are written once every
// artifact is built.
func runPlans(ctx context.Context, plans []*plan, units []*goUnit, shared []*sharedTarball, tmp string) ([]*Result, error) {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return runUnits(ctx, units, tmp, plans[0].r.GoBuild.Parallel) })
	results := make([]*Result, len(plans))
	var built sync.WaitGroup
	built.Add(len(plans))
	for i, p := range plans {
		g.Go(func() error {
			res, err := p.build(ctx)
			results[i] = res
			built.Done()
			if err != nil {
				return err
			}
			return p.publish(ctx, res)
		})
	}
	g.Go(func() error {
		built.Wait()
		for _, t := range shared {
			if err := t.write(ctx, plans, results); err != nil {
				return err
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return results, nil
}

// share gives every recipe the layer cache, limiter and mounts of the
// first that has one, or new ones, and serializes their Progress calls
// across recipes.
func share(recs []Recipe) []Recipe {
	recs = slices.Clone(recs)
	var cache *layer.Cache
	var lim *layer.Limiter
	var mounts *remote.Mounts
	for _, r := range recs {
		cache, lim = cmpOr(cache, r.Cache), cmpOr(lim, r.Layer.Limiter)
		for _, o := range r.Outputs {
			mounts = cmpOr(mounts, o.Remote.Mounts)
		}
		if rb, ok := r.Base.(*registryBase); ok {
			mounts = cmpOr(mounts, rb.opts.Mounts)
		}
	}
	cache, lim, mounts = cmpOr(cache, &layer.Cache{}), cmpOr(lim, layer.NewLimiter(0)), cmpOr(mounts, remote.NewMounts())
	var mu sync.Mutex
	for i := range recs {
		r := &recs[i]
		r.Cache, r.Layer.Limiter = cmpOr(r.Cache, cache), cmpOr(r.Layer.Limiter, lim)
		*r = r.withMounts(mounts)
		if f := r.Progress; f != nil {
			r.Progress = func(e Event) {
				mu.Lock()
				defer mu.Unlock()
				f(e)
			}
		}
	}
	return recs
}

// cmpOr returns a, or b when a is nil.
func cmpOr[T any](a, b *T) *T {
	if a == nil {
		return b
	}
	return a
}

// sharedTarball is a tarball output that several recipes name: written
// once, with each of their artifacts.
type sharedTarball struct {
	out     Output
	key     any   // the absolute path, or the Writer
	recipes []int // indexes of the recipes that name it, in order
}

// outputKey identifies where a layout or tarball output writes: its
// Writer, or its absolute path; nil for a Writer that cannot be compared.
func outputKey(o Output) any {
	if o.Writer != nil {
		if !reflect.TypeOf(o.Writer).Comparable() {
			return nil
		}
		return o.Writer
	}
	abs, err := filepath.Abs(o.Path)
	if err != nil {
		return o.Path
	}
	return abs
}

// checkAcross checks the recipes against each other: no two push to one
// reference, write one path in two formats, or give one tag in the same
// layout or tarball. It returns the tarballs several recipes name.
func checkAcross(recs []Recipe) ([]*sharedTarball, error) {
	pushed := map[string]int{}
	formats := map[any]OutputFormat{}
	tagged := map[[2]any]int{}
	var shared []*sharedTarball
	for i, r := range recs {
		for _, o := range r.Outputs {
			if o.Format == Registry {
				ref, _ := remote.ParseReference(o.Path) // checked by Validate
				if j, ok := pushed[ref.String()]; ok && j != i {
					return nil, invalid("the images %s and %s both push to %s; give each a reference of its own", recs[j].Name(), r.Name(), o.Path)
				}
				pushed[ref.String()] = i
				continue
			}
			k := outputKey(o)
			if k == nil {
				continue // a Writer of its own
			}
			if f, ok := formats[k]; ok && f != o.Format {
				return nil, invalid("output %s is both a %s and a %s; give the layout and the tarball paths of their own", o.Path, f, o.Format)
			}
			formats[k] = o.Format
			if err := checkTags(recs, i, o, k, tagged); err != nil {
				return nil, err
			}
			if o.Format == Tarball {
				shared = addShared(shared, o, k, i)
			}
		}
	}
	return slices.DeleteFunc(shared, func(t *sharedTarball) bool { return len(t.recipes) < 2 }), nil
}

// checkTags refuses a tag of recipe i in the output o (key k) that
// another recipe gives there too.
func checkTags(recs []Recipe, i int, o Output, k any, tagged map[[2]any]int) error {
	for _, s := range recs[i].Tags {
		t, err := oci.ParseTag("build", s, ErrInvalid)
		if err != nil {
			return invalid("tag %s: %w", s, err)
		}
		if j, ok := tagged[[2]any{k, t.Key()}]; ok && j != i {
			return invalid("the images %s and %s are both tagged %s in %s; give each tags of its own, such as NAME:TAG", recs[j].Name(), recs[i].Name(), s, o.Path)
		}
		tagged[[2]any{k, t.Key()}] = i
	}
	return nil
}

func addShared(shared []*sharedTarball, o Output, k any, i int) []*sharedTarball {
	j := slices.IndexFunc(shared, func(t *sharedTarball) bool { return t.key == k })
	if j < 0 {
		return append(shared, &sharedTarball{out: o, key: k, recipes: []int{i}})
	}
	if !slices.Contains(shared[j].recipes, i) {
		shared[j].recipes = append(shared[j].recipes, i)
	}
	return shared
}

// takeFrom removes t from the outputs of the plans that name it: RunAll
// writes it once, for all of them.
func (t *sharedTarball) takeFrom(plans []*plan) {
	for _, i := range t.recipes {
		r := &plans[i].r
		r.Outputs = slices.DeleteFunc(slices.Clone(r.Outputs), func(o Output) bool {
			return o.Format == Tarball && outputKey(o) == t.key
		})
	}
}

// write writes the tarball with the artifact of each of its recipes,
// tagged with the recipe's Tags; it writes nothing when a build failed.
func (t *sharedTarball) write(ctx context.Context, plans []*plan, results []*Result) error {
	items := make([]tarball.Named, len(t.recipes))
	for n, i := range t.recipes {
		if results[i] == nil {
			return nil // its build failed, and said so
		}
		items[n] = tarball.Named{Artifact: results[i].Artifact, Tags: plans[i].r.Tags}
	}
	plans[t.recipes[0]].sharedStep("writing %s (%s, %d images)", t.out.Path, t.out.Format, len(items))
	var err error
	if t.out.Writer != nil {
		err = tarball.WriteNamed(ctx, t.out.Writer, items)
	} else {
		err = tarball.WriteFileNamed(ctx, t.out.Path, items)
	}
	if err != nil {
		return fmt.Errorf("build: output %s: %w", t.out.Path, err)
	}
	return nil
}

// filesLayer is the layer of Recipe.Files, with the files' reports, that
// the plans of a RunAll with the same Files and layer format share: made
// once, by the first plan that needs it.
type filesLayer struct {
	once sync.Once
	l    *layer.Layer
	rep  []FileReport
	err  error
}

// get returns what build made, calling it the first time.
func (f *filesLayer) get(build func() (*layer.Layer, []FileReport, error)) (*layer.Layer, []FileReport, error) {
	f.once.Do(func() { f.l, f.rep, f.err = build() })
	return f.l, slices.Clone(f.rep), f.err
}

// shareFiles gives the plans whose Files and layer format are equal one
// filesLayer: a release adding the same files (ko's kodata) to each of
// its images reads and compresses them once.
func shareFiles(plans []*plan) {
	for i, p := range plans {
		if len(p.r.Files) == 0 || p.files != nil {
			continue
		}
		f := &filesLayer{}
		for _, q := range plans[i:] {
			if q.files == nil && q.layer.Format == p.layer.Format && reflect.DeepEqual(q.r.Files, p.r.Files) {
				q.files = f
			}
		}
	}
}
