/** Splits a formula into tokens, remembering the column where each starts. */
import { formulaError } from "./errors.ts";

export type Token =
  | { kind: "number"; text: string; value: number; isInteger: boolean; column: number }
  | { kind: "string"; text: string; value: string; column: number }
  | { kind: "name"; text: string; column: number }
  | { kind: "operator"; text: string; column: number }
  | { kind: "end"; text: ""; column: number };

// Longest first, so `**` wins over `*` and `??` over `?`.
const OPERATORS = [
  "**",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "??",
  "+",
  "-",
  "*",
  "/",
  "%",
  "^",
  "<",
  ">",
  "!",
  "?",
  ":",
  "(",
  ")",
  "[",
  "]",
  "{",
  "}",
  ",",
  "#",
];

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'" };

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < source.length) {
    const char = source[position] ?? "";
    const column = position + 1;
    if (/\s/.test(char)) {
      position++;
    } else if (/[0-9]/.test(char)) {
      const match = /^[0-9][0-9_]*(\.[0-9][0-9_]*)?([eE][+-]?[0-9]+)?/.exec(source.slice(position));
      const text = match?.[0] ?? char;
      const isInteger = match?.[1] === undefined && match?.[2] === undefined;
      tokens.push({ kind: "number", text, value: Number(text.replaceAll("_", "")), isInteger, column });
      position += text.length;
    } else if (/[A-Za-z_$]/.test(char)) {
      const text = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(position))?.[0] ?? char;
      tokens.push({ kind: "name", text, column });
      position += text.length;
    } else if (char === '"' || char === "'") {
      const { value, end } = readString(source, position);
      tokens.push({ kind: "string", text: source.slice(position, end), value, column });
      position = end;
    } else {
      const operator = OPERATORS.find((candidate) => source.startsWith(candidate, position));
      if (!operator)
        throw formulaError("syntax", `unexpected character '${char}' at column ${column}`, column);
      tokens.push({ kind: "operator", text: operator, column });
      position += operator.length;
    }
  }
  tokens.push({ kind: "end", text: "", column: source.length + 1 });
  return tokens;
}

function readString(source: string, start: number): { value: string; end: number } {
  const quote = source[start];
  let value = "";
  let position = start + 1;
  while (position < source.length) {
    const char = source[position] ?? "";
    if (char === quote) return { value, end: position + 1 };
    if (char === "\\") {
      const escaped = source[position + 1] ?? "";
      value += ESCAPES[escaped] ?? escaped;
      position += 2;
    } else {
      value += char;
      position++;
    }
  }
  throw formulaError("syntax", `string starting at column ${start + 1} is not closed`, start + 1);
}
