/**
 * The part of GJSON's path syntax (github.com/tidwall/gjson, which KEDA's metrics-api scaler uses
 * for `valueLocation`) that people write to point at one value:
 *
 * - `a.b.c` object keys; `a\.b` a key containing a dot; `a*` / `a?c` key wildcards (first match)
 * - `items.0.value` array indexes; `items.#` the array's length
 * - `items.#(name=="x").value` the first element matching a condition (`==`, `=`, `!=`, `<`,
 *   `<=`, `>`, `>=` against a string, number, true, false or null; or just a path: it exists);
 *   `#(...)#` all matching elements
 * - `items.#.value` the value from every element (an array)
 *
 * Modifiers (`@reverse`), pipes (`|`), multipaths and `%` patterns are not supported.
 */

/** GJSON's result types; KEDA names them in its error messages. */
export type GjsonType = "Null" | "False" | "True" | "Number" | "String" | "JSON";

export interface GjsonResult {
  type: GjsonType;
  value: unknown;
}

const NOT_FOUND: GjsonResult = { type: "Null", value: null };

function resultOf(value: unknown): GjsonResult {
  if (value === null || value === undefined) return NOT_FOUND;
  if (value === true) return { type: "True", value };
  if (value === false) return { type: "False", value };
  if (typeof value === "number") return { type: "Number", value };
  if (typeof value === "string") return { type: "String", value };
  return { type: "JSON", value };
}

interface Component {
  /** The component with escapes removed. */
  key: string;
  /** Whether it holds an unescaped `*` or `?`. */
  wildcard: boolean;
  /** The component as written (for queries). */
  raw: string;
}

/** Splits a path at unescaped dots outside query parentheses and quotes. */
export function splitGjsonPath(path: string): Component[] {
  const components: Component[] = [];
  let key = "";
  let raw = "";
  let wildcard = false;
  let depth = 0;
  let quoted = false;
  for (let index = 0; index < path.length; index += 1) {
    const character = path[index] as string;
    if (character === "\\" && index + 1 < path.length) {
      const escaped = path[index + 1] as string;
      key += escaped;
      raw += character + escaped;
      index += 1;
      continue;
    }
    if (character === '"' && depth > 0) quoted = !quoted;
    if (!quoted && character === "(") depth += 1;
    if (!quoted && character === ")") depth -= 1;
    if (character === "." && depth === 0 && !quoted) {
      components.push({ key, wildcard, raw });
      key = "";
      raw = "";
      wildcard = false;
      continue;
    }
    if (character === "*" || character === "?") wildcard = true;
    key += character;
    raw += character;
  }
  components.push({ key, wildcard, raw });
  return components;
}

function globToRegExp(pattern: string): RegExp {
  const source = [...pattern]
    .map((character) =>
      character === "*" ? ".*" : character === "?" ? "." : character.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${source}$`, "s");
}

const OPERATORS = ["==", "!=", "<=", ">=", "=", "<", ">"] as const;
type Operator = (typeof OPERATORS)[number];

interface Condition {
  path: string;
  operator: Operator | undefined;
  expected: unknown;
}

function parseCondition(text: string): Condition {
  for (let index = 0; index < text.length; index += 1) {
    const operator = OPERATORS.find((candidate) => text.startsWith(candidate, index));
    if (operator === undefined) continue;
    const literal = text.slice(index + operator.length).trim();
    let expected: unknown;
    try {
      expected = JSON.parse(literal);
    } catch {
      throw new Error(
        `valueLocation query value ${literal} must be a quoted string, a number, true, false or null`,
      );
    }
    return { path: text.slice(0, index).trim(), operator, expected };
  }
  return { path: text.trim(), operator: undefined, expected: undefined };
}

function compare(actual: unknown, operator: Operator, expected: unknown): boolean {
  if (typeof expected === "string" || typeof expected === "number") {
    if (typeof actual !== typeof expected) return false;
    const left = actual as string | number;
    switch (operator) {
      case "==":
      case "=":
        return left === expected;
      case "!=":
        return left !== expected;
      case "<":
        return left < expected;
      case "<=":
        return left <= expected;
      case ">":
        return left > expected;
      case ">=":
        return left >= expected;
    }
  }
  if (operator === "==" || operator === "=") return actual === expected;
  if (operator === "!=") return actual !== expected;
  return false;
}

function matchesCondition(element: unknown, condition: Condition): boolean {
  const found = condition.path === "" ? resultOf(element) : gjsonGet(element, condition.path);
  if (condition.operator === undefined) return found.type !== "Null";
  return found.type !== "Null" && compare(found.value, condition.operator, condition.expected);
}

/** One step of the path from `current`; undefined when nothing matches. */
function step(current: unknown, component: Component, rest: Component[]): unknown {
  if (Array.isArray(current)) {
    if (component.raw === "#") {
      if (rest.length === 0) return current.length;
      return current.map((element) => valueAt(element, rest)).filter((value) => value !== undefined);
    }
    const query = /^#\((.*)\)(#?)$/s.exec(component.raw);
    if (query) {
      const condition = parseCondition(query[1] as string);
      const matching = current.filter((element) => matchesCondition(element, condition));
      if (query[2] === "#") {
        return matching.map((element) => valueAt(element, rest)).filter((value) => value !== undefined);
      }
      return matching.length === 0 ? undefined : valueAt(matching[0], rest);
    }
    if (!/^\d+$/.test(component.key)) return undefined;
    return valueAt(current[Number(component.key)], rest);
  }
  if (typeof current !== "object" || current === null) return undefined;
  const object = current as Record<string, unknown>;
  if (component.wildcard) {
    const pattern = globToRegExp(component.key);
    const key = Object.keys(object).find((candidate) => pattern.test(candidate));
    return key === undefined ? undefined : valueAt(object[key], rest);
  }
  return Object.hasOwn(object, component.key) ? valueAt(object[component.key], rest) : undefined;
}

function valueAt(current: unknown, components: Component[]): unknown {
  const [first, ...rest] = components;
  if (first === undefined) return current;
  return step(current, first, rest);
}

/** The value at `path` in a parsed JSON document, typed the way GJSON types it. */
export function gjsonGet(document: unknown, path: string): GjsonResult {
  if (path === "") return NOT_FOUND;
  return resultOf(valueAt(document, splitGjsonPath(path)));
}
