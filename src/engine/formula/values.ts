/**
 * Runtime values of a formula. expr-lang keeps ints and floats apart (`%` takes only ints, `/` always
 * gives a float), so numbers carry their kind.
 */
import { formulaError } from "./errors.ts";

export interface NumberValue {
  readonly kind: "int" | "float";
  readonly value: number;
}

export type Value = null | boolean | string | NumberValue | readonly Value[];

export const int = (value: number): NumberValue => ({ kind: "int", value: Math.trunc(value) });
export const float = (value: number): NumberValue => ({ kind: "float", value });

export function isNumber(value: Value): value is NumberValue {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function typeName(value: Value): string {
  if (value === null) return "nil";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "string") return "string";
  if (Array.isArray(value)) return "array";
  return (value as NumberValue).kind;
}

export function expectNumber(value: Value, what: string): NumberValue {
  if (isNumber(value)) return value;
  throw formulaError("type", `${what} needs a number, got ${describeValue(value)}`);
}

export function expectBoolean(value: Value, what: string): boolean {
  if (typeof value === "boolean") return value;
  throw formulaError("type", `${what} needs a bool, got ${describeValue(value)}`);
}

export function expectArray(value: Value, what: string): readonly Value[] {
  if (Array.isArray(value)) return value;
  throw formulaError("type", `${what} needs an array, got ${describeValue(value)}`);
}

export function describeValue(value: Value): string {
  if (value === null) return "nil";
  if (isNumber(value)) return `${value.kind} ${value.value}`;
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  if (typeof value === "boolean") return `bool ${value}`;
  return `array of ${value.length}`;
}

/** expr-lang `==`: numbers compare by value across int/float, everything else by type and content. */
export function valuesEqual(left: Value, right: Value): boolean {
  if (isNumber(left) && isNumber(right)) return left.value === right.value;
  if (Array.isArray(left) && Array.isArray(right)) {
    return (
      left.length === right.length && left.every((item, index) => valuesEqual(item, right[index] ?? null))
    );
  }
  return left === right;
}
