/** The expr-lang built-in functions a formula may call, with expr-lang's result types. */
import { formulaError } from "./errors.ts";
import { parseGoFloat, parseGoInt } from "../../util/go/parse.ts";
import {
  type NumberValue,
  type Value,
  describeValue,
  expectArray,
  expectBoolean,
  expectNumber,
  float,
  int,
  isNumber,
} from "./values.ts";

export type Predicate = (element: Value) => Value;

export interface Builtin {
  minArgs: number;
  maxArgs: number;
  /** The argument that is a predicate such as `{# > 1}`, evaluated once per element. */
  predicateArg?: number;
  call(args: readonly Value[], predicate: Predicate | undefined): Value;
}

const unary = (call: (value: Value) => Value): Builtin => ({
  minArgs: 1,
  maxArgs: 1,
  call: ([value]) => call(value ?? null),
});

const rounding = (name: string, round: (value: number) => number): Builtin =>
  unary((value) => float(round(expectNumber(value, `${name}()`).value)));

const numbers = (values: readonly Value[], name: string): NumberValue[] =>
  values.map((value) => expectNumber(value, `${name}()`));

const numbersOf = (value: Value, name: string): NumberValue[] =>
  numbers(expectArray(value, `${name}()`), name);

/** min/max take several numbers or one array of numbers, and return the winning element unchanged. */
const extreme = (name: string, better: (candidate: number, best: number) => boolean): Builtin => ({
  minArgs: 1,
  maxArgs: Infinity,
  call(args) {
    const first = args[0] ?? null;
    const candidates = numbers(args.length === 1 && Array.isArray(first) ? first : args, name);
    const best = candidates.reduce<NumberValue | undefined>(
      (winner, candidate) =>
        winner === undefined || better(candidate.value, winner.value) ? candidate : winner,
      undefined,
    );
    if (!best) throw formulaError("evaluation", `${name}() of an empty array`);
    return best;
  },
});

const mean: Builtin = unary((value) => {
  const values = numbersOf(value, "mean");
  return float(
    values.length === 0 ? 0 : values.reduce((total, item) => total + item.value, 0) / values.length,
  );
});

/** Applies `predicate` to every element and insists on bool results. */
function matches(value: Value, predicate: Predicate | undefined, name: string): boolean[] {
  return expectArray(value, `${name}()`).map((element) =>
    predicate
      ? expectBoolean(predicate(element), `the predicate of ${name}()`)
      : expectBoolean(element, `${name}()`),
  );
}

const quantifier = (name: string, decide: (results: boolean[]) => boolean): Builtin => ({
  minArgs: 2,
  maxArgs: 2,
  predicateArg: 1,
  call: ([value], predicate) => decide(matches(value ?? null, predicate, name)),
});

export const BUILTINS = new Map<string, Builtin>([
  [
    "float",
    unary((value) => {
      if (isNumber(value)) return float(value.value);
      const parsed = typeof value === "string" ? parseGoFloat(value) : undefined;
      if (parsed === undefined) throw formulaError("type", `float() cannot convert ${describeValue(value)}`);
      return float(parsed);
    }),
  ],
  [
    "int",
    unary((value) => {
      if (isNumber(value)) return int(value.value);
      const parsed = typeof value === "string" ? parseGoInt(value, 64) : undefined;
      if (parsed === undefined) throw formulaError("type", `int() cannot convert ${describeValue(value)}`);
      return int(parsed);
    }),
  ],
  [
    "abs",
    unary((value) => {
      const number = expectNumber(value, "abs()");
      return { kind: number.kind, value: Math.abs(number.value) };
    }),
  ],
  ["ceil", rounding("ceil", Math.ceil)],
  ["floor", rounding("floor", Math.floor)],
  // Go's math.Round rounds halves away from zero; Math.round would send -2.5 to -2.
  ["round", rounding("round", (value) => Math.sign(value) * Math.round(Math.abs(value)))],
  ["min", extreme("min", (candidate, best) => candidate < best)],
  ["max", extreme("max", (candidate, best) => candidate > best)],
  [
    "sum",
    unary((value) => {
      const values = numbersOf(value, "sum");
      const total = values.reduce((sum, item) => sum + item.value, 0);
      return values.every((item) => item.kind === "int") ? int(total) : float(total);
    }),
  ],
  ["mean", mean],
  ["avg", mean],
  [
    "median",
    unary((value) => {
      const sorted = numbersOf(value, "median")
        .map((item) => item.value)
        .sort((a, b) => a - b);
      if (sorted.length === 0) return float(0);
      const middle = Math.floor(sorted.length / 2);
      const upper = sorted[middle] ?? 0;
      return float(sorted.length % 2 === 1 ? upper : ((sorted[middle - 1] ?? 0) + upper) / 2);
    }),
  ],
  [
    "len",
    unary((value) => {
      if (typeof value === "string") return int(new TextEncoder().encode(value).length);
      return int(expectArray(value, "len()").length);
    }),
  ],
  [
    "count",
    {
      minArgs: 1,
      maxArgs: 2,
      predicateArg: 1,
      call: ([value], predicate) => int(matches(value ?? null, predicate, "count").filter(Boolean).length),
    },
  ],
  [
    "filter",
    {
      minArgs: 2,
      maxArgs: 2,
      predicateArg: 1,
      call([value], predicate) {
        const elements = expectArray(value ?? null, "filter()");
        const keep = matches(elements, predicate, "filter");
        return elements.filter((_, index) => keep[index]);
      },
    },
  ],
  ["all", quantifier("all", (results) => results.every(Boolean))],
  ["any", quantifier("any", (results) => results.some(Boolean))],
  ["none", quantifier("none", (results) => !results.some(Boolean))],
]);
