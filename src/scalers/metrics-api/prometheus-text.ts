import { parsePrometheusFloat } from "../prometheus/query.ts";

/**
 * The `prometheus` format of the metrics-api scaler: the response is Prometheus' text exposition
 * format, `valueLocation` a series selector such as `http_requests{code="200"}`, and the value is
 * the first counter, gauge or untyped sample of that metric whose labels match.
 */

type MatchOperator = "=" | "!=" | "=~" | "!~";

interface LabelMatcher {
  name: string;
  operator: MatchOperator;
  value: string;
}

export interface SeriesSelector {
  metricName: string;
  matchers: LabelMatcher[];
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const WHITESPACE = /[ \t]*/y;

/** A cursor over one line of text, with the small readers both grammars share. */
class Reader {
  readonly text: string;
  position = 0;

  constructor(text: string) {
    this.text = text;
  }

  match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.position;
    const found = pattern.exec(this.text);
    if (found === null || found[0] === "") return undefined;
    this.position += found[0].length;
    return found[0];
  }

  skipSpace(): void {
    this.match(WHITESPACE);
  }

  take(literal: string): boolean {
    if (!this.text.startsWith(literal, this.position)) return false;
    this.position += literal.length;
    return true;
  }

  get done(): boolean {
    return this.position >= this.text.length;
  }

  fail(what: string): never {
    throw new Error(`${what} at position ${this.position + 1} of ${JSON.stringify(this.text)}`);
  }

  /** A quoted label value; `"…"` and `'…'` with backslash escapes, or a raw `` `…` ``. */
  quoted(): string {
    const quote = this.text[this.position];
    if (quote !== '"' && quote !== "'" && quote !== "`") this.fail("expected a quoted label value");
    let value = "";
    for (let index = this.position + 1; index < this.text.length; index += 1) {
      const character = this.text[index] as string;
      if (character === quote) {
        this.position = index + 1;
        return value;
      }
      if (character === "\\" && quote !== "`" && index + 1 < this.text.length) {
        const escaped = this.text[index + 1] as string;
        value += escaped === "n" ? "\n" : escaped === "t" ? "\t" : escaped;
        index += 1;
      } else {
        value += character;
      }
    }
    return this.fail("unterminated label value");
  }

  /** `{name op "value", …}` with the operators allowed. */
  labels(operators: readonly MatchOperator[]): LabelMatcher[] {
    const matchers: LabelMatcher[] = [];
    if (!this.take("{")) return matchers;
    for (;;) {
      this.skipSpace();
      if (this.take("}")) return matchers;
      const name = this.match(LABEL_NAME) ?? this.fail("expected a label name");
      this.skipSpace();
      const operator =
        operators.find((candidate) => this.take(candidate)) ??
        this.fail(`expected ${operators.join(" or ")}`);
      this.skipSpace();
      matchers.push({ name, operator, value: this.quoted() });
      this.skipSpace();
      if (!this.take(",") && this.text[this.position] !== "}") this.fail("expected , or }");
    }
  }
}

/** Parses a PromQL series selector: `name`, `name{…}` or `{__name__="name", …}`. */
export function parseSeriesSelector(selector: string): SeriesSelector {
  const reader = new Reader(selector.trim());
  let metricName = reader.match(METRIC_NAME) ?? "";
  reader.skipSpace();
  const matchers = reader.labels(["=~", "!~", "!=", "="]);
  reader.skipSpace();
  if (!reader.done) reader.fail("unexpected text");
  const nameMatcher = matchers.find((matcher) => matcher.name === "__name__" && matcher.operator === "=");
  if (nameMatcher) metricName = nameMatcher.value;
  if (metricName === "") throw new Error(`valueLocation ${JSON.stringify(selector)} must name a metric`);
  return { metricName, matchers: matchers.filter((matcher) => matcher.name !== "__name__") };
}

const COMPOUND_SUFFIXES = ["_bucket", "_count", "_sum"];
const SIMPLE_TYPES = new Set(["counter", "gauge", "untyped"]);

/** The family a sample belongs to: histograms and summaries own their `_bucket/_count/_sum` samples. */
function familyOf(sampleName: string, types: Map<string, string>): string {
  for (const suffix of COMPOUND_SUFFIXES) {
    if (!sampleName.endsWith(suffix)) continue;
    const base = sampleName.slice(0, -suffix.length);
    const type = types.get(base);
    if (type === "histogram" || type === "summary" || type === "gaugehistogram") return base;
  }
  return sampleName;
}

/** Reads the samples and `# TYPE` declarations of a text exposition. */
function parseExposition(body: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  body.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim();
    if (trimmed === "") return;
    if (trimmed.startsWith("#")) {
      const declaration = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(trimmed);
      if (declaration) types.set(declaration[1] as string, (declaration[2] as string).toLowerCase());
      return;
    }
    try {
      const reader = new Reader(trimmed);
      const name = reader.match(METRIC_NAME) ?? reader.fail("expected a metric name");
      const labels = Object.fromEntries(reader.labels(["="]).map((label) => [label.name, label.value]));
      reader.skipSpace();
      const text = reader.match(/\S+/y) ?? reader.fail("expected a value");
      const value = parsePrometheusFloat(text) ?? reader.fail(`value "${text}" is not a number`);
      samples.push({ name, labels, value });
    } catch (error) {
      throw new Error(`prometheus format parsing error on line ${index + 1}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  });
  return { samples, types };
}

function matches(labels: Record<string, string>, matcher: LabelMatcher): boolean {
  const actual = labels[matcher.name] ?? "";
  switch (matcher.operator) {
    case "=":
      return actual === matcher.value;
    case "!=":
      return actual !== matcher.value;
    case "=~":
      return new RegExp(`^(?:${matcher.value})$`).test(actual);
    case "!~":
      return !new RegExp(`^(?:${matcher.value})$`).test(actual);
  }
}

/** The value of the first counter, gauge or untyped sample matching `selector`. */
export function prometheusTextValue(body: string, selector: string): number {
  const { metricName, matchers } = parseSeriesSelector(selector);
  const { samples, types } = parseExposition(body);
  const family = samples.filter((sample) => familyOf(sample.name, types) === metricName);
  if (family.length === 0) throw new Error(`metric '${metricName}' not found`);
  const type = types.get(metricName) ?? "untyped";
  const sample = SIMPLE_TYPES.has(type)
    ? family.find((candidate) => matchers.every((matcher) => matches(candidate.labels, matcher)))
    : undefined;
  if (sample === undefined) throw new Error(`value ${selector} not found`);
  return sample.value;
}
