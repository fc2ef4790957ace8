import type { z } from "zod";
import { didYouMean } from "../util/did-you-mean.ts";

/** `spec.triggers[0].metadata` from a zod path. */
export function formatPath(path: readonly PropertyKey[]): string {
  let result = "";
  for (const part of path) {
    if (typeof part === "number") result += `[${part}]`;
    else result += result === "" ? String(part) : `.${String(part)}`;
  }
  return result;
}

/**
 * Fields whose values may be secrets (Secret and ConfigMap data, environment values, trigger
 * metadata, a secret store's credential): messages about them say what type was written, never
 * the value.
 */
function mayHoldSecret(path: readonly PropertyKey[]): boolean {
  return (
    path.some(
      (part) =>
        part === "data" ||
        part === "stringData" ||
        part === "env" ||
        part === "metadata" ||
        part === "credential",
    ) && !(path.length >= 1 && path[0] === "metadata")
  );
}

function describe(value: unknown, concealed = false): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (concealed)
    return Array.isArray(value) ? "a list" : `a${typeof value === "object" ? "n" : ""} ${typeof value}`;
  if (typeof value === "string")
    return `"${value.length > 40 ? `${value.slice(0, 37)}...` : value}" (a string)`;
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${String(value)} (a ${typeof value})`;
}

/** The value at `path` in `root`, for messages that show what was written. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const part of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

const TYPE_NAMES: Record<string, string> = {
  number: "a number",
  int: "an integer",
  string: "a string",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  record: "a map",
};

/** Known field names of the object schema at `path`, for did-you-mean hints. */
export function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  const unwrap = () => {
    for (;;) {
      const def = (
        current as { _zod?: { def?: { type?: string; innerType?: unknown; in?: unknown } } } | undefined
      )?._zod?.def;
      if (
        def?.type === "optional" ||
        def?.type === "default" ||
        def?.type === "nullable" ||
        def?.type === "prefault"
      ) {
        current = def.innerType;
      } else if (def?.type === "pipe") {
        current = def.in;
      } else
        return def as
          | { type?: string; shape?: Record<string, unknown>; element?: unknown; valueType?: unknown }
          | undefined;
    }
  };
  for (const part of path) {
    const def = unwrap();
    if (def?.type === "object" && typeof part === "string") current = def.shape?.[part];
    else if (def?.type === "array") current = def.element;
    else if (def?.type === "record") current = def.valueType;
    else return [];
  }
  const def = unwrap();
  return def?.type === "object" ? Object.keys(def.shape ?? {}) : [];
}

export interface FieldProblem {
  path: string;
  message: string;
}

/** Turns zod issues into messages naming the field, what was expected and what was written. */
export function describeIssues(
  schema: z.ZodType,
  input: unknown,
  issues: readonly z.core.$ZodIssue[],
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of issues) {
    const concealed = mayHoldSecret(issue.path);
    const raw = valueAt(input, issue.path);
    const written = concealed ? undefined : raw;
    const shown = describe(raw, concealed);
    const path = formatPath(issue.path);
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          problems.push({
            path: formatPath([...issue.path, key]),
            message: `unknown field "${key}"${didYouMean(key, fieldsAt(schema, issue.path))}`,
          });
        }
        break;
      case "invalid_type": {
        if (raw === undefined) {
          problems.push({ path, message: "required field is missing" });
          break;
        }
        const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
        const quotedNumber =
          typeof written === "string" &&
          issue.expected === "number" &&
          written.trim() !== "" &&
          Number.isFinite(Number(written));
        const unquoted = issue.expected === "string" && (typeof raw === "number" || typeof raw === "boolean");
        problems.push({
          path,
          message: `expected ${expected}, got ${shown}${quotedNumber ? "; write it without quotes" : ""}${unquoted ? "; put it in quotes" : ""}`,
        });
        break;
      }
      case "too_small":
        if (issue.origin === "array")
          problems.push({
            path,
            message: `must have at least ${issue.minimum} item${issue.minimum === 1 ? "" : "s"}`,
          });
        else if (issue.origin === "string") problems.push({ path, message: "must not be empty" });
        else
          problems.push({
            path,
            message: `must be ${issue.inclusive ? "≥" : ">"} ${issue.minimum}${concealed ? "" : ` (got ${String(raw)})`}`,
          });
        break;
      case "too_big":
        if (issue.origin === "string")
          problems.push({ path, message: `must be at most ${issue.maximum} characters` });
        else
          problems.push({
            path,
            message: `must be ${issue.inclusive ? "≤" : "<"} ${issue.maximum}${concealed ? "" : ` (got ${String(raw)})`}`,
          });
        break;
      case "invalid_value":
        problems.push({
          path,
          message: `must be ${issue.values.length === 1 ? "" : "one of "}${issue.values.map((value) => JSON.stringify(value)).join(", ")}, got ${shown}`,
        });
        break;
      case "not_multiple_of":
        problems.push({ path, message: `must be an integer, got ${shown}` });
        break;
      case "invalid_union":
        problems.push({ path, message: `has an unexpected type: ${shown}` });
        break;
      default:
        problems.push({ path, message: issue.message });
    }
  }
  return problems;
}

/**
 * An object read from the cluster, parsed by `schema` as `kind` (its status is the operator's to
 * write, not the schema's to check), or one line naming every field that does not fit.
 */
export function parseClusterObject<T extends z.ZodType>(
  schema: T,
  raw: object,
  apiVersion: string,
  kind: string,
): { data: z.output<T> } | { error: string } {
  const parsed = schema.safeParse({ ...raw, apiVersion, kind, status: undefined });
  if (parsed.success) return { data: parsed.data };
  return {
    error: describeIssues(schema, raw, parsed.error.issues)
      .map((problem) => `${problem.path}: ${problem.message}`)
      .join("; "),
  };
}
