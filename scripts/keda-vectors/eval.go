package main

import (
	"encoding/json"
	"go/ast"
	"go/constant"
	"go/token"
	"strconv"
	"strings"
)

// eval turns an expression into a JSON value. hint is the type the context expects (a field's
// type, a slice's element type), which names the fields of elided struct literals and marks
// durations. What cannot be evaluated becomes {"$unevaluated": source text} in its place.
func (sc *scope) eval(x ast.Expr, hint typeRef) any {
	v := sc.evalRaw(x, hint)
	if hint.expr != nil && resolve(hint).kind == "duration" {
		if c, isDuration, ok := toConst(v); ok && !isDuration && c.Kind() == constant.Int {
			return durationValue(c, sc.file.text(x))
		}
	}
	return v
}

// unevaluated marks a spot with its source text, line breaks and indentation folded to spaces.
func (sc *scope) unevaluated(node ast.Node) object {
	return object{markUnevaluated: foldLines(sc.file.text(node))}
}

func foldLines(text string) string {
	lines := strings.Split(text, "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " ")
}

func (sc *scope) evalRaw(x ast.Expr, hint typeRef) any {
	switch x := x.(type) {
	case *ast.BasicLit:
		if v, ok := fromConst(constant.MakeFromLiteral(x.Value, x.Kind, 0)); ok {
			return v
		}
	case *ast.ParenExpr:
		return sc.eval(x.X, hint)
	case *ast.Ident:
		return sc.ident(x, hint)
	case *ast.SelectorExpr:
		if importPath, ok := sc.importPath(x.X); ok {
			return sc.qualified(importPath, x, hint)
		}
		if obj, ok := sc.eval(x.X, typeRef{}).(object); ok {
			if v, found := obj[x.Sel.Name]; found {
				return v
			}
		}
	case *ast.BinaryExpr:
		return sc.binary(x, hint)
	case *ast.UnaryExpr:
		return sc.unary(x, hint)
	case *ast.StarExpr:
		return sc.eval(x.X, typeRef{})
	case *ast.CompositeLit:
		return sc.composite(x, hint)
	case *ast.IndexExpr:
		return sc.index(x)
	case *ast.CallExpr:
		return sc.call(x, hint)
	}
	return sc.unevaluated(x)
}

func (sc *scope) ident(x *ast.Ident, hint typeRef) any {
	if defining := sc.definedIn(x.Name); defining != nil {
		// A helper's parameter keeps the caller's text; a variable is named rather than quoted.
		if v := defining.local(x); !isMarked(v, markUnevaluated) || defining.bound[x.Name] {
			return v
		}
		return sc.unevaluated(x)
	}
	if decl := sc.pkg().values[x.Name]; decl != nil {
		v := sc.pkg().valueOf(decl)
		if isMarked(v, markUnevaluated) {
			return sc.unevaluated(x)
		}
		if decl.constant && isNamedType(decl) && resolve(hint).recordsConstName() {
			return object{markConst: x.Name, "value": v}
		}
		return v
	}
	switch x.Name {
	case "true":
		return true
	case "false":
		return false
	case "nil":
		return nil
	case "iota":
		return json.Number(strconv.FormatInt(sc.iota, 10))
	}
	return sc.unevaluated(x)
}

// isNamedType tells whether a constant was declared with a named type (not int, string, ...).
func isNamedType(decl *valueDecl) bool {
	switch t := decl.typ.(type) {
	case *ast.Ident:
		return !basicTypes[t.Name]
	case *ast.SelectorExpr:
		return true
	}
	return false
}

// local evaluates a function's variable once.
func (sc *scope) local(x *ast.Ident) any {
	if v, ok := sc.cache[x.Name]; ok {
		return v
	}
	if sc.evaluating[x.Name] {
		return sc.unevaluated(x)
	}
	sc.evaluating[x.Name] = true
	v := sc.eval(sc.values[x.Name], typeRef{})
	sc.evaluating[x.Name] = false
	if isMarked(v, markError) {
		v = withKey(v.(object), "var", x.Name)
	}
	sc.cache[x.Name] = v
	return v
}

// valueOf evaluates a package-level constant or variable once, in its own file's scope.
func (p *pkg) valueOf(decl *valueDecl) any {
	if v, ok := p.cache[decl.name]; ok {
		return v
	}
	if decl.value == nil || p.evaluating[decl.name] {
		return object{markUnevaluated: decl.name}
	}
	p.evaluating[decl.name] = true
	sc := &scope{file: decl.file, iota: decl.iota}
	v := sc.eval(decl.value, typeRef{decl.typ, sc})
	p.evaluating[decl.name] = false
	if isMarked(v, markError) {
		v = withKey(v.(object), "var", decl.name)
	}
	p.cache[decl.name] = v
	return v
}

func withKey(obj object, key string, value any) object {
	out := copyObject(obj)
	out[key] = value
	return out
}

var timeUnits = map[string]int64{
	"Nanosecond": 1, "Microsecond": 1e3, "Millisecond": 1e6, "Second": 1e9, "Minute": 60e9, "Hour": 3600e9,
}

// qualified evaluates pkg.Name: time units, constants and variables of the module's packages, and
// a few standard-library constants.
func (sc *scope) qualified(importPath string, x *ast.SelectorExpr, hint typeRef) any {
	text := sc.file.text(x)
	if importPath == "time" {
		if ns, ok := timeUnits[x.Sel.Name]; ok {
			return durationValue(constant.MakeInt64(ns), text)
		}
	}
	var v any
	var isConst bool
	if p, _ := sc.pkg().mod.load(importPath, false); p != nil {
		decl := p.values[x.Sel.Name]
		if decl == nil {
			return sc.unevaluated(x)
		}
		v, isConst = p.valueOf(decl), decl.constant
		if isMarked(v, markUnevaluated) {
			return sc.unevaluated(x)
		}
	} else if c, ok := knownConstants[importPath+"."+x.Sel.Name]; ok {
		v, _ = fromConst(c)
		isConst = true
	} else {
		return sc.unevaluated(x)
	}
	if isConst && resolve(hint).recordsConstName() {
		return object{markConst: text, "value": v}
	}
	return v
}

// knownConstants are constants of packages outside the module that KEDA's tests use.
var knownConstants = map[string]constant.Value{
	"k8s.io/api/autoscaling/v2.AverageValueMetricType": constant.MakeString("AverageValue"),
	"k8s.io/api/autoscaling/v2.ValueMetricType":        constant.MakeString("Value"),
	"k8s.io/api/autoscaling/v2.UtilizationMetricType":  constant.MakeString("Utilization"),
	"math.MaxInt64":                      constant.MakeInt64(1<<63 - 1),
	"math.MinInt64":                      constant.MakeInt64(-1 << 63),
	"math.MaxInt32":                      constant.MakeInt64(1<<31 - 1),
	"math.MinInt32":                      constant.MakeInt64(-1 << 31),
	"math.MaxInt":                        constant.MakeInt64(1<<63 - 1),
	"math.MaxUint32":                     constant.MakeUint64(1<<32 - 1),
	"math.MaxFloat64":                    constant.MakeFloat64(1.79769313486231570814527423731704356798070e+308),
	"net/http.MethodGet":                 constant.MakeString("GET"),
	"net/http.MethodPost":                constant.MakeString("POST"),
	"net/http.StatusOK":                  constant.MakeInt64(200),
	"net/http.StatusCreated":             constant.MakeInt64(201),
	"net/http.StatusNotFound":            constant.MakeInt64(404),
	"net/http.StatusBadRequest":          constant.MakeInt64(400),
	"net/http.StatusUnauthorized":        constant.MakeInt64(401),
	"net/http.StatusForbidden":           constant.MakeInt64(403),
	"net/http.StatusInternalServerError": constant.MakeInt64(500),
	"net/http.StatusServiceUnavailable":  constant.MakeInt64(503),
}

func (sc *scope) binary(x *ast.BinaryExpr, hint typeRef) (result any) {
	left, leftDuration, okLeft := toConst(sc.eval(x.X, hint))
	right, rightDuration, okRight := toConst(sc.eval(x.Y, hint))
	if !okLeft || !okRight {
		return sc.unevaluated(x)
	}
	defer func() {
		if recover() != nil { // mismatched kinds: not a constant expression we can fold
			result = sc.unevaluated(x)
		}
	}()
	var c constant.Value
	switch x.Op {
	case token.EQL, token.NEQ, token.LSS, token.LEQ, token.GTR, token.GEQ:
		return constant.Compare(left, x.Op, right)
	case token.SHL, token.SHR:
		shift, exact := constant.Uint64Val(right)
		if !exact {
			return sc.unevaluated(x)
		}
		c = constant.Shift(left, x.Op, uint(shift))
	case token.LAND, token.LOR:
		if x.Op == token.LAND {
			return constant.BoolVal(left) && constant.BoolVal(right)
		}
		return constant.BoolVal(left) || constant.BoolVal(right)
	case token.QUO:
		op := x.Op
		if left.Kind() == constant.Int && right.Kind() == constant.Int {
			op = token.QUO_ASSIGN // integer division
		}
		c = constant.BinaryOp(left, op, right)
	default:
		c = constant.BinaryOp(left, x.Op, right)
	}
	if leftDuration || rightDuration {
		return durationValue(constant.ToInt(c), sc.file.text(x))
	}
	if v, ok := fromConst(c); ok {
		return v
	}
	return sc.unevaluated(x)
}

func (sc *scope) unary(x *ast.UnaryExpr, hint typeRef) any {
	if x.Op == token.AND {
		elem := hint
		if s := resolve(hint); s.kind == "pointer" {
			elem = s.elem
		}
		v := sc.eval(x.X, elem)
		if obj, ok := v.(object); ok && isReference(x.X) && !isMarked(obj, markUnevaluated) {
			return withKey(obj, markRef, sc.file.text(x.X))
		}
		return v
	}
	c, isDuration, ok := toConst(sc.eval(x.X, hint))
	if !ok || (x.Op != token.SUB && x.Op != token.ADD && x.Op != token.NOT && x.Op != token.XOR) {
		return sc.unevaluated(x)
	}
	if c.Kind() == constant.Bool && x.Op != token.NOT || c.Kind() != constant.Bool && x.Op == token.NOT {
		return sc.unevaluated(x)
	}
	c = constant.UnaryOp(x.Op, c, 0)
	if isDuration {
		return durationValue(c, sc.file.text(x))
	}
	if v, ok := fromConst(c); ok {
		return v
	}
	return sc.unevaluated(x)
}

// isReference tells whether &x points at another value (a table row, a variable) rather than
// at a literal built in place.
func isReference(x ast.Expr) bool {
	switch x.(type) {
	case *ast.Ident, *ast.IndexExpr, *ast.SelectorExpr:
		return true
	}
	return false
}

func (sc *scope) index(x *ast.IndexExpr) any {
	base := sc.eval(x.X, typeRef{})
	key, ok := plain(sc.eval(x.Index, typeRef{}))
	if !ok {
		return sc.unevaluated(x)
	}
	switch base := base.(type) {
	case []any:
		if n, isNumber := key.(json.Number); isNumber {
			if i, err := strconv.Atoi(string(n)); err == nil && i >= 0 && i < len(base) {
				return base[i]
			}
		}
	case object:
		if text, ok := keyText(key); ok && !isMarked(base, markUnevaluated) {
			if v, found := base[text]; found {
				return v
			}
		}
	case string:
		if n, isNumber := key.(json.Number); isNumber {
			if i, err := strconv.Atoi(string(n)); err == nil && i >= 0 && i < len(base) {
				return json.Number(strconv.Itoa(int(base[i])))
			}
		}
	}
	return sc.unevaluated(x)
}
