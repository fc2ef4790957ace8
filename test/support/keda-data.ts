import { readFileSync } from "node:fs";

/**
 * KEDA's scaler unit-test tables as test/conformance/keda/ holds them (see
 * test/conformance/README.md): tables, rows and variables of one KEDA test file, and the helpers
 * that read Go values as plain ones.
 */

const DATA = new URL("../conformance/keda/", import.meta.url);

/** One row: the Go struct's fields by name, plus its source line, comment and map key. */
export interface KedaRow {
  $line: number;
  $comment?: string;
  $key?: string;
  [field: string]: unknown;
}

export interface KedaTable {
  file: string;
  name: string;
  type: string;
  usedBy: string[];
  rows: KedaRow[];
}

interface KedaFile {
  file: string;
  tables: Record<string, Omit<KedaTable, "file" | "name">>;
  vars: Record<string, unknown>;
}

const files = new Map<string, KedaFile>();

function kedaFile(file: string): KedaFile {
  let loaded = files.get(file);
  if (!loaded) {
    loaded = JSON.parse(readFileSync(new URL(file, DATA), "utf8")) as KedaFile;
    files.set(file, loaded);
  }
  return loaded;
}

/** Where the vectors come from: KEDA's module version and commit. */
export const kedaSource = JSON.parse(readFileSync(new URL("SOURCE.json", DATA), "utf8")) as {
  module: string;
  version: string;
  commit: string;
};

/** A table of a KEDA test file, e.g. kedaTable("prometheus_scaler_test.json", "testPromMetadata"). */
export function kedaTable(file: string, name: string): KedaTable {
  const table = kedaFile(file).tables[name];
  if (!table) throw new Error(`${file} has no table ${name}`);
  return { file, name, ...table };
}

/** A package-level constant or variable of a KEDA test file (a resolved environment, say). */
export function kedaVar(file: string, name: string): unknown {
  const vars = kedaFile(file).vars;
  if (!(name in vars)) throw new Error(`${file} has no variable ${name}`);
  return vars[name];
}

/** A value with named constants unwrapped to their values; fails on a spot the tool left unevaluated. */
export function plain(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(plain);
  const object = value as Record<string, unknown>;
  if ("$unevaluated" in object) throw new Error(`KEDA value not evaluated: ${String(object.$unevaluated)}`);
  if ("$const" in object) return plain(object.value);
  return Object.fromEntries(Object.entries(object).map(([key, item]) => [key, plain(item)]));
}

/** A Go map[string]string field (nil is empty). */
export function stringMap(value: unknown): Record<string, string> {
  const map = plain(value ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(map).map(([key, item]) => [key, String(item)]));
}
