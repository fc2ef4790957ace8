/** Walks a formula's syntax tree with expr-lang's semantics. */
import type { BinaryOperator, FormulaNode } from "./ast.ts";
import { BUILTINS } from "./builtins.ts";
import { formulaError } from "./errors.ts";
import {
  type NumberValue,
  type Value,
  describeValue,
  expectBoolean,
  expectNumber,
  float,
  int,
  isNumber,
  typeName,
  valuesEqual,
} from "./values.ts";

export function evaluateNode(node: FormulaNode, variables: ReadonlyMap<string, Value>): Value {
  return new Evaluation(variables).run(node, undefined);
}

class Evaluation {
  private readonly variables: ReadonlyMap<string, Value>;

  constructor(variables: ReadonlyMap<string, Value>) {
    this.variables = variables;
  }

  /** `element` is what `#` means here: the element a predicate is looking at. */
  run(node: FormulaNode, element: Value | undefined): Value {
    switch (node.type) {
      case "number":
        return node.isInteger ? int(node.value) : float(node.value);
      case "string":
      case "boolean":
        return node.value;
      case "nil":
        return null;
      case "variable": {
        const value = this.variables.get(node.name);
        if (value === undefined) throw formulaError("evaluation", `no value for trigger "${node.name}"`);
        return value;
      }
      case "element":
      case "predicate":
        if (element === undefined || node.type === "predicate") {
          throw formulaError("syntax", `'#' and '{...}' belong inside a predicate argument`, node.column);
        }
        return element;
      case "array":
        return node.elements.map((item) => this.run(item, element));
      case "unary":
        return this.unary(node.operator, this.run(node.operand, element), node.column);
      case "binary":
        return this.binary(node.operator, node.left, node.right, node.column, element);
      case "conditional": {
        const condition = expectBoolean(
          this.run(node.condition, element),
          `the condition at column ${node.column}`,
        );
        return this.run(condition ? node.whenTrue : node.whenFalse, element);
      }
      case "call":
        return this.call(node, element);
    }
  }

  private unary(operator: "-" | "+" | "!", operand: Value, column: number): Value {
    if (operator === "!") return !expectBoolean(operand, `'!' at column ${column}`);
    const number = expectNumber(operand, `'${operator}' at column ${column}`);
    return operator === "-" ? { kind: number.kind, value: -number.value } : number;
  }

  private binary(
    operator: BinaryOperator,
    leftNode: FormulaNode,
    rightNode: FormulaNode,
    column: number,
    element: Value | undefined,
  ): Value {
    const where = `'${operator}' at column ${column}`;
    const left = this.run(leftNode, element);
    // The three short-circuiting operators decide before evaluating the right side.
    if (operator === "??") return left !== null ? left : this.run(rightNode, element);
    if (operator === "&&")
      return expectBoolean(left, where) && expectBoolean(this.run(rightNode, element), where);
    if (operator === "||")
      return expectBoolean(left, where) || expectBoolean(this.run(rightNode, element), where);
    const right = this.run(rightNode, element);
    switch (operator) {
      case "==":
        return valuesEqual(left, right);
      case "!=":
        return !valuesEqual(left, right);
      case "<":
      case "<=":
      case ">":
      case ">=":
        return compare(operator, left, right, where);
      default:
        return arithmetic(operator, left, right, where);
    }
  }

  private call(node: Extract<FormulaNode, { type: "call" }>, element: Value | undefined): Value {
    const builtin = BUILTINS.get(node.name);
    if (!builtin) throw formulaError("name", `unknown function ${node.name}()`, node.column);
    const predicateNode = builtin.predicateArg === undefined ? undefined : node.args[builtin.predicateArg];
    const args = node.args.map((arg) => (arg === predicateNode ? null : this.run(arg, element)));
    const predicate = predicateNode
      ? (item: Value) =>
          this.run(predicateNode.type === "predicate" ? predicateNode.body : predicateNode, item)
      : undefined;
    return builtin.call(args, predicate);
  }
}

function compare(operator: "<" | "<=" | ">" | ">=", left: Value, right: Value, where: string): boolean {
  const comparable =
    (isNumber(left) && isNumber(right)) || (typeof left === "string" && typeof right === "string");
  if (!comparable) {
    throw formulaError("type", `${where} cannot compare ${typeName(left)} and ${typeName(right)}`);
  }
  const a = isNumber(left) ? left.value : left;
  const b = isNumber(right) ? right.value : right;
  switch (operator) {
    case "<":
      return a < b;
    case "<=":
      return a <= b;
    case ">":
      return a > b;
    case ">=":
      return a >= b;
  }
}

function arithmetic(
  operator: "+" | "-" | "*" | "/" | "%" | "**",
  left: Value,
  right: Value,
  where: string,
): Value {
  if (operator === "+" && typeof left === "string" && typeof right === "string") return left + right;
  const a = expectNumber(left, where);
  const b = expectNumber(right, where);
  const sameKind = (value: number): NumberValue =>
    a.kind === "int" && b.kind === "int" ? int(value) : float(value);
  switch (operator) {
    case "+":
      return sameKind(a.value + b.value);
    case "-":
      return sameKind(a.value - b.value);
    case "*":
      return sameKind(a.value * b.value);
    case "/":
      return float(a.value / b.value);
    case "**":
      return float(a.value ** b.value);
    case "%":
      if (a.kind !== "int" || b.kind !== "int") {
        throw formulaError(
          "type",
          `${where} needs two ints, got ${describeValue(a)} and ${describeValue(b)}`,
        );
      }
      if (b.value === 0) throw formulaError("evaluation", `${where}: integer divide by zero`);
      return int(a.value % b.value);
  }
}
