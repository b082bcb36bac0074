package minimage_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
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

// apiIndex is what the module's packages declare, by package name: the
// names a document may write as pkg.Name or pkg.Type.Member.
type apiIndex map[string][]*apiPackage

// apiPackage is one package's exported declarations.
type apiPackage struct {
	dir     string
	funcs   map[string]*ast.FuncType
	types   map[string]*ast.TypeSpec
	values  map[string]bool                     // consts and vars
	members map[string]map[string]*ast.FuncType // type → method or field (nil FuncType)
}

// parseAPI parses every package of the module (not its nested modules,
// not test files) with go/parser.
func parseAPI(t *testing.T) apiIndex {
	t.Helper()
	idx := apiIndex{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if path != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && path != "." {
			return filepath.SkipDir
		}
		pkgs, err := parser.ParseDir(token.NewFileSet(), path, func(fi fs.FileInfo) bool {
			return !strings.HasSuffix(fi.Name(), "_test.go")
		}, 0)
		if err != nil {
			return err
		}
		for name, p := range pkgs {
			idx[name] = append(idx[name], newAPIPackage(path, p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

func newAPIPackage(dir string, p *ast.Package) *apiPackage {
	ap := &apiPackage{dir: dir, funcs: map[string]*ast.FuncType{}, types: map[string]*ast.TypeSpec{},
		values: map[string]bool{}, members: map[string]map[string]*ast.FuncType{}}
	member := func(typ, name string, ft *ast.FuncType) {
		if ap.members[typ] == nil {
			ap.members[typ] = map[string]*ast.FuncType{}
		}
		ap.members[typ][name] = ft
	}
	for _, f := range p.Files {
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					ap.funcs[d.Name.Name] = d.Type
					continue
				}
				recv := d.Recv.List[0].Type
				if s, ok := recv.(*ast.StarExpr); ok {
					recv = s.X
				}
				if ix, ok := recv.(*ast.IndexExpr); ok {
					recv = ix.X
				}
				if id, ok := recv.(*ast.Ident); ok {
					member(id.Name, d.Name.Name, d.Type)
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						ap.types[s.Name.Name] = s
						if st, ok := s.Type.(*ast.StructType); ok {
							for _, fld := range st.Fields.List {
								for _, n := range fld.Names {
									member(s.Name.Name, n.Name, nil)
								}
							}
						}
						if it, ok := s.Type.(*ast.InterfaceType); ok {
							for _, m := range it.Methods.List {
								for _, n := range m.Names {
									member(s.Name.Name, n.Name, m.Type.(*ast.FuncType))
								}
							}
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							ap.values[n.Name] = true
						}
					}
				}
			}
		}
	}
	return ap
}

// lookup reports whether pkg.name[.member] exists in any package of that
// name, and returns the function it names, if it names one.
func (idx apiIndex) lookup(pkg, name, member string) (found bool, ft *ast.FuncType) {
	for _, p := range idx[pkg] {
		if member == "" {
			if f, ok := p.funcs[name]; ok {
				return true, f
			}
			if p.types[name] != nil || p.values[name] {
				return true, nil
			}
			continue
		}
		if f, ok := p.members[name][member]; ok {
			return true, f
		}
	}
	return false, nil
}

// docNames is one name a document uses, where it uses it.
type docNames struct {
	where string // file:line
	code  string // the code span, block or doc link
}

var (
	fenceRE   = regexp.MustCompile("(?s)```(\\w*)\\n(.*?)```")
	spanRE    = regexp.MustCompile("`([^`\\n]+)`")
	docLinkRE = regexp.MustCompile(`\[([a-z]\w*\.)?([A-Z]\w*)(\.[A-Z]\w*)?\]`)
	selRE     = regexp.MustCompile(`(^|[^\w./])([a-z]\w*)\.([A-Z]\w*)(?:\.([A-Z]\w*))?(\()?`)
)

// markdownCode returns the Go-looking code of a markdown file: its ```go
// and untyped fenced blocks and its code spans (tables included).
func markdownCode(name, text string) []docNames {
	var out []docNames
	line := func(off int) string { return fmt.Sprintf("%s:%d", name, 1+strings.Count(text[:off], "\n")) }
	for _, m := range fenceRE.FindAllStringSubmatchIndex(text, -1) {
		if lang := text[m[2]:m[3]]; lang == "go" || lang == "" {
			out = append(out, docNames{line(m[4]), text[m[4]:m[5]]})
		}
	}
	rest := fenceRE.ReplaceAllStringFunc(text, func(s string) string { return strings.Repeat("\n", strings.Count(s, "\n")) })
	for _, m := range spanRE.FindAllStringSubmatchIndex(rest, -1) {
		out = append(out, docNames{fmt.Sprintf("%s:%d", name, 1+strings.Count(rest[:m[2]], "\n")), rest[m[2]:m[3]]})
	}
	return out
}

// foreignNames are names the documents write in pkg.Name form that are
// another library's, not this module's.
var foreignNames = map[string]bool{
	"tarball.LayerFromOpener": true, // go-containerregistry's pkg/v1/tarball
	"remote.Write":            true, // go-containerregistry's pkg/v1/remote
}

// TestDocNames checks that every name the README, BENCHMARKS.md, docs/
// and the package docs (doc.go) write as pkg.Name or pkg.Type.Member in
// code exists in the module with that shape: a call names a function or
// method, with as many arguments as it takes.
func TestDocNames(t *testing.T) {
	idx := parseAPI(t)
	var code []docNames
	mds, _ := filepath.Glob("docs/*.md")
	for _, name := range append([]string{"README.md", "BENCHMARKS.md"}, mds...) {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		code = append(code, markdownCode(name, string(b))...)
	}
	pkgDocs := map[string]string{} // file → its package's name
	for name, ps := range idx {
		for _, p := range ps {
			if _, err := os.Stat(filepath.Join(p.dir, "doc.go")); err == nil {
				pkgDocs[filepath.Join(p.dir, "doc.go")] = name
			}
		}
	}
	checked := 0
	for file, pkg := range pkgDocs {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range strings.Split(string(b), "\n") {
			where := fmt.Sprintf("%s:%d", file, i+1)
			if strings.HasPrefix(l, "//\t") {
				code = append(code, docNames{where, strings.TrimPrefix(l, "//\t")})
			}
			for _, m := range docLinkRE.FindAllStringSubmatch(l, -1) {
				p := strings.TrimSuffix(m[1], ".")
				if p == "" {
					p = pkg
				}
				if _, ok := idx[p]; !ok {
					continue // a standard library link
				}
				checked++
				if ok, _ := idx.lookup(p, m[2], strings.TrimPrefix(m[3], ".")); !ok {
					t.Errorf("%s: doc link %s: %s has no such name", where, m[0], p)
				}
			}
		}
	}
	for _, c := range code {
		checked += checkCode(t, idx, c)
	}
	if checked < 100 {
		t.Errorf("checked %d names; the extraction has stopped finding them", checked)
	}
}

// checkCode checks the pkg.Name[.Member] selectors in c, and the number
// of arguments of each call that parses as Go.
func checkCode(t *testing.T, idx apiIndex, c docNames) int {
	t.Helper()
	n := 0
	for _, m := range selRE.FindAllStringSubmatch(c.code, -1) {
		pkg, name, member := m[2], m[3], m[4]
		if _, ok := idx[pkg]; !ok || pkg == "minimage" || pkg == "main" {
			continue
		}
		full := pkg + "." + name
		if member != "" {
			full += "." + member
		}
		if foreignNames[pkg+"."+name] {
			continue
		}
		n++
		ok, _ := idx.lookup(pkg, name, member)
		if !ok && member != "" {
			// pkg.Func.Something or a field of a value: the first two alone.
			ok, _ = idx.lookup(pkg, name, "")
			ok = ok && idx.typeOf(pkg, name) == nil
		}
		if !ok {
			t.Errorf("%s: %s is not in package %s (in %q)", c.where, full, pkg, c.code)
		}
	}
	checkCalls(t, idx, c)
	return n
}

// typeOf returns the type spec pkg.name declares, nil if it declares none.
func (idx apiIndex) typeOf(pkg, name string) *ast.TypeSpec {
	for _, p := range idx[pkg] {
		if ts := p.types[name]; ts != nil {
			return ts
		}
	}
	return nil
}

// checkCalls parses c as statements and checks each pkg.Func(args) call's
// argument count against Func's parameters. Code that does not parse as
// Go (shell, prose) is left to the selector check.
func checkCalls(t *testing.T, idx apiIndex, c docNames) {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc _() {\n"+c.code+"\n}\n", 0)
	if err != nil {
		return
	}
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		var pkg, name, member string
		switch x := sel.X.(type) {
		case *ast.Ident:
			pkg, name = x.Name, sel.Sel.Name
		case *ast.SelectorExpr: // pkg.Type.Method(recv, args)
			id, ok := x.X.(*ast.Ident)
			if !ok {
				return true
			}
			pkg, name, member = id.Name, x.Sel.Name, sel.Sel.Name
		default:
			return true
		}
		if _, ok := idx[pkg]; !ok || foreignNames[pkg+"."+name] {
			return true
		}
		_, ft := idx.lookup(pkg, name, member)
		if ft == nil {
			return true
		}
		min, variadic := params(ft)
		if member != "" {
			min++ // a method expression takes its receiver first
		}
		got := len(call.Args)
		if got < min || (!variadic && got > min) {
			t.Errorf("%s: %s.%s takes %d arguments, the document gives %d: %s", c.where, pkg, name, min, got, c.code)
		}
		return true
	})
}

