package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"go/ast"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// call evaluates conversions, a few pure standard-library functions (fmt.Sprintf, strconv,
// strings, base64, url escaping, errors) and pointer helpers (ptr.To and the like).
func (sc *scope) call(c *ast.CallExpr, hint typeRef) any {
	fun := unparen(c.Fun)
	if len(c.Args) == 1 && sc.isType(fun) {
		return sc.convert(c, typeRef{fun, sc})
	}
	name := sc.funcName(fun)
	if pointerHelper(name) && len(c.Args) == 1 {
		elem := hint
		if s := resolve(hint); s.kind == "pointer" {
			elem = s.elem
		}
		return sc.eval(c.Args[0], elem)
	}
	if v, ok := sc.inline(c, fun); ok {
		return v
	}
	if v, ok := sc.special(name, c); ok {
		return v
	}
	args := make([]any, len(c.Args))
	for i, arg := range c.Args {
		v := sc.eval(arg, typeRef{})
		converted, ok := goValue(v)
		if !ok {
			return sc.unevaluated(c)
		}
		args[i] = converted
	}
	if v, ok := callPure(name, args); ok {
		return v
	}
	return sc.unevaluated(c)
}

// special evaluates calls whose arguments are not plain values: len, and math's NaN and Inf
// (written {"$float": "NaN"}, "+Inf" or "-Inf", which JSON has no numbers for).
func (sc *scope) special(name string, c *ast.CallExpr) (any, bool) {
	switch name {
	case "len":
		if len(c.Args) != 1 {
			return nil, false
		}
		switch v := sc.eval(c.Args[0], typeRef{}).(type) {
		case string:
			return json.Number(strconv.Itoa(len(v))), true
		case []any:
			return json.Number(strconv.Itoa(len(v))), true
		}
	case "math.NaN":
		return object{markFloat: "NaN"}, len(c.Args) == 0
	case "math.Inf":
		if len(c.Args) != 1 {
			return nil, false
		}
		if sign, ok := plain(sc.eval(c.Args[0], typeRef{})); ok {
			if n, isNumber := sign.(json.Number); isNumber && strings.HasPrefix(string(n), "-") {
				return object{markFloat: "-Inf"}, true
			}
			return object{markFloat: "+Inf"}, true
		}
	}
	return nil, false
}

func unparen(x ast.Expr) ast.Expr {
	for {
		p, ok := x.(*ast.ParenExpr)
		if !ok {
			return x
		}
		x = p.X
	}
}

// funcName is a called function's import path and name ("fmt.Sprintf",
// "encoding/base64.StdEncoding.EncodeToString"), or its bare name for builtins and package
// functions.
func (sc *scope) funcName(fun ast.Expr) string {
	switch x := fun.(type) {
	case *ast.IndexExpr: // a generic instantiation: ptr.To[int64]
		return sc.funcName(x.X)
	case *ast.IndexListExpr:
		return sc.funcName(x.X)
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		if importPath, ok := sc.importPath(x.X); ok {
			return importPath + "." + x.Sel.Name
		}
		if inner, ok := x.X.(*ast.SelectorExpr); ok {
			if importPath, ok := sc.importPath(inner.X); ok {
				return importPath + "." + inner.Sel.Name + "." + x.Sel.Name
			}
		}
	}
	return ""
}

// pointerHelper tells whether a function only returns a pointer to its argument.
func pointerHelper(name string) bool {
	dot := strings.LastIndex(name, ".")
	if dot < 0 {
		return false
	}
	switch path.Base(name[:dot]) {
	case "ptr", "pointer", "aws", "proto":
		fn := name[dot+1:]
		return fn == "To" || strings.HasPrefix(fn, "String") || strings.HasPrefix(fn, "Int") ||
			strings.HasPrefix(fn, "Uint") || strings.HasPrefix(fn, "Bool") || strings.HasPrefix(fn, "Float")
	}
	return false
}

func (sc *scope) convert(c *ast.CallExpr, target typeRef) any {
	s := resolve(target)
	v := sc.eval(c.Args[0], target)
	if s.kind == "basic" && s.name == "" {
		if value, ok := plain(v); ok {
			return value
		}
	}
	return v
}

func callPure(name string, args []any) (result any, ok bool) {
	defer func() {
		if recover() != nil { // arguments of the wrong shape
			result, ok = nil, false
		}
	}()
	str := func(i int) (string, bool) {
		if i >= len(args) {
			return "", false
		}
		s, ok := args[i].(string)
		return s, ok
	}
	integer := func(i int) (int64, bool) {
		if i >= len(args) {
			return 0, false
		}
		n, ok := args[i].(int64)
		return n, ok
	}
	switch name {
	case "fmt.Sprintf", "fmt.Errorf":
		format, ok := str(0)
		if !ok {
			return nil, false
		}
		text := fmt.Sprintf(strings.ReplaceAll(format, "%w", "%v"), args[1:]...)
		if name == "fmt.Errorf" {
			return object{markError: text}, true
		}
		return text, true
	case "fmt.Sprint":
		return fmt.Sprint(args...), true
	case "errors.New":
		text, ok := str(0)
		return object{markError: text}, ok
	case "strconv.Itoa":
		n, ok := integer(0)
		return strconv.FormatInt(n, 10), ok && len(args) == 1
	case "strconv.FormatInt":
		n, ok := integer(0)
		base, okBase := integer(1)
		if !ok || !okBase || base < 2 || base > 36 {
			return nil, false
		}
		return strconv.FormatInt(n, int(base)), true
	case "strconv.Quote":
		s, ok := str(0)
		return strconv.Quote(s), ok
	case "strings.Join":
		sep, ok := str(1)
		list, isList := args[0].([]any)
		parts := make([]string, len(list))
		for i, item := range list {
			parts[i] = fmt.Sprint(item)
		}
		return strings.Join(parts, sep), ok && isList
	case "strings.Repeat":
		s, ok := str(0)
		n, okN := integer(1)
		if !ok || !okN || n < 0 || n > 1<<20 {
			return nil, false
		}
		return strings.Repeat(s, int(n)), true
	case "strings.ToUpper", "strings.ToLower", "strings.TrimSpace":
		s, ok := str(0)
		return map[string]func(string) string{
			"strings.ToUpper": strings.ToUpper, "strings.ToLower": strings.ToLower, "strings.TrimSpace": strings.TrimSpace,
		}[name](s), ok
	case "encoding/base64.StdEncoding.EncodeToString", "encoding/base64.URLEncoding.EncodeToString",
		"encoding/base64.RawStdEncoding.EncodeToString", "encoding/base64.RawURLEncoding.EncodeToString":
		s, ok := str(0)
		encoding := map[string]*base64.Encoding{
			"StdEncoding": base64.StdEncoding, "URLEncoding": base64.URLEncoding,
			"RawStdEncoding": base64.RawStdEncoding, "RawURLEncoding": base64.RawURLEncoding,
		}[strings.Split(name, ".")[1]]
		return encoding.EncodeToString([]byte(s)), ok
	case "net/url.QueryEscape", "net/url.PathEscape":
		s, ok := str(0)
		if name == "net/url.PathEscape" {
			return url.PathEscape(s), ok
		}
		return url.QueryEscape(s), ok
	}
	return nil, false
}
