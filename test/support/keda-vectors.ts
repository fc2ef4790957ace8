import { describe, expect, it } from "vitest";
import type { ScaleTrigger } from "../../src/api/schema/trigger.ts";
import type { PodIdentity } from "../../src/api/schema/trigger-authentication.ts";
import { prepareTrigger, type PreparedTrigger } from "../../src/scalers/prepared-trigger.ts";
import { findScaler } from "../../src/scalers/registry.ts";
import { kedaSource, kedaTable, stringMap, type KedaRow, type KedaTable } from "./keda-data.ts";

export * from "./keda-data.ts";

/**
 * KEDA's scaler unit-test tables (test/conformance/keda/, see test/conformance/README.md) as
 * vectors for Tidal's scalers: load a table, turn each row into a trigger, prepare it with Tidal's
 * real parsing, and compare with KEDA's verdict. Rows where Tidal deliberately differs are listed
 * by the scaler's test with a reason; they still run and assert Tidal's own verdict.
 */

/**
 * KEDA_VECTORS_STRICT=1 holds every row to KEDA's verdict, listed differences included (they then
 * fail): the count of failures is the count of rows where Tidal and KEDA disagree.
 */
const STRICT = process.env.KEDA_VECTORS_STRICT === "1";

/** Where Tidal deliberately differs from a row; `docs/keda-differences.md` says why at length. */
export interface Difference {
  /** One line: what Tidal does instead and why. */
  reason: string;
  /** The section of docs/keda-differences.md, e.g. "docs/keda-differences.md#kafka". */
  doc: string;
}

/** A row whose verdict differs: Tidal's own verdict, asserted so the list cannot go stale. */
export interface VerdictDifference extends Difference {
  tidalError: boolean;
}

/** Facts about a prepared trigger that a KEDA test checks, named as Tidal exposes them. */
export interface ExpectedFacts {
  metricName?: string;
  target?: number;
  activationTarget?: number;
  /** Compared with toMatchObject against the parsed parameters. */
  params?: Record<string, unknown>;
  /** Any other comparison, for facts Tidal derives from its parameters. */
  check?: (prepared: PreparedTrigger) => void;
}

export interface VectorInputs {
  metadata: Record<string, string>;
  authParams?: Record<string, string>;
  resolvedEnv?: Record<string, string>;
  index?: number;
  metricType?: ScaleTrigger["metricType"];
  asMetricSource?: boolean;
  /** The TriggerAuthentication's podIdentity, for rows KEDA runs with one. */
  podIdentity?: PodIdentity;
}

export interface ParseVectors {
  file: string;
  table: string;
  /** Told apart in test names when one table runs more than once (KEDA runs some twice). */
  variant?: string;
  /** The trigger type the rows are prepared as, or a function of the row. */
  type: string | ((row: KedaRow) => string);
  /** The row as trigger inputs; default its metadata, authParams and resolvedEnv fields. */
  inputs?: (row: KedaRow) => VectorInputs;
  /** KEDA's verdict; default the row's isError (or raisesError). */
  kedaError?: (row: KedaRow) => boolean;
  /** What KEDA's test checks on a row that parses; undefined checks the verdict only. */
  expect?: (row: KedaRow) => ExpectedFacts | undefined;
  /** Rows where Tidal's verdict differs, by index in the table. */
  differences?: Record<number, VerdictDifference>;
  /** Rows whose facts differ (the verdict agrees): Tidal's facts instead of KEDA's, by index. */
  factDifferences?: Record<number, Difference & { tidal: ExpectedFacts }>;
}

/** A row's default inputs: the fields KEDA's tests pass as TriggerMetadata, AuthParams, ResolvedEnv. */
export function rowInputs(row: KedaRow): VectorInputs {
  return {
    metadata: stringMap(row.metadata),
    authParams: stringMap(row.authParams ?? row.authParam),
    resolvedEnv: stringMap(row.resolvedEnv),
  };
}

function defaultKedaError(row: KedaRow): boolean {
  return Boolean(row.isError ?? row.raisesError);
}

/** Prepares a row's trigger the way a ScaledObject's trigger is prepared. */
export function prepareRow(type: string, inputs: VectorInputs): PreparedTrigger {
  return prepareTrigger(
    {
      type,
      name: "",
      useCachedMetrics: false,
      metadata: inputs.metadata,
      ...(inputs.metricType ? { metricType: inputs.metricType } : {}),
    },
    inputs.index ?? 0,
    {
      authParams: inputs.authParams ?? {},
      resolvedEnv: inputs.resolvedEnv ?? {},
      ...(inputs.podIdentity ? { podIdentity: inputs.podIdentity } : {}),
    },
    { asMetricSource: inputs.asMetricSource ?? false },
  );
}

