package main

import (
	"encoding/json"
	"fmt"
	"go/constant"
	"go/token"
	"math"
	"strconv"
	"time"
)

// object is a JSON object: a struct row, a map, or one of the marked values below.
type object = map[string]any

// Marked values: keys starting with "$" cannot be Go field names, so they never collide.
const (
	markUnevaluated = "$unevaluated" // source text of what could not be evaluated
	markConst       = "$const"       // a named constant's name, with its "value"
	markDuration    = "$duration"    // a time.Duration's source text, with its "nanoseconds"
	markError       = "$error"       // an error value's message
	markRef         = "$ref"         // &table[i]: the row it points to, inlined
	markFloat       = "$float"       // NaN, +Inf or -Inf
)

func isMarked(v any, mark string) bool {
	obj, ok := v.(object)
	if !ok {
		return false
	}
	_, marked := obj[mark]
	return marked
}

func durationValue(nanoseconds constant.Value, text string) object {
	return object{markDuration: text, "nanoseconds": json.Number(nanoseconds.ExactString())}
}

// toConst reads a plain value (or a named constant or a duration) as a Go constant.
func toConst(v any) (c constant.Value, isDuration bool, ok bool) {
	switch v := v.(type) {
	case string:
		return constant.MakeString(v), false, true
	case bool:
		return constant.MakeBool(v), false, true
	case float64:
		return constant.MakeFloat64(v), false, true
	case json.Number:
		c := constant.MakeFromLiteral(string(v), token.INT, 0)
		if c.Kind() == constant.Unknown {
			c = constant.MakeFromLiteral(string(v), token.FLOAT, 0)
		}
		return c, false, c.Kind() != constant.Unknown
	case object:
		if value, named := v[markConst]; named && value != nil {
			return toConst(v["value"])
		}
		if _, duration := v[markDuration]; duration {
			c, _, ok := toConst(v["nanoseconds"])
			return c, true, ok
		}
	}
	return nil, false, false
}

// fromConst writes a Go constant as a JSON value: integers exactly, floats as float64.
func fromConst(c constant.Value) (any, bool) {
	switch c.Kind() {
	case constant.Bool:
		return constant.BoolVal(c), true
	case constant.String:
		return constant.StringVal(c), true
	case constant.Int:
		return json.Number(c.ExactString()), true
	case constant.Float:
		if integer := constant.ToInt(c); integer.Kind() == constant.Int {
			return json.Number(integer.ExactString()), true
		}
		f, _ := constant.Float64Val(c)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, false
		}
		return f, true
	}
	return nil, false
}

// plain unwraps named constants; it fails for values that are not plain JSON scalars.
func plain(v any) (any, bool) {
	switch v := v.(type) {
	case string, bool, float64, json.Number, nil:
		return v, true
	case object:
		if value, named := v[markConst]; named && value != nil {
			return plain(v["value"])
		}
	}
	return nil, false
}

// goValue turns a value back into what Go's fmt would have been given.
func goValue(v any) (any, bool) {
	switch v := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return i, true
		}
		f, err := v.Float64()
		return f, err == nil
	case string, bool, float64, nil:
		return v, true
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			converted, ok := goValue(item)
			if !ok {
				return nil, false
			}
			out[i] = converted
		}
		return out, true
	case object:
		if c, isDuration, ok := toConst(v); ok {
			if isDuration {
				ns, exact := constant.Int64Val(c)
				return time.Duration(ns), exact
			}
			value, _ := fromConst(c)
			return goValue(value)
		}
		if message, ok := v[markError].(string); ok {
			return fmt.Errorf("%s", message), true
		}
	}
	return nil, false
}

// keyText is how a map key is written in the output.
func keyText(v any) (string, bool) {
	v, ok := plain(v)
	if !ok {
		return "", false
	}
	switch v := v.(type) {
	case string:
		return v, true
	case nil:
		return "", false
	default:
		return fmt.Sprint(v), true
	}
}

// copyObject copies an object one level deep (rows are shared when tables reference each other).
func copyObject(obj object) object {
	out := make(object, len(obj)+2)
	for key, value := range obj {
		out[key] = value
	}
	return out
}

// countUnevaluated counts the spots left unevaluated anywhere in a value.
func countUnevaluated(v any) int {
	switch v := v.(type) {
	case object:
		if _, ok := v[markUnevaluated]; ok {
			return 1
		}
		total := 0
		for _, item := range v {
			total += countUnevaluated(item)
		}
		return total
	case []any:
		total := 0
		for _, item := range v {
			total += countUnevaluated(item)
		}
		return total
	}
	return 0
}

func jsonInt(i int) json.Number {
	return json.Number(strconv.Itoa(i))
}
