/**
 * compileFormula: KEDA's `advanced.scalingModifiers.formula`, checked once and evaluated per poll.
 * KEDA wraps the formula as `float(<formula>)`, or, when it contains `??`, so that a nil result stays
 * nil (fallback behavior `scalingModifiers` relies on that). It validates by running it with -1 for
 * every trigger; compileFormula does the same, so a formula Tidal accepts is one KEDA accepts.
 */
import type { FormulaNode } from "./ast.ts";
import { BUILTINS } from "./builtins.ts";
import { FormulaError, formulaError } from "./errors.ts";
import { evaluateNode } from "./evaluate.ts";
import { parseFormula } from "./parser.ts";
import { type Value, describeValue, float, isNumber } from "./values.ts";
import { parseGoFloat } from "../../util/go/parse.ts";

export interface CompiledFormula {
  readonly source: string;
  /** The trigger names the formula reads, in order of first use. */
  readonly variables: readonly string[];
  /** The formula contains `??`: a nil result is returned as null instead of being an error. */
  readonly keepsNil: boolean;
  /** Values are trigger values; null stands for a trigger without a value (a failing one in fallback). */
  evaluate(values: Readonly<Record<string, number | null>>): number | null;
}

export function compileFormula(source: string, variableNames: readonly string[]): CompiledFormula {
  const tree = parseFormula(source);
  const known = new Set(variableNames);
  const used: string[] = [];
  check(tree, { known, used, insidePredicate: false });
  const formula: CompiledFormula = {
    source,
    variables: used,
    keepsNil: source.includes("??"),
    evaluate: (values) => toResult(evaluateNode(tree, toVariables(values, used)), source.includes("??")),
  };
  try {
    formula.evaluate(Object.fromEntries(used.map((name) => [name, -1])));
  } catch (error) {
    if (!(error instanceof FormulaError)) throw error;
    throw new FormulaError(
      error.kind,
      `${error.message} (KEDA checks formulas with -1 for every trigger)`,
      error.column,
    );
  }
  return formula;
}

interface CheckContext {
  known: ReadonlySet<string>;
  used: string[];
  insidePredicate: boolean;
}

function check(node: FormulaNode, context: CheckContext): void {
  switch (node.type) {
    case "variable":
      if (!context.known.has(node.name)) {
        const names = [...context.known].sort().join(", ") || "(none)";
        throw new FormulaError(
          "name",
          `formula names trigger "${node.name}" which is not a named trigger of this ScaledObject; named triggers: ${names}`,
          node.column,
        );
      }
      if (!context.used.includes(node.name)) context.used.push(node.name);
      return;
    case "element":
      if (!context.insidePredicate) {
        throw formulaError(
          "syntax",
          `'#' at column ${node.column} is only meaningful inside a predicate, as in count(values, {# > 1})`,
          node.column,
        );
      }
      return;
    case "predicate":
      throw formulaError(
        "syntax",
        `'{' at column ${node.column} starts a predicate, which only count, filter, all, any and none take`,
        node.column,
      );
    case "unary":
      return check(node.operand, context);
    case "binary":
      check(node.left, context);
      return check(node.right, context);
    case "conditional":
      check(node.condition, context);
      check(node.whenTrue, context);
      return check(node.whenFalse, context);
    case "array":
      return node.elements.forEach((element) => check(element, context));
    case "call":
      return checkCall(node, context);
    default:
      return;
  }
}

function checkCall(node: Extract<FormulaNode, { type: "call" }>, context: CheckContext): void {
  const builtin = BUILTINS.get(node.name);
  if (!builtin) {
    const names = [...BUILTINS.keys()].join(", ");
    throw formulaError(
      "name",
      `unknown function ${node.name}() at column ${node.column}; known: ${names}`,
      node.column,
    );
  }
  if (node.args.length < builtin.minArgs || node.args.length > builtin.maxArgs) {
    const expected =
      builtin.maxArgs === Infinity
        ? `at least ${builtin.minArgs}`
        : builtin.minArgs === builtin.maxArgs
          ? `${builtin.minArgs}`
          : `${builtin.minArgs} to ${builtin.maxArgs}`;
    throw formulaError(
      "syntax",
      `${node.name}() at column ${node.column} takes ${expected} argument(s), got ${node.args.length}`,
      node.column,
    );
  }
  node.args.forEach((arg, index) => {
    if (index !== builtin.predicateArg) return check(arg, context);
    check(arg.type === "predicate" ? arg.body : arg, { ...context, insidePredicate: true });
  });
}

function toVariables(
  values: Readonly<Record<string, number | null>>,
  names: readonly string[],
): Map<string, Value> {
  return new Map(
    names.map((name) => {
      const value = values[name];
      if (value === undefined) throw formulaError("evaluation", `no value for trigger "${name}"`);
      return [name, value === null ? null : float(value)];
    }),
  );
}

/** KEDA's `float(...)` around the result, or its `result == nil ? nil : float(result)` when `??` is used. */
function toResult(value: Value, keepsNil: boolean): number | null {
  if (value === null && keepsNil) return null;
  if (isNumber(value)) return value.value;
  const parsed = typeof value === "string" ? parseGoFloat(value) : undefined;
  if (parsed !== undefined) return parsed;
  const hint = value === null ? "; a trigger without a value is nil, use ?? to pick another value" : "";
  throw formulaError("type", `the result must be a number, got ${describeValue(value)}${hint}`);
}
