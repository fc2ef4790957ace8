// Command keda-vectors reads the table-driven tests of KEDA's scalers (pkg/scalers/**/*_test.go
// in a KEDA module directory) and writes each test file's tables as JSON: the rows of every
// slice, array or map of structs, evaluated to plain values, with the line and the comment of
// each row. Tidal's conformance tests run these rows against its own scalers.
//
//	keda-vectors -download DOWNLOAD.json -out DIR [-git-dir CLONE]
//	keda-vectors -keda DIR -out DIR
//
// DOWNLOAD.json is the output of `go mod download -json github.com/kedacore/keda/v2@VERSION`;
// scripts/keda-vectors.sh runs both steps.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

type summary struct {
	Tables      int `json:"tables"`
	Rows        int `json:"rows"`
	Unevaluated int `json:"unevaluated"`
}

func main() {
	downloadFile := flag.String("download", "", "output of go mod download -json for the KEDA module")
	kedaDir := flag.String("keda", "", "a KEDA module directory, instead of -download")
	gitDir := flag.String("git-dir", "", "a local clone of KEDA, to find the commit when the proxy gives no origin")
	outDir := flag.String("out", "", "directory to write the JSON files into")
	flag.Parse()
	if (*downloadFile == "") == (*kedaDir == "") || *outDir == "" || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	source := object{"module": "", "version": "", "commit": "", "commitFrom": ""}
	if *downloadFile != "" {
		d, err := readDownload(*downloadFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "keda-vectors:", err)
			os.Exit(1)
		}
		*kedaDir, source = d.Dir, sourceOf(d, *gitDir)
	}
	if err := run(*kedaDir, *outDir, source); err != nil {
		fmt.Fprintln(os.Stderr, "keda-vectors:", err)
		os.Exit(1)
	}
}

func run(kedaDir, outDir string, source object) error {
	mod, err := openModule(kedaDir)
	if err != nil {
		return err
	}
	dirs, err := testDirs(kedaDir)
	if err != nil {
		return err
	}
	files := object{}
	withoutTables := []string{}
	var total summary
	for _, dir := range dirs {
		p, err := mod.load(path.Join(mod.path, dir), true)
		if err != nil {
			return err
		}
		sort.Slice(p.files, func(i, j int) bool { return p.files[i].rel < p.files[j].rel })
		for _, f := range p.files {
			if !f.test {
				continue
			}
			name, counts, err := writeFile(f, outDir)
			if err != nil {
				return err
			}
			if name == "" {
				withoutTables = append(withoutTables, f.rel)
				continue
			}
			files[name] = counts
			total.Tables += counts.Tables
			total.Rows += counts.Rows
			total.Unevaluated += counts.Unevaluated
			fmt.Fprintf(os.Stderr, "%-60s %3d tables %5d rows %3d unevaluated\n", f.rel, counts.Tables, counts.Rows, counts.Unevaluated)
		}
	}
	source["files"] = files
	source["filesWithoutTables"] = withoutTables
	source["total"] = total
	fmt.Fprintf(os.Stderr, "total: %d files, %d tables, %d rows, %d unevaluated\n", len(files), total.Tables, total.Rows, total.Unevaluated)
	return writeJSON(filepath.Join(outDir, "SOURCE.json"), source)
}

// writeFile writes one test file's tables to <out>/<dir under pkg/scalers>/<stem>.json and
// returns that name relative to out ("" when the file has no tables).
func writeFile(f *srcFile, outDir string) (string, summary, error) {
	tables := fileTables(f)
	if len(tables) == 0 {
		return "", summary{}, nil
	}
	var counts summary
	out := object{}
	for _, t := range tables {
		rows := t.rows()
		counts.Tables++
		counts.Rows += len(rows)
		counts.Unevaluated += countUnevaluated(rows)
		out[t.name] = object{
			"type":        t.typeName(),
			"literalType": typeText(typeRef{t.lit.Type, t.sc}),
			"line":        f.line(t.lit.Pos()),
			"fields":      t.fields(),
			"usedBy":      t.usedBy,
			"rows":        rows,
		}
	}
	rel := strings.TrimPrefix(f.rel, "pkg/scalers/")
	name := strings.TrimSuffix(rel, ".go") + ".json"
	doc := object{"file": f.rel, "package": f.ast.Name.Name, "tables": out, "vars": fileVars(f, tables)}
	return name, counts, writeJSON(filepath.Join(outDir, filepath.FromSlash(name)), doc)
}

// fileVars holds the file's package-level constants and variables that are not tables and
// evaluate completely (the resolved environments and metadata maps tests pass alongside rows).
func fileVars(f *srcFile, tables []*table) object {
	isTable := map[string]bool{}
	for _, t := range tables {
		isTable[t.name] = true
	}
	vars := object{}
	for name, decl := range f.pkg.values {
		if decl.file != f || isTable[name] {
			continue
		}
		if v := f.pkg.valueOf(decl); countUnevaluated(v) == 0 && !isMarked(v, markError) {
			vars[name] = v
		}
	}
	return vars
}

// writeJSON writes with two-space indentation and sorted object keys, so refreshes diff well.
func writeJSON(file string, v any) error {
	var buf bytes.Buffer
	encoder := json.NewEncoder(&buf)
	encoder.SetEscapeHTML(false)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(v); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return err
	}
	return os.WriteFile(file, buf.Bytes(), 0o644)
}