/**
 * `tidal validate` has no environment: a row with `…FromEnv` entries is prepared again with the
 * environment unresolved. Without the values, Tidal must find no error it does not find with them,
 * and must still find every error about a parameter that does not come from the environment.
 */
function expectSameChecksWithoutEnvironment(
  type: string,
  inputs: VectorInputs,
  resolved: PreparedTrigger,
): void {
  const fromEnv = parametersFromEnv(type, inputs.metadata);
  if (fromEnv.size === 0) return;
  const prepared = prepareTrigger(
    { type, name: "", useCachedMetrics: false, metadata: inputs.metadata },
    inputs.index ?? 0,
    {
      authParams: inputs.authParams ?? {},
      resolvedEnv: {},
      unresolved: new Set(["env"]),
      ...(inputs.podIdentity ? { podIdentity: inputs.podIdentity } : {}),
    },
    { asMetricSource: inputs.asMetricSource ?? false },
  );
  const keysOf = (trigger: PreparedTrigger) =>
    new Set(trigger.problems.filter((problem) => problem.severity === "error").map((problem) => problem.key));
  const withEnv = keysOf(resolved);
  const withoutEnv = keysOf(prepared);
  if (withoutEnv.size > 0)
    expect(withEnv.size, `without the environment: ${[...withoutEnv]}`).toBeGreaterThan(0);
  const independent = [...withEnv].filter((key) => !fromEnv.has(key) && !key.endsWith("FromEnv"));
  expect([...withoutEnv], "errors found without the environment").toEqual(
    expect.arrayContaining(independent),
  );
}

/** The parameters a row's metadata takes from the environment (`<key>FromEnv`, aliases included). */
function parametersFromEnv(type: string, metadata: Record<string, string>): Set<string> {
  const names = new Set<string>();
  for (const [name, param] of Object.entries(findScaler(type)?.params ?? {})) {
    if ([name, ...(param.aliases ?? [])].some((key) => metadata[`${key}FromEnv`]?.trim())) names.add(name);
  }
  return names;
}

export function errorsOf(prepared: PreparedTrigger): string[] {
  return prepared.problems.filter((problem) => problem.severity === "error").map((p) => p.message);
}

/** A row's name in test output: its index, line, and comment or key. */
export function rowLabel(index: number, row: KedaRow): string {
  const label = row.$comment ?? row.$key ?? (typeof row.name === "string" ? row.name : "");
  return `#${index} (line ${row.$line})${label ? ` ${label.split("\n")[0]}` : ""}`;
}

/** Fails when a difference names a row the table does not have. */
export function expectRowsExist(table: KedaTable, ...lists: (Record<number, unknown> | undefined)[]): void {
  for (const list of lists) {
    for (const index of Object.keys(list ?? {})) {
      expect(Number(index), `${table.name} has no row ${index}`).toBeLessThan(table.rows.length);
    }
  }
}

/** Runs a KEDA parse table: one test per row. */
export function runParseVectors(spec: ParseVectors): void {
  const table = kedaTable(spec.file, spec.table);
  const variant = spec.variant ? ` (${spec.variant})` : "";
  describe(`KEDA ${kedaSource.version} ${spec.file} ${spec.table}${variant}`, () => {
    it("lists differences only for rows that exist", () => {
      expectRowsExist(table, spec.differences, spec.factDifferences);
    });
    it.each(table.rows.map((row, index) => [rowLabel(index, row), index, row] as const))(
      "%s",
      (_label, index, row) => checkParseRow(spec, index, row),
    );
  });
}

function checkParseRow(spec: ParseVectors, index: number, row: KedaRow): void {
  const type = typeof spec.type === "function" ? spec.type(row) : spec.type;
  const inputs = (spec.inputs ?? rowInputs)(row);
  const prepared = prepareRow(type, inputs);
  const errors = errorsOf(prepared);
  const difference = STRICT ? undefined : spec.differences?.[index];
  const kedaError = (spec.kedaError ?? defaultKedaError)(row);
  const expected = difference ? difference.tidalError : kedaError;
  expect(
    errors.length > 0,
    `${type} ${JSON.stringify(inputs)}: KEDA ${kedaError ? "fails" : "accepts"}${difference ? `, Tidal differs (${difference.reason})` : ""}; Tidal's errors: ${JSON.stringify(errors)}`,
  ).toBe(expected);
  expectNoSecretInProblems(prepared, type, inputs);
  expectSameChecksWithoutEnvironment(type, inputs, prepared);
  // KEDA's facts are checked on the rows KEDA accepts; where Tidal reports an error instead (a
  // listed difference), the parsed parameters are still compared, the metric cannot be.
  const factDifference = STRICT ? undefined : spec.factDifferences?.[index];
  const facts = factDifference?.tidal ?? (kedaError ? undefined : spec.expect?.(row));
  if (facts) expectFacts(prepared, errors.length > 0 ? { params: facts.params, check: facts.check } : facts);
}

