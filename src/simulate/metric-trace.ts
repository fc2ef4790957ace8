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
  /** The trace's own values at time t, by column label (null for "error"). */
  valuesAt(t: number): Record<string, number | null>;
  /** Each column's label: the name of the trigger it feeds (its name, or s<index>). */
  labels: string[];
}

export function readMetricTrace(trace: MetricTrace, metricSpecs: readonly TriggerMetricSpec[]): TraceReader {
  const { specColumns: columnOfSpec, labels } = matchTraceColumns(trace.columns, metricSpecs);
  const rows = [...trace.rows].sort((a, b) => a.t - b.t);
  rows.forEach((row) => {
    if (row.cells.length !== trace.columns.length) {
      throw new TidalError(
        "TIDAL_E_SIMULATE_TRACE",
        `trace row at t=${row.t} has ${row.cells.length} values for ${trace.columns.length} columns`,
      );
    }
  });
  /** The last row at or before t (the first row before it starts); a binary search, for long exports. */
  const rowAt = (t: number) => {
    let [low, high] = [0, rows.length - 1];
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if ((rows[middle]?.t ?? Infinity) <= t) low = middle;
      else high = middle - 1;
    }
    return rows[low];
  };
  return {
    labels,
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
        labels.map((label, index) => {
          const cell = row?.cells[index] ?? 0;
          return [label, cell === "error" ? null : cell];
        }),
      );
    },
  };
}

/** A trigger as a person names it: its name, or s<index> when it has none. */
export const triggerLabel = (spec: TriggerMetricSpec): string => spec.name || `s${spec.index}`;

/** A Prometheus series as a column header: `name{label="value",...}` (the name may be left out). */
function seriesLabels(column: string): Map<string, string> | undefined {
  const match = /^[A-Za-z_:][\w:]*\s*\{(.*)\}$|^\{(.*)\}$/s.exec(column.trim());
  const body = match?.[1] ?? match?.[2];
  if (body === undefined) return undefined;
  const labels = new Map<string, string>();
  for (const label of body.matchAll(/([A-Za-z_]\w*)\s*=~?\s*"((?:[^"\\]|\\.)*)"/g))
    labels.set(label[1] as string, (label[2] as string).replace(/\\(.)/g, "$1"));
  return labels;
}

/**
 * The specs a column feeds, by the first rule that matches any: the trigger's name, its metric
 * name, `s<index>`, then a Prometheus series' labels as KEDA exports them
 * (keda_scaler_metrics_value{metric="s0-redis-jobs",triggerIndex="0"}; triggerName as well).
 */
function specsOfColumn(column: string, specs: readonly TriggerMetricSpec[]): number[] {
  const rules: ((spec: TriggerMetricSpec) => boolean)[] = [
    (spec) => spec.name !== "" && spec.name === column,
    (spec) => spec.metricName === column,
    (spec) => `s${spec.index}` === column,
  ];
  const labels = seriesLabels(column);
  if (labels !== undefined) {
    rules.push((spec) => {
      const metric = labels.get("metric") ?? labels.get("metricName") ?? labels.get("metric_name");
      const name = labels.get("triggerName") ?? labels.get("trigger_name") ?? labels.get("trigger");
      const index = labels.get("triggerIndex");
      if (metric === undefined && name === undefined && index === undefined) return false;
      return (
        (metric === undefined || metric === spec.metricName) &&
        (name === undefined || name === spec.name) &&
        (index === undefined || index === String(spec.index))
      );
    });
  }
  for (const rule of rules) {
    const matched = specs.flatMap((spec, index) => (rule(spec) ? [index] : []));
    if (matched.length > 0) return matched;
  }
  return [];
}

/** The names a column may take, per trigger, for messages. */
export function describeTriggerNames(specs: readonly TriggerMetricSpec[]): string {
  const byTrigger = new Map<number, TriggerMetricSpec[]>();
  for (const spec of specs) byTrigger.set(spec.index, [...(byTrigger.get(spec.index) ?? []), spec]);
  return [...byTrigger.values()]
    .map((group) => {
      const first = group[0] as TriggerMetricSpec;
      const names = [
        ...(first.name ? [first.name] : []),
        ...group.map((spec) => spec.metricName),
        `s${first.index}`,
      ];
      const unique = [...new Set(names)];
      const listed =
        unique.length === 1 ? unique[0] : `${unique.slice(0, -1).join(", ")} or ${unique.at(-1)}`;
      return `${listed} (${first.type})`;
    })
    .join("; ");
}

export interface ColumnMatch {
  /** Per metric spec, the index of its column (-1: no column, it reads 0). */
  specColumns: number[];
  /** The triggers (by label) that no column feeds. */
  unfed: string[];
  /** Per column, the label of the trigger it feeds. */
  labels: string[];
}

/** Matches each column to the triggers it feeds; a column that feeds none, or a trigger fed twice, is an error. */
export function matchTraceColumns(
  columns: readonly string[],
  specs: readonly TriggerMetricSpec[],
): ColumnMatch {
  const specColumns = specs.map(() => -1);
  const labels: string[] = [];
  columns.forEach((column, columnIndex) => {
    const fed = specsOfColumn(column, specs);
    if (fed.length === 0) {
      const hint = specs.find((spec) =>
        [spec.name, spec.metricName, `s${spec.index}`].some(
          (name) => name !== "" && name.toLowerCase() === column.toLowerCase(),
        ),
      );
      throw new TidalError(
        "TIDAL_E_SIMULATE_TRACE",
        `trace column "${column}" matches no trigger${hint ? ` (names are case-sensitive: did you mean ${hint.name || hint.metricName}?)` : ""}; name each column after a trigger's name, its metric name or s<index>: ${describeTriggerNames(specs)}`,
      );
    }
    labels.push(triggerLabel(specs[fed[0] as number] as TriggerMetricSpec));
    for (const specIndex of fed) {
      const earlier = specColumns[specIndex] as number;
      if (earlier >= 0) {
        throw new TidalError(
          "TIDAL_E_SIMULATE_TRACE",
          `trace columns "${columns[earlier]}" and "${column}" both feed trigger ${triggerLabel(specs[specIndex] as TriggerMetricSpec)}; keep one`,
        );
      }
      specColumns[specIndex] = columnIndex;
    }
  });
  const unfed = [
    ...new Set(specs.filter((_, index) => specColumns[index] === -1).map((spec) => triggerLabel(spec))),
  ];
  return { specColumns, unfed, labels };
}
