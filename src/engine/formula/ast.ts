/** The syntax tree of a scalingModifiers formula. `column` is 1-based, for error messages. */

export type BinaryOperator =
  "+" | "-" | "*" | "/" | "%" | "**" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "??";

export type UnaryOperator = "-" | "+" | "!";

export type FormulaNode =
  | { type: "number"; value: number; isInteger: boolean; column: number }
  | { type: "string"; value: string; column: number }
  | { type: "boolean"; value: boolean; column: number }
  | { type: "nil"; column: number }
  | { type: "variable"; name: string; column: number }
  /** `#`: the current element inside a predicate. */
  | { type: "element"; column: number }
  | { type: "unary"; operator: UnaryOperator; operand: FormulaNode; column: number }
  | { type: "binary"; operator: BinaryOperator; left: FormulaNode; right: FormulaNode; column: number }
  | {
      type: "conditional";
      condition: FormulaNode;
      whenTrue: FormulaNode;
      whenFalse: FormulaNode;
      column: number;
    }
  | { type: "array"; elements: FormulaNode[]; column: number }
  | { type: "call"; name: string; args: FormulaNode[]; column: number }
  /** `{ ... }`: a predicate body, evaluated once per element. */
  | { type: "predicate"; body: FormulaNode; column: number };
