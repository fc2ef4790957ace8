package main

import (
	"encoding/json"
	"go/ast"
	"strconv"
)

// composite evaluates a composite literal: structs become objects keyed by field name (from
// positional or keyed elements), slices and arrays lists, maps objects keyed by the key's text.
func (sc *scope) composite(lit *ast.CompositeLit, hint typeRef) any {
	t := hint
	if lit.Type != nil {
		t = typeRef{lit.Type, sc}
	}
	s := resolve(t)
	if s.kind == "pointer" { // []*T{{...}} elides &T
		s = resolve(s.elem)
	}
	switch s.kind {
	case "struct":
		return sc.structLiteral(lit, s)
	case "slice":
		return sc.listLiteral(lit, s.elem)
	case "map":
		return sc.mapLiteral(lit, s.key, s.elem)
	}
	return sc.untypedLiteral(lit, s)
}

func (sc *scope) structLiteral(lit *ast.CompositeLit, s shape) any {
	obj := object{}
	for i, elt := range lit.Elts {
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			name, isIdent := kv.Key.(*ast.Ident)
			if !isIdent {
				return sc.unevaluated(lit)
			}
			obj[name.Name] = sc.eval(kv.Value, fieldType(s.fields, name.Name))
			continue
		}
		if i >= len(s.fields) {
			return sc.unevaluated(lit)
		}
		obj[s.fields[i].name] = sc.eval(elt, s.fields[i].typ)
	}
	return obj
}

func fieldType(fields []field, name string) typeRef {
	for _, f := range fields {
		if f.name == name {
			return f.typ
		}
	}
	return typeRef{}
}

func (sc *scope) listLiteral(lit *ast.CompositeLit, elem typeRef) any {
	list := []any{}
	for _, elt := range lit.Elts {
		kv, keyed := elt.(*ast.KeyValueExpr)
		if !keyed {
			list = append(list, sc.eval(elt, elem))
			continue
		}
		index, ok := plain(sc.eval(kv.Key, typeRef{}))
		n, isNumber := index.(json.Number)
		i, err := strconv.Atoi(string(n))
		if !ok || !isNumber || err != nil || i < len(list) || i > 1<<16 {
			return sc.unevaluated(lit)
		}
		for len(list) < i {
			list = append(list, nil)
		}
		list = append(list, sc.eval(kv.Value, elem))
	}
	return list
}

func (sc *scope) mapLiteral(lit *ast.CompositeLit, key, elem typeRef) any {
	obj := object{}
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return sc.unevaluated(lit)
		}
		text, ok := keyText(sc.eval(kv.Key, key))
		if !ok {
			text = sc.file.text(kv.Key)
		}
		obj[text] = sc.eval(kv.Value, elem)
	}
	return obj
}

// untypedLiteral reads a literal whose type is not known (a type from outside the module):
// identifier keys are field names, other keys map keys, and unkeyed elements a list, unless the
// type is a named one whose field order is unknown.
func (sc *scope) untypedLiteral(lit *ast.CompositeLit, s shape) any {
	if len(lit.Elts) == 0 {
		return object{}
	}
	if _, keyed := lit.Elts[0].(*ast.KeyValueExpr); !keyed {
		if s.name != "" {
			return sc.unevaluated(lit)
		}
		return sc.listLiteral(lit, typeRef{})
	}
	obj := object{}
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return sc.unevaluated(lit)
		}
		if name, isIdent := kv.Key.(*ast.Ident); isIdent {
			obj[name.Name] = sc.eval(kv.Value, typeRef{})
			continue
		}
		text, ok := keyText(sc.eval(kv.Key, typeRef{}))
		if !ok {
			text = sc.file.text(kv.Key)
		}
		obj[text] = sc.eval(kv.Value, typeRef{})
	}
	return obj
}
