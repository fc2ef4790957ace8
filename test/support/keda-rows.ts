/**
 * Runs rows of KEDA's scaler test tables (pkg/scalers/<name>_scaler_test.go) through Tidal's
 * trigger preparation: each row gives the metadata, authentication parameters and environment
 * KEDA's test gives, and KEDA's verdict. Tidal must reach the same verdict, and on success the
 * facts KEDA checks (metric name, parsed values). A row where Tidal deliberately differs is listed
 * by its line with the reason (see docs/keda-differences.md); the test then asserts Tidal's verdict.
 * Every row also checks that no secret of the row appears in a problem message.
 */
import { describe, expect, it } from "vitest";
import { findScaler } from "../../src/scalers/registry.ts";
import { prepareScalerTrigger } from "./prepare-trigger.ts";

export interface KedaRow {
  /** Line of the row in KEDA's test file. */
  line: number;
  name?: string;
  metadata: Record<string, string>;
  authParams?: Record<string, string>;
  resolvedEnv?: Record<string, string>;
  index?: number;
  asMetricSource?: boolean;
  isError: boolean;
  /** The metric name KEDA expects (with the s<index>- prefix). */
  metricName?: string;
  /** Parsed values KEDA checks, in Tidal's parameter names. */
  params?: Record<string, unknown>;
}

export interface KedaDifference {
  /** Tidal's verdict for the row. */
  tidalError: boolean;
  reason: string;
}

/** One describe block per KEDA table; one test per row. */
export function kedaParseTable(
  type: string,
  table: string,
  rows: readonly KedaRow[],
  differences: Readonly<Record<number, KedaDifference>> = {},
): void {
  const definition = findScaler(type);
  const lines = new Set(rows.map((row) => row.line));
  describe(`KEDA's ${table} (${type})`, () => {
    it("lists differences only for rows of the table", () => {
      expect(Object.keys(differences).filter((line) => !lines.has(Number(line)))).toEqual([]);
    });
    it.each(rows.map((row) => [`line ${row.line}${row.name ? `: ${row.name}` : ""}`, row] as const))(
      "%s",
      (_label, row) => {
        const prepared = prepareScalerTrigger(type, row.metadata, {
          index: row.index ?? 0,
          authParams: row.authParams ?? {},
          resolvedEnv: row.resolvedEnv ?? {},
          asMetricSource: row.asMetricSource ?? false,
        });
        const errors = prepared.problems.filter((problem) => problem.severity === "error");
        const expected = differences[row.line]?.tidalError ?? row.isError;
        const shown = errors.map((problem) => `${problem.key}: ${problem.message}`).join("; ");
        expect(errors.length > 0, shown || "no errors").toBe(expected);
        if (!expected) {
          if (row.metricName !== undefined) expect(prepared.metricSpec?.metricName).toBe(row.metricName);
          if (row.params !== undefined) expect(prepared.params).toMatchObject(row.params);
        }
        const secrets = Object.entries({ ...row.metadata, ...row.authParams })
          .filter(([key, value]) => definition?.params[key]?.secret && value.length >= 3)
          .map(([, value]) => value);
        for (const problem of prepared.problems) {
          for (const secret of secrets) expect(problem.message).not.toContain(secret);
        }
      },
    );
  });
}
