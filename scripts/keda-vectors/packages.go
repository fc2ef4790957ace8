package main

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// module is the Go module whose tests are read: its packages are parsed on demand, so a constant
// defined in another package of the module (apis/keda/v1alpha1, for one) can be looked up.
type module struct {
	root string
	path string
	fset *token.FileSet
	pkgs map[string]*pkg // by import path

	inlineDepth int
}

// pkg is one parsed package: its declarations by name, across all its files.
type pkg struct {
	mod        *module
	importPath string
	rel        string // directory relative to the module root, slash-separated
	files      []*srcFile
	withTests  bool
	types      map[string]*typeDecl
	values     map[string]*valueDecl
	funcs      map[string]*funcDecl
	cache      map[string]any
	evaluating map[string]bool
}

type srcFile struct {
	pkg     *pkg
	rel     string // path relative to the module root
	ast     *ast.File
	src     []byte
	test    bool
	imports map[string]string // local name to import path
}

// funcDecl is a package-level function (not a method), for inlining one-statement helpers.
type funcDecl struct {
	decl *ast.FuncDecl
	file *srcFile
}

type typeDecl struct {
	spec *ast.TypeSpec
	file *srcFile
}

// valueDecl is one package-level constant or variable. Constants without a value repeat the
// previous specification of their group, with their own iota.
type valueDecl struct {
	name     string
	value    ast.Expr
	typ      ast.Expr
	constant bool
	iota     int64
	file     *srcFile
}

func openModule(root string) (*module, error) {
	modPath, err := readModulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return nil, err
	}
	return &module{root: root, path: modPath, fset: token.NewFileSet(), pkgs: map[string]*pkg{}}, nil
}

func readModulePath(goMod string) (string, error) {
	file, err := os.Open(goMod)
	if err != nil {
		return "", err
	}
	defer file.Close()
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(scanner.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("%s names no module", goMod)
}

// load parses the package at an import path inside the module; withTests adds its _test.go files.
// It returns nil for paths outside the module.
func (m *module) load(importPath string, withTests bool) (*pkg, error) {
	p, loaded := m.pkgs[importPath]
	if loaded && (p.withTests || !withTests) {
		return p, nil
	}
	rel, ok := strings.CutPrefix(importPath, m.path)
	if !ok || (rel != "" && !strings.HasPrefix(rel, "/")) {
		return nil, nil
	}
	rel = strings.TrimPrefix(rel, "/")
	if !loaded {
		p = &pkg{
			mod: m, importPath: importPath, rel: rel,
			types: map[string]*typeDecl{}, values: map[string]*valueDecl{}, funcs: map[string]*funcDecl{},
			cache: map[string]any{}, evaluating: map[string]bool{},
		}
		m.pkgs[importPath] = p
	}
	dir := filepath.Join(m.root, filepath.FromSlash(rel))
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, entry := range entries {
		name := entry.Name()
		test := strings.HasSuffix(name, "_test.go")
		// A package first loaded for its declarations gets its test files added later.
		if entry.IsDir() || !strings.HasSuffix(name, ".go") || (test && !withTests) || (!test && loaded) {
			continue
		}
		if err := p.parseFile(path.Join(rel, name), filepath.Join(dir, name), test); err != nil {
			return nil, err
		}
	}
	p.withTests = withTests
	return p, nil
}

func (p *pkg) parseFile(rel, file string, test bool) error {
	src, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	parsed, err := parser.ParseFile(p.mod.fset, file, src, parser.ParseComments)
	if err != nil {
		return err
	}
	f := &srcFile{pkg: p, rel: rel, ast: parsed, src: src, test: test, imports: map[string]string{}}
	for _, spec := range parsed.Imports {
		importPath, _ := strconv.Unquote(spec.Path.Value)
		name := defaultImportName(importPath)
		if spec.Name != nil {
			name = spec.Name.Name
		}
		f.imports[name] = importPath
	}
	p.files = append(p.files, f)
	for _, decl := range parsed.Decls {
		switch decl := decl.(type) {
		case *ast.GenDecl:
			p.declare(decl, f)
		case *ast.FuncDecl:
			if _, seen := p.funcs[decl.Name.Name]; !seen && decl.Recv == nil && decl.Body != nil {
				p.funcs[decl.Name.Name] = &funcDecl{decl: decl, file: f}
			}
		}
	}
	return nil
}

// declare records a declaration's types, constants and variables (later files do not override).
func (p *pkg) declare(gen *ast.GenDecl, f *srcFile) {
	var last *ast.ValueSpec
	for index, spec := range gen.Specs {
		switch spec := spec.(type) {
		case *ast.TypeSpec:
			if _, seen := p.types[spec.Name.Name]; !seen {
				p.types[spec.Name.Name] = &typeDecl{spec: spec, file: f}
			}
		case *ast.ValueSpec:
			source := spec
			if gen.Tok == token.CONST && len(spec.Values) == 0 && last != nil {
				source = last
			} else {
				last = spec
			}
			for i, name := range spec.Names {
				if _, seen := p.values[name.Name]; seen || name.Name == "_" {
					continue
				}
				decl := &valueDecl{name: name.Name, typ: source.Type, constant: gen.Tok == token.CONST, iota: int64(index), file: f}
				if i < len(source.Values) && len(source.Values) == len(spec.Names) {
					decl.value = source.Values[i]
				}
				p.values[name.Name] = decl
			}
		}
	}
}

// defaultImportName guesses a package's name from its import path, as Go code usually matches:
// the last element without a major-version suffix (yaml.v3 → yaml, .../v2 → the element before).
func defaultImportName(importPath string) string {
	parts := strings.Split(importPath, "/")
	name := parts[len(parts)-1]
	if len(parts) > 1 && len(name) > 1 && name[0] == 'v' && isDigits(name[1:]) {
		name = parts[len(parts)-2]
	}
	if i := strings.Index(name, ".v"); i > 0 {
		name = name[:i]
	}
	name = strings.TrimPrefix(name, "go-")
	return strings.ReplaceAll(name, "-", "_")
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// text is the source text of a node, as written.
func (f *srcFile) text(node ast.Node) string {
	fset := f.pkg.mod.fset
	start, end := fset.Position(node.Pos()).Offset, fset.Position(node.End()).Offset
	if start < 0 || end > len(f.src) || start > end {
		return ""
	}
	return string(f.src[start:end])
}

func (f *srcFile) line(pos token.Pos) int {
	return f.pkg.mod.fset.Position(pos).Line
}

// testDirs lists the directories under pkg/scalers (itself included) that hold _test.go files.
func testDirs(root string) ([]string, error) {
	seen := map[string]bool{}
	var dirs []string
	base := filepath.Join(root, "pkg", "scalers")
	err := filepath.WalkDir(base, func(file string, entry os.DirEntry, err error) error {
		if err != nil || entry.IsDir() || !strings.HasSuffix(file, "_test.go") {
			return err
		}
		dir, _ := filepath.Rel(root, filepath.Dir(file))
		if dir = filepath.ToSlash(dir); !seen[dir] {
			seen[dir] = true
			dirs = append(dirs, dir)
		}
		return nil
	})
	sort.Strings(dirs)
	return dirs, err
}