// params returns the number of parameters ft takes before any ...T, and
// whether it has one.
func params(ft *ast.FuncType) (n int, variadic bool) {
	for _, p := range ft.Params.List {
		k := max(len(p.Names), 1)
		if _, ok := p.Type.(*ast.Ellipsis); ok {
			return n, true
		}
		n += k
	}
	return n, false
}

// TestExamplesSelfContained checks that every example_test.go in the
// module uses nothing declared in the package's other test files, so that
// each example, with the helpers of its own file, is a program a user can
// paste.
func TestExamplesSelfContained(t *testing.T) {
	files, err := filepath.Glob("*/example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("*/*/example_test.go")
	deeper, _ := filepath.Glob("*/*/*/example_test.go")
	files = append(append(append(files, "example_test.go"), more...), deeper...)
	checked := 0
	for _, ex := range files {
		if strings.HasPrefix(ex, "bench/") || strings.HasPrefix(ex, "interop/") || strings.HasPrefix(ex, "conformance/") {
			continue
		}
		fset := token.NewFileSet()
		ef, err := parser.ParseFile(fset, ex, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		others := testDecls(t, fset, filepath.Dir(ex), ef.Name.Name)
		checked++
		sels := map[*ast.Ident]bool{} // the Name of x.Name, which is no top-level name
		ast.Inspect(ef, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				sels[sel.Sel] = true
			}
			return true
		})
		ast.Inspect(ef, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && !sels[id] && id.Obj == nil && others[id.Name] != "" {
				t.Errorf("%s: uses %s, declared in %s", fset.Position(id.Pos()), id.Name, others[id.Name])
			}
			return true
		})
	}
	if checked < 10 {
		t.Errorf("checked %d example files; the glob has stopped finding them", checked)
	}
}

// testDecls returns the top-level names the _test.go files of dir other
// than example_test.go declare in package pkg, each with its file.
func testDecls(t *testing.T, fset *token.FileSet, dir, pkg string) map[string]string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	decls := map[string]string{}
	for _, name := range names {
		if filepath.Base(name) == "example_test.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name != pkg {
			continue
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil {
					decls[d.Name.Name] = name
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						decls[s.Name.Name] = name
					case *ast.ValueSpec:
						for _, n := range s.Names {
							decls[n.Name] = name
						}
					}
				}
			}
		}
	}
	return decls
}
