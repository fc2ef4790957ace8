package main

import (
	"go/ast"
	"go/token"
	"sort"
	"strings"
)

// table is a composite literal of a slice, array or map of structs: a package-level variable of
// a test file, or a variable a test function declares at the top of its body ("Func.name").
type table struct {
	name    string
	lit     *ast.CompositeLit
	sc      *scope
	elem    typeRef
	element shape
	usedBy  []string
}

// fileTables finds the tables of one test file, in source order.
func fileTables(f *srcFile) []*table {
	var tables []*table
	for _, decl := range f.ast.Decls {
		switch decl := decl.(type) {
		case *ast.GenDecl:
			if decl.Tok != token.VAR {
				continue
			}
			sc := packageScope(f)
			for _, spec := range decl.Specs {
				spec := spec.(*ast.ValueSpec)
				for i, name := range spec.Names {
					if i < len(spec.Values) && len(spec.Values) == len(spec.Names) {
						if t := asTable(name.Name, spec.Values[i], sc); t != nil {
							t.usedBy = usedBy(f.pkg, name.Name)
							tables = append(tables, t)
						}
					}
				}
			}
		case *ast.FuncDecl:
			if decl.Body != nil {
				tables = append(tables, functionTables(f, decl)...)
			}
		}
	}
	return tables
}

func functionTables(f *srcFile, fn *ast.FuncDecl) []*table {
	sc := functionScope(f, fn.Body)
	var tables []*table
	seen := map[string]bool{}
	for _, stmt := range fn.Body.List {
		var names []*ast.Ident
		var values []ast.Expr
		switch stmt := stmt.(type) {
		case *ast.AssignStmt:
			for _, lhs := range stmt.Lhs {
				ident, _ := lhs.(*ast.Ident)
				names = append(names, ident)
			}
			values = stmt.Rhs
		case *ast.DeclStmt:
			if gen, ok := stmt.Decl.(*ast.GenDecl); ok && gen.Tok == token.VAR {
				for _, spec := range gen.Specs {
					spec := spec.(*ast.ValueSpec)
					names, values = append(names, spec.Names...), append(values, spec.Values...)
				}
			}
		}
		if len(names) != len(values) {
			continue
		}
		for i, name := range names {
			if name == nil || seen[name.Name] {
				continue
			}
			if t := asTable(fn.Name.Name+"."+name.Name, values[i], sc); t != nil {
				seen[name.Name] = true
				t.usedBy = []string{fn.Name.Name}
				tables = append(tables, t)
			}
		}
	}
	return tables
}

func asTable(name string, value ast.Expr, sc *scope) *table {
	lit, ok := value.(*ast.CompositeLit)
	if !ok || lit.Type == nil {
		return nil
	}
	elem, element, ok := elementStruct(typeRef{lit.Type, sc})
	if !ok {
		return nil
	}
	return &table{name: name, lit: lit, sc: sc, elem: elem, element: element}
}

// usedBy lists the functions of the package's test files that mention a name.
func usedBy(p *pkg, name string) []string {
	functions := []string{}
	for _, f := range p.files {
		if !f.test {
			continue
		}
		for _, decl := range f.ast.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if ok && fn.Body != nil && mentions(fn.Body, name) {
				functions = append(functions, fn.Name.Name)
			}
		}
	}
	sort.Strings(functions)
	return functions
}

func mentions(node ast.Node, name string) bool {
	found := false
	ast.Inspect(node, func(n ast.Node) bool {
		if ident, ok := n.(*ast.Ident); ok && ident.Name == name {
			found = true
		}
		return !found
	})
	return found
}

// rows evaluates each element of the table: an object with the struct's fields, plus "$line", the
// comment above it ("$comment") and, for maps, its key ("$key").
func (t *table) rows() []any {
	f := t.sc.file
	rows := make([]any, 0, len(t.lit.Elts))
	previousEnd := t.lit.Lbrace
	for _, elt := range t.lit.Elts {
		value, key := elt, ""
		if kv, ok := elt.(*ast.KeyValueExpr); ok && resolve(typeRef{t.lit.Type, t.sc}).kind == "map" {
			value = kv.Value
			if text, ok := keyText(t.sc.eval(kv.Key, resolve(typeRef{t.lit.Type, t.sc}).key)); ok {
				key = text
			} else {
				key = f.text(kv.Key)
			}
		}
		evaluated := t.sc.eval(value, t.elem)
		row, ok := evaluated.(object)
		if ok {
			row = copyObject(row)
		} else {
			row = object{"$value": evaluated}
		}
		row["$line"] = f.line(elt.Pos())
		if comment := commentFor(f, elt, previousEnd); comment != "" {
			row["$comment"] = comment
		}
		if key != "" {
			row["$key"] = key
		}
		rows = append(rows, row)
		previousEnd = elt.End()
	}
	return rows
}

// commentFor is the comment on the lines right above an element (after the previous element's
// line), or else the comment that follows it on its own last line.
func commentFor(f *srcFile, elt ast.Node, previousEnd token.Pos) string {
	start, end := f.line(elt.Pos()), f.line(elt.End())
	previousLine := f.line(previousEnd)
	for _, group := range f.ast.Comments {
		groupStart, groupEnd := f.line(group.Pos()), f.line(group.End())
		if group.Pos() > previousEnd && group.End() < elt.Pos() && groupStart > previousLine && groupEnd == start-1 {
			return commentText(group)
		}
	}
	for _, group := range f.ast.Comments {
		if group.Pos() > elt.End() && f.line(group.Pos()) == end {
			return commentText(group)
		}
	}
	return ""
}

func commentText(group *ast.CommentGroup) string {
	return strings.TrimSpace(group.Text())
}

// fields lists the row struct's fields in declaration order, with their types' source text.
func (t *table) fields() []any {
	fields := make([]any, 0, len(t.element.fields))
	for _, f := range t.element.fields {
		fields = append(fields, object{"name": f.name, "type": typeText(f.typ)})
	}
	return fields
}

func (t *table) typeName() string {
	if t.element.name != "" {
		return t.element.name
	}
	return "struct"
}
