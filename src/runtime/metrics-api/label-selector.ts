/**
 * Label selectors as the external metrics API receives them (`?labelSelector=`), reduced to a map.
 *
 * The HPA serialises `metric.selector` with Kubernetes' selector syntax: `matchLabels` become
 * `key=value`, `matchExpressions` become `key in (a,b)`, `key notin (a)`, `key`, `!key`. KEDA's
 * adapter turns the selector into a map with `labels.ConvertSelectorToLabelsMap`, which accepts only
 * equality. This parser reads the whole syntax, keeps what a map can express (`=`, `==`, and `in`
 * with exactly one value) and rejects the rest with a message naming the requirement.
 */

export class LabelSelectorError extends Error {
  override name = "LabelSelectorError";
}

const NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string): void {
  const slash = key.indexOf("/");
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    throw new LabelSelectorError(`invalid label key "${key}": the prefix must be a DNS subdomain`);
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    throw new LabelSelectorError(
      `invalid label key "${key}": the name must be 1-63 characters of [A-Za-z0-9-_.], starting and ending with an alphanumeric`,
    );
  }
}

function checkValue(key: string, value: string): void {
  if (value.length === 0) return;
  if (value.length > 63 || !NAME.test(value)) {
    throw new LabelSelectorError(
      `invalid value "${value}" for label "${key}": at most 63 characters of [A-Za-z0-9-_.], starting and ending with an alphanumeric`,
    );
  }
}

type Token =
  | { kind: "word"; text: string }
  | { kind: "op"; text: "=" | "==" | "!=" | "!" | ">" | "<" | "(" | ")" | "," };

const WORD = /[^\s=!<>(),]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < text.length) {
    const char = text[index] as string;
    if (/\s/.test(char)) {
      index += 1;
    } else if (char === "=" || char === "!") {
      const double = text[index + 1] === "=";
      tokens.push({ kind: "op", text: char === "=" ? (double ? "==" : "=") : double ? "!=" : "!" });
      index += double ? 2 : 1;
    } else if (char === ">" || char === "<" || char === "(" || char === ")" || char === ",") {
      tokens.push({ kind: "op", text: char });
      index += 1;
    } else {
      let end = index;
      while (end < text.length && WORD.test(text[end] as string)) end += 1;
      tokens.push({ kind: "word", text: text.slice(index, end) });
      index = end;
    }
  }
  return tokens;
}

function parse(text: string): Record<string, string> {
  const tokens = tokenize(text);
  const labels: Record<string, string> = {};
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const set = (key: string, value: string) => {
    checkKey(key);
    checkValue(key, value);
    const existing = labels[key];
    if (existing !== undefined && existing !== value) {
      throw new LabelSelectorError(`label "${key}" is required to be both "${existing}" and "${value}"`);
    }
    labels[key] = value;
  };
  const unsupported = (requirement: string) =>
    new LabelSelectorError(
      `unsupported requirement "${requirement}" in label selector "${text}": only equality (key=value, or key in (value) with one value) is supported`,
    );

  while (position < tokens.length) {
    const first = next();
    if (first?.kind === "op" && first.text === "!") {
      const key = next();
      throw unsupported(`!${key?.text ?? ""}`);
    }
    if (first?.kind !== "word")
      throw new LabelSelectorError(
        `expected a label key in label selector "${text}", found "${first?.text}"`,
      );
    const key = first.text;
    const operator = next();
    if (operator === undefined || (operator.kind === "op" && operator.text === ",")) {
      throw unsupported(key);
    }
    if (operator.kind === "op" && (operator.text === "=" || operator.text === "==")) {
      const value = peek();
      if (value?.kind === "word") {
        position += 1;
        set(key, value.text);
      } else {
        set(key, "");
      }
    } else if (
      operator.kind === "op" &&
      (operator.text === "!=" || operator.text === ">" || operator.text === "<")
    ) {
      throw unsupported(`${key}${operator.text}${peek()?.text ?? ""}`);
    } else if (operator.kind === "word" && (operator.text === "in" || operator.text === "notin")) {
      const open = next();
      if (open?.kind !== "op" || open.text !== "(") {
        throw new LabelSelectorError(
          `expected "(" after "${key} ${operator.text}" in label selector "${text}"`,
        );
      }
      const values: string[] = [];
      let expectValue = true;
      for (;;) {
        const token = next();
        if (token === undefined) throw new LabelSelectorError(`missing ")" in label selector "${text}"`);
        if (token.kind === "op" && token.text === ")") {
          if (expectValue && values.length > 0) values.push("");
          break;
        }
        if (token.kind === "op" && token.text === ",") {
          if (expectValue) values.push("");
          expectValue = true;
        } else if (token.kind === "word" && expectValue) {
          values.push(token.text);
          expectValue = false;
        } else {
          throw new LabelSelectorError(
            `unexpected "${token.text}" in the value set of "${key}" in label selector "${text}"`,
          );
        }
      }
      const unique = [...new Set(values)];
      if (operator.text === "notin" || unique.length !== 1) {
        throw unsupported(`${key} ${operator.text} (${values.join(",")})`);
      }
      set(key, unique[0] as string);
    } else {
      throw new LabelSelectorError(
        `unexpected "${operator.text}" after "${key}" in label selector "${text}"`,
      );
    }
    const separator = next();
    if (separator !== undefined && !(separator.kind === "op" && separator.text === ",")) {
      throw new LabelSelectorError(`expected "," before "${separator.text}" in label selector "${text}"`);
    }
    if (separator !== undefined && position >= tokens.length) {
      throw new LabelSelectorError(`trailing "," in label selector "${text}"`);
    }
  }
  return labels;
}

const cache = new Map<string, Readonly<Record<string, string>>>();
const CACHE_LIMIT = 1024;

/**
 * The labels an equality-only selector requires, e.g. `a=b,c==d,e in (f)` → `{a:"b", c:"d", e:"f"}`.
 * An empty selector gives `{}`. Throws LabelSelectorError for syntax errors and for requirements a
 * map cannot express. Results are frozen and cached: the HPA asks with the same few selectors.
 */
export function parseLabelSelector(text: string): Readonly<Record<string, string>> {
  const cached = cache.get(text);
  if (cached !== undefined) return cached;
  const labels = Object.freeze(parse(text));
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, labels);
  return labels;
}
