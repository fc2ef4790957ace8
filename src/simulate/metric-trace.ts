/**
 * A metric trace: per trigger, a value (or "error") from each row's time until the next row.
 * Before the first row the first row's values apply; triggers without a column read 0.
 */
import type { TriggerMetricSpec, TriggerSample } from "../engine/types.ts";
import { TidalError } from "../util/errors.ts";

export type TraceCell = number | "error";

export interface MetricTrace {
  /** Each a trigger name, `s0`, `s1`, … (trigger index) or a full metric name. */
  columns: string[];
  rows: { t: number; cells: TraceCell[] }[];
}

export interface TraceReader {
  /** The samples every trigger reports at time t (seconds). */
  samplesAt(t: number): TriggerSample[];
  /** The trace's own values at time t, by column (null for "error"). */
  valuesAt(t: number): Record<string, number | null>;
}

export function readMetricTrace(trace: MetricTrace, metricSpecs: readonly TriggerMetricSpec[]): TraceReader {
  const columnOfSpec = metricSpecs.map((spec) =>
    trace.columns.findIndex((column) => matchesColumn(spec, column)),
  );
  trace.columns.forEach((column) => {
    if (!metricSpecs.some((spec) => matchesColumn(spec, column))) {
      const known = metricSpecs.map((spec) => spec.name || `s${spec.index}`).join(", ");
      throw new TidalError(
        "TIDAL_E_SIMULATE_TRACE",
        `trace column "${column}" matches no trigger; triggers: ${known}`,
      );
    }
  });
  const rows = [...trace.rows].sort((a, b) => a.t - b.t);
  rows.forEach((row) => {
    if (row.cells.length !== trace.columns.length) {
      throw new TidalError(
        "TIDAL_E_SIMULATE_TRACE",
        `trace row at t=${row.t} has ${row.cells.length} values for ${trace.columns.length} columns`,
      );
    }
  });
  const rowAt = (t: number) => rows.findLast((row) => row.t <= t) ?? rows[0];
  return {
    samplesAt(t) {
      const row = rowAt(t);
      return metricSpecs.map((spec, index) => {
        const cell = row?.cells[columnOfSpec[index] ?? -1] ?? 0;
        return cell === "error"
          ? { metricName: spec.metricName, error: `the trace marks ${spec.metricName} as failing at t=${t}` }
          : { metricName: spec.metricName, value: cell };
      });
    },
    valuesAt(t) {
      const row = rowAt(t);
      return Object.fromEntries(
        trace.columns.map((column, index) => {
          const cell = row?.cells[index] ?? 0;
          return [column, cell === "error" ? null : cell];
        }),
      );
    },
  };
}

function matchesColumn(spec: TriggerMetricSpec, column: string): boolean {
  return (
    column === spec.metricName || column === `s${spec.index}` || (spec.name !== "" && column === spec.name)
  );
}
