package main

import "go/ast"

// scope is where names resolve: a file (its imports and its package), and inside a test function
// the function's own variables and types, declared at the top of its body.
type scope struct {
	parent     *scope // the enclosing function, for closures
	file       *srcFile
	iota       int64
	values     map[string]ast.Expr
	types      map[string]*ast.TypeSpec
	cache      map[string]any
	evaluating map[string]bool
	bound      map[string]bool // names a helper's run bound to values (parameters, its variables)
}

func packageScope(f *srcFile) *scope {
	return &scope{file: f}
}

// functionScope holds the variables and types a function declares at the top level of its body;
// a name declared twice keeps its first declaration.
func functionScope(f *srcFile, body *ast.BlockStmt) *scope {
	sc := &scope{
		file: f, values: map[string]ast.Expr{}, types: map[string]*ast.TypeSpec{},
		cache: map[string]any{}, evaluating: map[string]bool{},
	}
	define := func(name *ast.Ident, value ast.Expr) {
		if _, seen := sc.values[name.Name]; !seen && name.Name != "_" {
			sc.values[name.Name] = value
		}
	}
	for _, stmt := range body.List {
		switch stmt := stmt.(type) {
		case *ast.AssignStmt:
			if len(stmt.Lhs) != len(stmt.Rhs) {
				continue
			}
			for i, lhs := range stmt.Lhs {
				if name, ok := lhs.(*ast.Ident); ok {
					define(name, stmt.Rhs[i])
				}
			}
		case *ast.DeclStmt:
			gen, ok := stmt.Decl.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, spec := range gen.Specs {
				switch spec := spec.(type) {
				case *ast.TypeSpec:
					if _, seen := sc.types[spec.Name.Name]; !seen {
						sc.types[spec.Name.Name] = spec
					}
				case *ast.ValueSpec:
					for i, name := range spec.Names {
						if len(spec.Values) == len(spec.Names) {
							define(name, typedValue(spec.Values[i], spec.Type))
						}
					}
				}
			}
		}
	}
	return sc
}

// typedValue keeps a declared type with its value (var x T = v) as a conversion, so the value is
// read with its type.
func typedValue(value, typ ast.Expr) ast.Expr {
	if typ == nil {
		return value
	}
	return &ast.CallExpr{Fun: &ast.ParenExpr{X: typ, Lparen: typ.Pos(), Rparen: typ.End()}, Args: []ast.Expr{value}, Lparen: value.Pos(), Rparen: value.End()}
}

func (sc *scope) pkg() *pkg {
	return sc.file.pkg
}

// definedIn is the function scope (this one or an enclosing one) that declares a variable.
func (sc *scope) definedIn(name string) *scope {
	for s := sc; s != nil; s = s.parent {
		if _, ok := s.values[name]; ok {
			return s
		}
	}
	return nil
}

// lookupType finds a type name in the function (or enclosing functions), then in the package.
func (sc *scope) lookupType(name string) (*ast.TypeSpec, *scope) {
	for s := sc; s != nil; s = s.parent {
		if spec := s.types[name]; spec != nil {
			return spec, s
		}
	}
	if decl := sc.pkg().types[name]; decl != nil {
		return decl.spec, packageScope(decl.file)
	}
	return nil, nil
}

// importPath is the import an identifier names in this file, unless a variable shadows it.
func (sc *scope) importPath(x ast.Expr) (string, bool) {
	ident, ok := x.(*ast.Ident)
	if !ok {
		return "", false
	}
	if sc.definedIn(ident.Name) != nil {
		return "", false
	}
	if _, declared := sc.pkg().values[ident.Name]; declared {
		return "", false
	}
	importPath, ok := sc.file.imports[ident.Name]
	return importPath, ok
}

// isType tells whether an expression names a type (for telling conversions from calls).
func (sc *scope) isType(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.ParenExpr:
		return sc.isType(x.X)
	case *ast.Ident:
		if sc.definedIn(x.Name) != nil {
			return false
		}
		spec, _ := sc.lookupType(x.Name)
		return basicTypes[x.Name] || spec != nil
	case *ast.ArrayType, *ast.MapType, *ast.StarExpr, *ast.StructType, *ast.InterfaceType:
		return true
	case *ast.SelectorExpr:
		importPath, ok := sc.importPath(x.X)
		if !ok {
			return false
		}
		if importPath == "time" && x.Sel.Name == "Duration" {
			return true
		}
		p, _ := sc.pkg().mod.load(importPath, false)
		return p != nil && p.types[x.Sel.Name] != nil
	}
	return false
}
