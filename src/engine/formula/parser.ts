/**
 * A Pratt parser for the expr-lang subset KEDA formulas use, with expr-lang's precedences:
 * `?:` < `||` < `&&` < comparison < `+ -` < `!` < `* / %` < unary `-` < `** ^` < `??`.
 * (`!` and `??` sit where expr-lang puts them, so `!a * b` is `!(a * b)` and `a ?? b + 1` is `(a ?? b) + 1`.)
 */
import type { BinaryOperator, FormulaNode, UnaryOperator } from "./ast.ts";
import { formulaError } from "./errors.ts";
import { type Token, tokenize } from "./lexer.ts";

interface BinaryRule {
  operator: BinaryOperator;
  precedence: number;
  rightAssociative: boolean;
}

// Maps, not object literals: a trigger named "constructor" must not find Object.prototype.
const BINARY = new Map<string, BinaryRule>();
function binary(spellings: string[], operator: BinaryOperator, precedence: number, rightAssociative = false) {
  for (const spelling of spellings) BINARY.set(spelling, { operator, precedence, rightAssociative });
}
binary(["||", "or"], "||", 10);
binary(["&&", "and"], "&&", 15);
for (const comparison of ["==", "!=", "<", "<=", ">", ">="] as const) binary([comparison], comparison, 20);
binary(["+"], "+", 30);
binary(["-"], "-", 30);
binary(["*"], "*", 60);
binary(["/"], "/", 60);
binary(["%"], "%", 60);
binary(["**", "^"], "**", 100, true);
binary(["??"], "??", 500);

const UNARY = new Map<string, { operator: UnaryOperator; precedence: number }>([
  ["!", { operator: "!", precedence: 50 }],
  ["not", { operator: "!", precedence: 50 }],
  ["-", { operator: "-", precedence: 90 }],
  ["+", { operator: "+", precedence: 90 }],
]);

const LITERALS = new Map<string, (column: number) => FormulaNode>([
  ["true", (column) => ({ type: "boolean", value: true, column })],
  ["false", (column) => ({ type: "boolean", value: false, column })],
  ["nil", (column) => ({ type: "nil", column })],
]);

export function parseFormula(source: string): FormulaNode {
  const parser = new Parser(tokenize(source));
  const node = parser.expression(0);
  parser.expectEnd();
  return node;
}

class Parser {
  private readonly tokens: Token[];
  private position = 0;

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  expression(minimumPrecedence: number): FormulaNode {
    let left = this.primary();
    for (;;) {
      const token = this.current();
      const rule = token.kind === "operator" || token.kind === "name" ? BINARY.get(token.text) : undefined;
      if (!rule || rule.precedence < minimumPrecedence) break;
      this.advance();
      const right = this.expression(rule.rightAssociative ? rule.precedence : rule.precedence + 1);
      left = { type: "binary", operator: rule.operator, left, right, column: token.column };
    }
    return minimumPrecedence === 0 ? this.conditional(left) : left;
  }

  expectEnd(): void {
    const token = this.current();
    if (token.kind !== "end") this.fail(token, "an operator or the end of the formula");
  }

  private conditional(condition: FormulaNode): FormulaNode {
    const question = this.current();
    if (!isOperator(question, "?")) return condition;
    this.advance();
    const whenTrue = this.expression(0);
    this.expect(":", "':' of the conditional");
    const whenFalse = this.expression(0);
    return { type: "conditional", condition, whenTrue, whenFalse, column: question.column };
  }

  private primary(): FormulaNode {
    const token = this.current();
    const unary = token.kind === "operator" || token.kind === "name" ? UNARY.get(token.text) : undefined;
    if (unary) {
      this.advance();
      const operand = this.expression(unary.precedence);
      return { type: "unary", operator: unary.operator, operand, column: token.column };
    }
    switch (token.kind) {
      case "number":
        this.advance();
        return { type: "number", value: token.value, isInteger: token.isInteger, column: token.column };
      case "string":
        this.advance();
        return { type: "string", value: token.value, column: token.column };
      case "name":
        return this.name(token);
      case "operator":
        return this.bracketed(token);
      case "end":
        return this.fail(token, "an expression");
    }
  }

  private name(token: Token): FormulaNode {
    this.advance();
    const literal = LITERALS.get(token.text);
    if (literal) return literal(token.column);
    if (!isOperator(this.current(), "(")) return { type: "variable", name: token.text, column: token.column };
    this.advance();
    const args = this.list(")");
    return { type: "call", name: token.text, args, column: token.column };
  }

  private bracketed(token: Token): FormulaNode {
    this.advance();
    switch (token.text) {
      case "(": {
        const inner = this.expression(0);
        this.expect(")", `')' to close '(' from column ${token.column}`);
        return inner;
      }
      case "[":
        return { type: "array", elements: this.list("]"), column: token.column };
      case "{": {
        const body = this.expression(0);
        this.expect("}", `'}' to close '{' from column ${token.column}`);
        return { type: "predicate", body, column: token.column };
      }
      case "#":
        return { type: "element", column: token.column };
      default:
        return this.fail(token, "an expression");
    }
  }

  /** Comma-separated expressions up to `close`, which is consumed. */
  private list(close: string): FormulaNode[] {
    const items: FormulaNode[] = [];
    if (isOperator(this.current(), close)) {
      this.advance();
      return items;
    }
    for (;;) {
      items.push(this.expression(0));
      if (isOperator(this.current(), ",")) {
        this.advance();
        continue;
      }
      this.expect(close, `',' or '${close}'`);
      return items;
    }
  }

  private expect(operator: string, expected: string): void {
    const token = this.current();
    if (!isOperator(token, operator)) this.fail(token, expected);
    this.advance();
  }

  private fail(token: Token, expected: string): never {
    throw formulaError(
      "syntax",
      `unexpected ${describe(token)} at column ${token.column}; expected ${expected}`,
      token.column,
    );
  }

  private current(): Token {
    return this.tokens[this.position] ?? this.tokens[this.tokens.length - 1]!;
  }

  private advance(): void {
    if (this.position < this.tokens.length - 1) this.position++;
  }
}

function isOperator(token: Token, text: string): boolean {
  return token.kind === "operator" && token.text === text;
}

function describe(token: Token): string {
  switch (token.kind) {
    case "end":
      return "end of formula";
    case "number":
      return `number ${token.text}`;
    case "string":
      return `string ${token.text}`;
    case "name":
      return `name "${token.text}"`;
    case "operator":
      return `'${token.text}'`;
  }
}
