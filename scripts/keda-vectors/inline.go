package main

import (
	"go/ast"
	"go/token"
	"sort"
)

// inline evaluates a call to a helper of the module's tests or packages (a package function, or a
// closure the test function declares) by running its body with its parameters bound to the
// call's arguments. Bodies may assign variables, map entries and fields, delete map keys, branch
// on conditions that evaluate, range over evaluated maps and lists, and return; anything else
// leaves the call unevaluated. Values are copied before they are changed, so a helper never
// changes a table it was given.
func (sc *scope) inline(c *ast.CallExpr, fun ast.Expr) (any, bool) {
	fnType, body, callee := sc.lookupFunc(fun)
	if body == nil || fnType.Results == nil || len(fnType.Results.List) != 1 || c.Ellipsis.IsValid() {
		return nil, false
	}
	params := structFields(&ast.StructType{Fields: fnType.Params}, callee)
	if len(params) != len(c.Args) {
		return nil, false
	}
	for _, p := range fnType.Params.List {
		if _, variadic := p.Type.(*ast.Ellipsis); variadic {
			return nil, false
		}
	}
	mod := sc.pkg().mod
	if mod.inlineDepth > 16 {
		return nil, false
	}
	mod.inlineDepth++
	defer func() { mod.inlineDepth-- }()
	for i, p := range params {
		callee.bind(p.name, c.Args[i], sc.eval(c.Args[i], p.typ))
	}
	budget := 10_000
	result, returned, ok := callee.run(body.List, typeRef{fnType.Results.List[0].Type, callee}, &budget)
	return result, ok && returned
}

func (sc *scope) bind(name string, expr ast.Expr, value any) {
	if name != "_" {
		sc.values[name] = expr
		sc.cache[name] = value
		sc.bound[name] = true
	}
}

// run executes statements; returned tells whether a return statement ended them.
func (sc *scope) run(stmts []ast.Stmt, result typeRef, budget *int) (value any, returned, ok bool) {
	for _, stmt := range stmts {
		if *budget--; *budget < 0 {
			return nil, false, false
		}
		switch s := stmt.(type) {
		case *ast.ReturnStmt:
			if len(s.Results) != 1 {
				return nil, false, false
			}
			return sc.eval(s.Results[0], result), true, true
		case *ast.AssignStmt:
			if len(s.Lhs) != len(s.Rhs) {
				return nil, false, false
			}
			for i := range s.Lhs {
				if !sc.assign(s.Lhs[i], s.Rhs[i], s.Tok) {
					return nil, false, false
				}
			}
		case *ast.ExprStmt:
			if !sc.deleteKey(s.X) {
				return nil, false, false
			}
		case *ast.BlockStmt:
			if value, returned, ok = sc.run(s.List, result, budget); returned || !ok {
				return value, returned, ok
			}
		case *ast.IfStmt:
			if value, returned, ok = sc.runIf(s, result, budget); returned || !ok {
				return value, returned, ok
			}
		case *ast.RangeStmt:
			if value, returned, ok = sc.runRange(s, result, budget); returned || !ok {
				return value, returned, ok
			}
		default:
			return nil, false, false
		}
	}
	return nil, false, true
}

func (sc *scope) runIf(s *ast.IfStmt, result typeRef, budget *int) (any, bool, bool) {
	cond, isBool := sc.eval(s.Cond, typeRef{}).(bool)
	if s.Init != nil || !isBool {
		return nil, false, false
	}
	switch {
	case cond:
		return sc.run(s.Body.List, result, budget)
	case s.Else != nil:
		return sc.run([]ast.Stmt{s.Else}, result, budget)
	}
	return nil, false, true
}

