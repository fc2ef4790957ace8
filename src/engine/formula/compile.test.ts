import { describe, expect, it } from "vitest";
import { compileFormula } from "./compile.ts";
import { FormulaError } from "./errors.ts";

const NAMES = ["a", "b", "c"];
const VALUES = { a: 10, b: 4, c: -2 };

function run(source: string, values: Record<string, number | null> = VALUES): number | null {
  return compileFormula(source, NAMES).evaluate(values);
}

function failure(action: () => unknown): FormulaError {
  try {
    action();
  } catch (error) {
    if (error instanceof FormulaError) return error;
    throw error;
  }
  throw new Error("expected a FormulaError");
}

describe("compileFormula: operators", () => {
  it.each([
    ["a + b", 14],
    ["a - b", 6],
    ["a * b", 40],
    ["a / b", 2.5],
    ["7 / 2", 3.5],
    ["7 % 3", 1],
    ["-7 % 3", -1],
    ["2 ** 3", 8],
    ["2 ^ 3", 8],
    ["-a", -10],
    ["+a", 10],
    ["1e3", 1000],
    ["1_000 + 0.5", 1000.5],
    ["a > b ? 1 : 2", 1],
    ["a < b ? 1 : 2", 2],
    ["a >= 10 ? 1 : 0", 1],
    ["a <= 9 ? 1 : 0", 0],
    ["a == 10 ? 1 : 0", 1],
    ["a != 10 ? 1 : 0", 0],
    ["10 == 10.0 ? 1 : 0", 1],
    ["a > 1 && b > 1 ? 1 : 0", 1],
    ["a > 1 and b > 5 ? 1 : 0", 0],
    ["a > 100 || b > 1 ? 1 : 0", 1],
    ["a > 100 or b > 100 ? 1 : 0", 0],
    ["!(a > 1) ? 1 : 0", 0],
    ["not (a > 1) ? 1 : 0", 0],
    ["nil == nil ? 1 : 0", 1],
    ["'x' + \"y\" == 'xy' ? 1 : 0", 1],
    ["'3.5'", 3.5],
  ])("%s = %d", (source, expected) => {
    expect(run(source)).toBe(expected);
  });
});

describe("compileFormula: precedence as in expr-lang", () => {
  it.each([
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["10 - 4 - 3", 3],
    ["2 ** 3 ** 2", 512],
    ["-2 ** 2", -4],
    ["2 * 3 ** 2", 18],
    ["1 + 2 > 2 ? 10 : 20", 10],
    ["a > 1 || a > 1 && a > 100 ? 1 : 0", 1],
    ["true ? 1 : false ? 2 : 3", 1],
    ["false ? 1 : false ? 2 : 3", 3],
    ["(nil ?? 2) + 3", 5],
    ["nil ?? 2 + 3", 5],
    ["a ?? 1 * 2", 20],
  ])("%s = %d", (source, expected) => {
    expect(run(source)).toBe(expected);
  });

  it("binds `??` tighter than `+`: a ?? b + 1 is (a ?? b) + 1", () => {
    expect(run("a ?? b + 1", { a: null, b: 4, c: 0 })).toBe(5);
    expect(run("a ?? b + 1", { a: 10, b: 4, c: 0 })).toBe(11);
  });
});

describe("compileFormula: nil and ??", () => {
  it.each([
    ["a ?? b", { a: null, b: 4, c: 0 }, 4],
    ["a ?? b", { a: 10, b: 4, c: 0 }, 10],
    ["a ?? b ?? c", { a: null, b: null, c: 7 }, 7],
    ["a ?? nil", { a: null, b: 0, c: 0 }, null],
  ])("%s with %j = %j", (source, values, expected) => {
    expect(run(source, values)).toBe(expected);
  });

  it("fails on a nil result when the formula has no ??", () => {
    const formula = compileFormula("a", NAMES);
    expect(failure(() => formula.evaluate({ a: null })).message).toContain("use ?? to pick another value");
  });

  it("fails on arithmetic with nil", () => {
    const formula = compileFormula("a + 1", NAMES);
    expect(failure(() => formula.evaluate({ a: null })).kind).toBe("type");
  });
});

