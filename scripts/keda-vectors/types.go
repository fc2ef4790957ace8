package main

import (
	"go/ast"
	"strings"
)

// typeRef is a type expression with the scope its names resolve in.
type typeRef struct {
	expr ast.Expr
	sc   *scope
}

// shape is what a composite literal of a type looks like: a struct's fields, a collection's
// element type, or a basic value. name is the named type it came from, if any.
type shape struct {
	kind      string // struct, slice, map, pointer, basic, duration, other
	name      string
	fields    []field
	elem, key typeRef
}

type field struct {
	name string
	typ  typeRef
}

var basicTypes = map[string]bool{
	"string": true, "bool": true, "byte": true, "rune": true, "int": true, "int8": true, "int16": true,
	"int32": true, "int64": true, "uint": true, "uint8": true, "uint16": true, "uint32": true,
	"uint64": true, "uintptr": true, "float32": true, "float64": true, "any": true, "error": true,
}

// resolve follows named types to the shape of their underlying type.
func resolve(t typeRef) shape {
	return resolveDepth(t, "", 0)
}

func resolveDepth(t typeRef, name string, depth int) shape {
	if t.expr == nil || depth > 20 {
		return shape{kind: "other", name: name}
	}
	switch x := t.expr.(type) {
	case *ast.ParenExpr:
		return resolveDepth(typeRef{x.X, t.sc}, name, depth+1)
	case *ast.Ident:
		if basicTypes[x.Name] {
			return shape{kind: "basic", name: name}
		}
		if spec, sc := t.sc.lookupType(x.Name); spec != nil {
			return resolveDepth(typeRef{spec.Type, sc}, firstName(name, x.Name), depth+1)
		}
	case *ast.SelectorExpr:
		qualified := t.sc.file.text(x)
		importPath, ok := t.sc.importPath(x.X)
		if !ok {
			break
		}
		if importPath == "time" && x.Sel.Name == "Duration" {
			return shape{kind: "duration", name: firstName(name, qualified)}
		}
		if p, _ := t.sc.file.pkg.mod.load(importPath, false); p != nil {
			if decl := p.types[x.Sel.Name]; decl != nil {
				return resolveDepth(typeRef{decl.spec.Type, packageScope(decl.file)}, firstName(name, qualified), depth+1)
			}
		}
		return shape{kind: "other", name: firstName(name, qualified)}
	case *ast.StructType:
		return shape{kind: "struct", name: name, fields: structFields(x, t.sc)}
	case *ast.ArrayType:
		return shape{kind: "slice", name: name, elem: typeRef{x.Elt, t.sc}}
	case *ast.MapType:
		return shape{kind: "map", name: name, key: typeRef{x.Key, t.sc}, elem: typeRef{x.Value, t.sc}}
	case *ast.StarExpr:
		return shape{kind: "pointer", name: name, elem: typeRef{x.X, t.sc}}
	}
	return shape{kind: "other", name: name}
}

func firstName(outer, inner string) string {
	if outer != "" {
		return outer
	}
	return inner
}

func structFields(st *ast.StructType, sc *scope) []field {
	var fields []field
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 {
			fields = append(fields, field{name: embeddedName(f.Type), typ: typeRef{f.Type, sc}})
		}
		for _, name := range f.Names {
			fields = append(fields, field{name: name.Name, typ: typeRef{f.Type, sc}})
		}
	}
	return fields
}

func embeddedName(t ast.Expr) string {
	switch x := t.(type) {
	case *ast.StarExpr:
		return embeddedName(x.X)
	case *ast.SelectorExpr:
		return x.Sel.Name
	case *ast.Ident:
		return x.Name
	}
	return "?"
}

// recordsConstName tells whether a constant written where this type is expected keeps its name in
// the output: anywhere but a plain basic type (a named type such as PodIdentityProvider, an
// unknown type).
func (s shape) recordsConstName() bool {
	return s.kind != "basic" || (s.name != "" && !basicTypes[s.name])
}

// elementStruct is the struct a table's rows are: the element type of a slice, array or map,
// through one pointer. ok is false for anything else.
func elementStruct(t typeRef) (elem typeRef, s shape, ok bool) {
	outer := resolve(t)
	if outer.kind != "slice" && outer.kind != "map" {
		return typeRef{}, shape{}, false
	}
	elem = outer.elem
	s = resolve(elem)
	if s.kind == "pointer" {
		s = resolve(s.elem)
	}
	return elem, s, s.kind == "struct"
}

// typeText is a type's source text, for the output.
func typeText(t typeRef) string {
	if t.expr == nil {
		return ""
	}
	return strings.Join(strings.Fields(t.sc.file.text(t.expr)), " ")
}