func (sc *scope) runRange(s *ast.RangeStmt, result typeRef, budget *int) (any, bool, bool) {
	key, _ := s.Key.(*ast.Ident)
	value, _ := s.Value.(*ast.Ident)
	if s.Tok != token.DEFINE || key == nil {
		return nil, false, false
	}
	step := func(k, v any) (any, bool, bool) {
		sc.bind(key.Name, s.Key, k)
		if value != nil {
			sc.bind(value.Name, s.Value, v)
		}
		return sc.run(s.Body.List, result, budget)
	}
	switch collection := sc.eval(s.X, typeRef{}).(type) {
	case object:
		if countUnevaluated(collection) > 0 || isMarked(collection, markConst) {
			return nil, false, false
		}
		keys := make([]string, 0, len(collection))
		for k := range collection {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if out, returned, ok := step(k, collection[k]); returned || !ok {
				return out, returned, ok
			}
		}
	case []any:
		for i, v := range collection {
			if out, returned, ok := step(jsonInt(i), v); returned || !ok {
				return out, returned, ok
			}
		}
	case nil: // ranging over a nil map or slice does nothing
	default:
		return nil, false, false
	}
	return nil, false, true
}

// assign handles x := v, x = v, m[k] = v and s.f = v, where x, m and s are the helper's own
// variables.
func (sc *scope) assign(lhs, rhs ast.Expr, tok token.Token) bool {
	value := sc.eval(rhs, typeRef{})
	switch target := lhs.(type) {
	case *ast.Ident:
		if tok == token.DEFINE || sc.definedIn(target.Name) == sc {
			sc.bind(target.Name, rhs, value)
			return tok == token.DEFINE || tok == token.ASSIGN
		}
	case *ast.IndexExpr:
		key, ok := keyText(sc.eval(target.Index, typeRef{}))
		return ok && tok == token.ASSIGN && sc.update(target.X, func(obj object) { obj[key] = value })
	case *ast.SelectorExpr:
		return tok == token.ASSIGN && sc.update(target.X, func(obj object) { obj[target.Sel.Name] = value })
	}
	return false
}

// deleteKey runs delete(m, k) on one of the helper's own maps.
func (sc *scope) deleteKey(x ast.Expr) bool {
	call, ok := x.(*ast.CallExpr)
	if !ok || len(call.Args) != 2 {
		return false
	}
	if fun, ok := call.Fun.(*ast.Ident); !ok || fun.Name != "delete" || sc.definedIn("delete") != nil {
		return false
	}
	key, ok := keyText(sc.eval(call.Args[1], typeRef{}))
	return ok && sc.update(call.Args[0], func(obj object) { delete(obj, key) })
}

// update changes a copy of an object held by one of the helper's variables and rebinds it.
func (sc *scope) update(x ast.Expr, change func(object)) bool {
	ident, ok := x.(*ast.Ident)
	if !ok || sc.definedIn(ident.Name) != sc {
		return false
	}
	obj, ok := sc.local(ident).(object)
	if !ok || isMarked(obj, markUnevaluated) {
		return false
	}
	changed := copyObject(obj)
	change(changed)
	sc.cache[ident.Name] = changed
	return true
}

// lookupFunc finds a called function's declaration and a fresh scope for its body.
func (sc *scope) lookupFunc(fun ast.Expr) (*ast.FuncType, *ast.BlockStmt, *scope) {
	fresh := func(parent *scope, f *srcFile) *scope {
		return &scope{parent: parent, file: f, values: map[string]ast.Expr{}, types: map[string]*ast.TypeSpec{},
			cache: map[string]any{}, evaluating: map[string]bool{}, bound: map[string]bool{}}
	}
	switch x := fun.(type) {
	case *ast.Ident:
		if defining := sc.definedIn(x.Name); defining != nil {
			if lit, ok := defining.values[x.Name].(*ast.FuncLit); ok {
				return lit.Type, lit.Body, fresh(defining, defining.file)
			}
			return nil, nil, nil
		}
		if fn := sc.pkg().funcs[x.Name]; fn != nil {
			return fn.decl.Type, fn.decl.Body, fresh(nil, fn.file)
		}
	case *ast.SelectorExpr:
		importPath, ok := sc.importPath(x.X)
		if !ok {
			return nil, nil, nil
		}
		if p, _ := sc.pkg().mod.load(importPath, false); p != nil {
			if fn := p.funcs[x.Sel.Name]; fn != nil {
				return fn.decl.Type, fn.decl.Body, fresh(nil, fn.file)
			}
		}
	}
	return nil, nil, nil
}