/** Compares the facts a KEDA test checks with the prepared trigger. */
export function expectFacts(prepared: PreparedTrigger, facts: ExpectedFacts): void {
  const { metricSpec } = prepared;
  if (facts.metricName !== undefined) expect(metricSpec?.metricName).toBe(facts.metricName);
  if (facts.target !== undefined) expect(metricSpec?.target).toBe(facts.target);
  if (facts.activationTarget !== undefined) expect(metricSpec?.activationTarget).toBe(facts.activationTarget);
  if (facts.params !== undefined) expect(prepared.params).toMatchObject(facts.params);
  facts.check?.(prepared);
}

const SECRET_KEY = /pass|token|secret|credential|apikey|sasl.*key/i;

/**
 * The row's secret values: what the scaler declares secret (from metadata, authentication or the
 * environment) and any value under a key that names a password, token or secret.
 */
export function secretValues(type: string, inputs: VectorInputs): string[] {
  const declared = findScaler(type)?.params ?? {};
  const secretKeys = new Set<string>();
  for (const [name, param] of Object.entries(declared)) {
    if (param.secret) for (const key of [name, ...(param.aliases ?? [])]) secretKeys.add(key);
  }
  const values: string[] = [];
  const collect = (entries: Record<string, string> | undefined, viaEnv: boolean) => {
    for (const [key, value] of Object.entries(entries ?? {})) {
      const name = viaEnv ? key.replace(/FromEnv$/, "") : key;
      // A <key>FromEnv entry holds a variable's name, not its value.
      if (viaEnv !== key.endsWith("FromEnv")) continue;
      const secret = secretKeys.has(name) || SECRET_KEY.test(name);
      const resolved = viaEnv ? inputs.resolvedEnv?.[value] : value;
      if (secret && resolved?.trim()) values.push(resolved.trim());
    }
  };
  collect(inputs.authParams, false);
  collect(inputs.metadata, false);
  collect(inputs.metadata, true);
  return values;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A secret appears in a text as itself: not as part of a longer word. */
export function containsSecret(text: string, secret: string): boolean {
  const before = /^[\p{L}\p{N}_]/u.test(secret) ? "(?<![\\p{L}\\p{N}_])" : "";
  const after = /[\p{L}\p{N}_]$/u.test(secret) ? "(?![\\p{L}\\p{N}_])" : "";
  return new RegExp(`${before}${escapeRegExp(secret)}${after}`, "u").test(text);
}

/** Redaction may mask a whole value, never part of a word (which would garble the field's name). */
const MASKED_INSIDE_WORD = /[\p{L}\p{N}]\*\*\*|\*\*\*[\p{L}\p{N}]/u;

function expectNoSecretInProblems(prepared: PreparedTrigger, type: string, inputs: VectorInputs): void {
  for (const problem of prepared.problems) {
    expect(MASKED_INSIDE_WORD.test(problem.message), `garbled by redaction: "${problem.message}"`).toBe(
      false,
    );
    for (const secret of secretValues(type, inputs)) {
      expect(containsSecret(problem.message, secret), `secret ${secret} in "${problem.message}"`).toBe(false);
    }
  }
}

/** Runs a check per row of a table whose values KEDA's test compares with a pure function. */
export function runValueVectors<D extends Difference>(
  file: string,
  tableName: string,
  differences: Record<number, D> | undefined,
  check: (row: KedaRow, index: number, difference: D | undefined) => void | Promise<void>,
): void {
  const table = kedaTable(file, tableName);
  describe(`KEDA ${kedaSource.version} ${file} ${tableName}`, () => {
    it("lists differences only for rows that exist", () => expectRowsExist(table, differences));
    it.each(table.rows.map((row, index) => [rowLabel(index, row), index, row] as const))(
      "%s",
      (_label, index, row) => check(row, index, STRICT ? undefined : differences?.[index]),
    );
  });
}
