import { describe, expect, it } from "vitest";
import type { PreparedTrigger } from "../../src/scalers/prepared-trigger.ts";
import { prepareScalerTrigger, withErrorMessages } from "./prepare-trigger.ts";

/**
 * One row of a KEDA scaler test table (pkg/scalers/<name>_scaler_test.go), ported as data: the
 * trigger's inputs and KEDA's verdict. `error` is KEDA's: true (or the name of KEDA's error) when
 * KEDA's parse fails.
 */
export interface KedaRow {
  name: string;
  metadata?: Record<string, string>;
  authParams?: Record<string, string>;
  resolvedEnv?: Record<string, string>;
  index?: number;
  /** KEDA's ScalableObjectNamespace. */
  namespace?: string;
  error: boolean | string;
  /** The metric name KEDA gives (with the s<index>- prefix). */
  metricName?: string;
  /** The metric's target KEDA gives. */
  target?: number;
  /** What KEDA parsed, in the table's own terms; `check` compares it with Tidal's parameters. */
  want?: Record<string, unknown>;
}

/** A row Tidal decides differently on purpose; listed in docs/keda-differences.md. */
export interface KedaDifference {
  /** Tidal's verdict. */
  tidalError: boolean;
  reason: string;
}

export interface KedaTable {
  /** KEDA's test function and table, e.g. "TestParseRedisClusterMetadata". */
  table: string;
  type: string;
  rows: readonly KedaRow[];
  /** Rows Tidal deliberately decides otherwise, by row name. */
  differences?: Readonly<Record<string, KedaDifference>>;
  /** Compares KEDA's parsed values (row.want) with the prepared trigger. */
  check?: (prepared: PreparedTrigger, row: KedaRow) => void;
}

/**
 * Runs every row through prepareTrigger: Tidal's verdict must be KEDA's (or the documented
 * difference's), and for accepted rows the metric and the parsed values must be KEDA's. No
 * problem message may carry the value of a secret parameter.
 */
export function runKedaTable({ table, type, rows, differences = {}, check }: KedaTable): void {
  describe(`KEDA ${table} (${type})`, () => {
    const names = rows.map((row) => row.name);
    it("has unique row names and documents only rows it has", () => {
      expect(new Set(names).size).toBe(names.length);
      for (const name of Object.keys(differences)) expect(names).toContain(name);
    });

    it.each(rows.map((row) => [row.name, row] as const))("%s", (_name, row) => {
      const prepared = withErrorMessages(
        prepareScalerTrigger(
          type,
          { ...row.metadata },
          {
            authParams: { ...row.authParams },
            resolvedEnv: { ...row.resolvedEnv },
            index: row.index ?? 0,
            ...(row.namespace ? { namespace: row.namespace } : {}),
          },
        ),
      );
      const difference = differences[row.name];
      const expectError = difference ? difference.tidalError : Boolean(row.error);
      expect(prepared.errors.length > 0, `errors: ${prepared.errors.join("; ")}`).toBe(expectError);
      for (const secret of secretsOf(prepared, row)) {
        for (const problem of prepared.problems) expect(problem.message).not.toContain(secret);
      }
      if (expectError) return;
      if (row.metricName !== undefined) expect(prepared.metricSpec?.metricName).toBe(row.metricName);
      if (row.target !== undefined) expect(prepared.metricSpec?.target).toBe(row.target);
      if (row.want && check) check(prepared, row);
    });
  });
}

/** The row's values of parameters the scaler declares secret (long enough to be told apart). */
function secretsOf(prepared: PreparedTrigger, row: KedaRow): string[] {
  const params = prepared.definition?.params ?? {};
  const secretKeys = new Set(
    Object.entries(params)
      .filter(([, declaration]) => declaration.secret)
      .flatMap(([name, declaration]) => [name, ...(declaration.aliases ?? [])]),
  );
  const inputs = { ...row.authParams, ...row.metadata };
  return Object.entries(inputs)
    .filter(([key, value]) => secretKeys.has(key) && value.length >= 3)
    .map(([, value]) => value);
}