describe("compileFormula: functions", () => {
  it.each([
    ["float(3)", 3],
    ["int(2.9)", 2],
    ["int(-2.9)", -2],
    ["int('12')", 12],
    ["abs(c)", 2],
    ["ceil(1.2)", 2],
    ["floor(-1.2)", -2],
    ["round(2.5)", 3],
    ["round(-2.5)", -3],
    ["min(a, b, c)", -2],
    ["max(a, b, c)", 10],
    ["max([a, b])", 10],
    ["min([3])", 3],
    ["sum([a, b, c])", 12],
    ["sum([])", 0],
    ["mean([a, b, c])", 4],
    ["avg([2, 4])", 3],
    ["median([5, 1, 3])", 3],
    ["median([4, 1, 3, 2])", 2.5],
    ["len([a, b, c])", 3],
    ["len('héllo')", 6],
    ["count([a, b, c], {# > 1})", 2],
    ["count([a, b, c], # > 1)", 2],
    ["count([true, false, true])", 2],
    ["len(filter([a, b, c], {# > 5}))", 1],
    ["sum(filter([1, 2, 3, 4], {# % 2 == 0}))", 6],
    ["all([a, b], {# > 0}) ? 1 : 0", 1],
    ["any([a, c], {# < 0}) ? 1 : 0", 1],
    ["none([a, b], {# < 0}) ? 1 : 0", 1],
    ["count([[1, 2], [3]], {count(#, {# > 1}) > 0})", 2],
  ])("%s = %d", (source, expected) => {
    expect(run(source)).toBe(expected);
  });
});

describe("compileFormula: errors", () => {
  it.each([
    ["a + b)", 6, "formula: unexpected ')' at column 6; expected an operator or the end of the formula"],
    ["(a + )", 6, "formula: unexpected ')' at column 6; expected an expression"],
    ["a +", 4, "formula: unexpected end of formula at column 4; expected an expression"],
    ["(a + b", 7, "formula: unexpected end of formula at column 7; expected ')' to close '(' from column 1"],
    ["a ? b", 6, "formula: unexpected end of formula at column 6; expected ':' of the conditional"],
    ["max(a b)", 7, "formula: unexpected name \"b\" at column 7; expected ',' or ')'"],
    ["a @ b", 3, "formula: unexpected character '@' at column 3"],
    ["'abc", 1, "formula: string starting at column 1 is not closed"],
  ])("%j fails at column %d", (source, column, message) => {
    const error = failure(() => compileFormula(source, NAMES));
    expect(error.kind).toBe("syntax");
    expect(error.column).toBe(column);
    expect(error.message).toBe(message);
  });

  it("names the unknown trigger and lists the known ones", () => {
    const error = failure(() => compileFormula("a + x", ["b", "a"]));
    expect(error.kind).toBe("name");
    expect(error.message).toBe(
      'formula names trigger "x" which is not a named trigger of this ScaledObject; named triggers: a, b',
    );
  });

  it.each([
    ["nope(a)", "unknown function nope()"],
    ["ceil(a, b)", "ceil() at column 1 takes 1 argument(s), got 2"],
    ["max()", "max() at column 1 takes at least 1 argument(s), got 0"],
    ["# + 1", "'#' at column 1 is only meaningful inside a predicate"],
    ["{a}", "'{' at column 1 starts a predicate"],
  ])("%j is rejected: %s", (source, fragment) => {
    expect(failure(() => compileFormula(source, NAMES)).message).toContain(fragment);
  });

  it.each([
    ["a % 2", "'%' at column 3 needs two ints"],
    ["a < 0 && 1", "'&&' at column 7 needs a bool"],
    ["a > 0 && 1", "the result must be a number, got bool false"],
    ["a < nil ? 1 : 0", "cannot compare float and nil"],
    ["a ? 1 : 0", "needs a bool"],
    ["7 % 0", "integer divide by zero"],
  ])("%j fails KEDA's -1 validation run: %s", (source, fragment) => {
    const error = failure(() => compileFormula(source, NAMES));
    expect(error.message).toContain(fragment);
    expect(error.message).toContain("KEDA checks formulas with -1");
  });

  it("accepts int(a) % 2, which expr-lang allows", () => {
    expect(run("int(a) % 3")).toBe(1);
  });

  it("reports which triggers the formula reads", () => {
    const formula = compileFormula("b + a + b", NAMES);
    expect(formula.variables).toEqual(["b", "a"]);
    expect(formula.keepsNil).toBe(false);
    expect(compileFormula("a ?? b", NAMES).keepsNil).toBe(true);
  });

  it("does not resolve names through Object.prototype", () => {
    expect(failure(() => compileFormula("constructor", NAMES)).kind).toBe("name");
  });
});
