/**
 * renderSvg: a simulation as a self-contained SVG chart. Replicas are a step line on the left axis,
 * with what the metrics alone asked for (before stabilization, rate limits and min/max) as a thin
 * line and minReplicaCount/maxReplicaCount as rules; each chosen metric is a line on the right
 * axis, its legend naming its target; stretches in which a rule held the replicas (the HPA's
 * stabilization window, KEDA's cooldown) are shaded and labelled. Time runs along the bottom in
 * seconds.
 */
import { type Hold, holdLabel } from "./holds.ts";
import type { SimulationStep } from "./simulate.ts";

export interface SvgOptions {
  /** Keys of the steps' `metrics` to plot. */
  metricColumns: string[];
  /** The end of the time axis (default: the last step). */
  durationSeconds?: number;
  title?: string;
  /** minReplicaCount and maxReplicaCount, drawn as rules on the replica axis. */
  minReplicas?: number;
  maxReplicas?: number;
  /** Stretches a rule held the replicas (replicaHolds), shaded. */
  holds?: readonly Hold[];
  /** Words the legend adds after a metric column, e.g. its target. */
  labels?: Readonly<Record<string, string>>;
}

const WIDTH = 960;
const MARGIN = { top: 56, right: 72, bottom: 48, left: 64 };
const PLOT = { width: WIDTH - MARGIN.left - MARGIN.right, height: 336 };
const REPLICA_COLOR = "#1f4e99";
const ASKED_COLOR = "#63b3ed";
const LIMIT_COLOR = "#718096";
const METRIC_COLORS = ["#d9730d", "#2e9e5b", "#b83280", "#6b46c1", "#c53030"];
const HOLD_COLORS: Record<Hold["rule"], string> = {
  stabilization: "#805ad5",
  cooldown: "#3182ce",
  "initial-cooldown": "#319795",
  "scale-down-limit": "#d69e2e",
  "metric-error": "#e53e3e",
};
const LEGEND_ROW = 18;

export function renderSvg(result: { steps: readonly SimulationStep[] }, options: SvgOptions): string {
  const { steps } = result;
  const duration = options.durationSeconds ?? Math.max(1, ...steps.map((step) => step.t));
  const asked = askedLine(steps);
  const peak = Math.max(
    1,
    ...steps.map((step) => step.replicas),
    ...asked.flatMap((point) => point.value ?? 0),
  );
  // The max rule widens the axis only when it is near the peak; far above, the legend names it.
  const maxShown = options.maxReplicas !== undefined && options.maxReplicas <= peak * 2;
  const replicaAxis = niceAxis(
    Math.max(peak, maxShown ? (options.maxReplicas as number) : 0, options.minReplicas ?? 0),
  );
  const metricValues = steps.flatMap((step) =>
    options.metricColumns.map((column) => step.metrics[column] ?? 0),
  );
  const metricAxis = niceAxis(Math.max(1, ...metricValues));
  const timeAxis = niceAxis(duration);
  const holds = options.holds ?? [];

  const legend = legendEntries(steps, options, asked.length > 0, maxShown, holds);
  const legendRows = layoutLegend(legend);
  const top = MARGIN.top + (legendRows.length - 1) * LEGEND_ROW;
  const height = top + PLOT.height + MARGIN.bottom;
  const x = (t: number) => MARGIN.left + (Math.min(t, duration) / duration) * PLOT.width;
  const yLeft = (value: number) => top + PLOT.height - (value / replicaAxis.max) * PLOT.height;
  const yRight = (value: number) => top + PLOT.height - (value / metricAxis.max) * PLOT.height;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="16" font-weight="600" fill="#1a202c">${escape(options.title ?? "Replicas and metrics over time")}</text>`,
  ];
  // Holds first, under everything: a band per hold, its label in a strip at the top of the plot.
  const ruleRows = [...new Set(holds.map((hold) => hold.rule))];
  for (const hold of holds) {
    const [from, to] = [round(x(hold.from)), round(x(hold.to))];
    const color = HOLD_COLORS[hold.rule];
    const row = ruleRows.indexOf(hold.rule);
    parts.push(
      `<rect x="${from}" y="${top}" width="${round(to - from)}" height="${PLOT.height}" fill="${color}" fill-opacity="0.08"/>`,
      `<rect x="${from}" y="${top + row * 14}" width="${round(to - from)}" height="12" fill="${color}" fill-opacity="0.35"/>`,
    );
  }
  // The rule's name once per run of back-to-back holds, where it fits (about 5.5 px a character);
  // the legend says more.
  for (const span of holdSpans(holds)) {
    const [from, to] = [round(x(span.from)), round(x(span.to))];
    if (to - from < span.rule.length * 5.5 + 8) continue;
    const row = ruleRows.indexOf(span.rule);
    parts.push(
      `<text x="${from + 3}" y="${top + row * 14 + 10}" font-size="10" fill="#1a202c">${escape(span.rule)}</text>`,
    );
  }
  for (const tick of replicaAxis.ticks) {
    const y = round(yLeft(tick));
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT.width}" y1="${y}" y2="${y}" stroke="#e2e8f0"/>`,
      `<text x="${MARGIN.left - 8}" y="${y + 4}" text-anchor="end" fill="${REPLICA_COLOR}">${tick}</text>`,
    );
  }
  for (const tick of metricAxis.ticks) {
    const y = round(yRight(tick));
    parts.push(
      `<text x="${MARGIN.left + PLOT.width + 8}" y="${y + 4}" fill="#4a5568">${formatTick(tick)}</text>`,
    );
  }
  for (const tick of timeAxis.ticks.filter((tick) => tick <= duration)) {
    const px = round(x(tick));
    parts.push(
      `<line x1="${px}" x2="${px}" y1="${top}" y2="${top + PLOT.height}" stroke="#edf2f7"/>`,
      `<text x="${px}" y="${top + PLOT.height + 18}" text-anchor="middle" fill="#4a5568">${formatTick(tick)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${top}" width="${PLOT.width}" height="${PLOT.height}" fill="none" stroke="#a0aec0"/>`,
    `<text x="${MARGIN.left + PLOT.width / 2}" y="${height - 8}" text-anchor="middle" fill="#4a5568">time (s)</text>`,
    `<text transform="translate(18 ${top + PLOT.height / 2}) rotate(-90)" text-anchor="middle" fill="${REPLICA_COLOR}">replicas</text>`,
    `<text transform="translate(${WIDTH - 14} ${top + PLOT.height / 2}) rotate(90)" text-anchor="middle" fill="#4a5568">metric value</text>`,
  );
  const rule = (value: number, label: string) => {
    const y = round(yLeft(value));
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + PLOT.width}" y1="${y}" y2="${y}" stroke="${LIMIT_COLOR}" stroke-width="1" stroke-dasharray="8 4"/>`,
      `<text x="${MARGIN.left + PLOT.width - 4}" y="${y - 4}" text-anchor="end" font-size="10" fill="${LIMIT_COLOR}">${label}</text>`,
    );
  };
  if (options.minReplicas !== undefined && options.minReplicas > 0)
    rule(options.minReplicas, `min ${options.minReplicas}`);
  if (maxShown) rule(options.maxReplicas as number, `max ${options.maxReplicas}`);

  options.metricColumns.forEach((column, index) => {
    const color = METRIC_COLORS[index % METRIC_COLORS.length] ?? "#000000";
    const points = steps.map((step) => ({ t: step.t, value: step.metrics[column] ?? null }));
    parts.push(stepPath(points, duration, x, yRight, color, 1.5, dashOf(column)));
  });
  if (asked.length > 0) parts.push(stepPath(asked, duration, x, yLeft, ASKED_COLOR, 4, "", 0.7));
  parts.push(
    stepPath(
      steps.map((step) => ({ t: step.t, value: step.replicas })),
      duration,
      x,
      yLeft,
      REPLICA_COLOR,
      2.5,
    ),
  );

  legendRows.forEach((row, rowIndex) => {
    const y = 42 + rowIndex * LEGEND_ROW;
    for (const entry of row) {
      const lx = MARGIN.left + entry.x;
      parts.push(
        entry.band
          ? `<rect x="${lx}" y="${y - 6}" width="24" height="12" fill="${entry.color}" fill-opacity="0.35"/>`
          : `<line x1="${lx}" x2="${lx + 24}" y1="${y}" y2="${y}" stroke="${entry.color}" stroke-width="2.5"${entry.dash ? ` stroke-dasharray="${entry.dash}"` : ""}/>`,
        `<text x="${lx + 30}" y="${y + 4}" fill="#1a202c">${escape(entry.label)}</text>`,
      );
    }
  });
  parts.push("</svg>");
  return parts.join("\n");
}

/** Holds of one rule that follow each other without a gap, as one span per run. */
function holdSpans(holds: readonly Hold[]): Pick<Hold, "rule" | "from" | "to">[] {
  const spans: Pick<Hold, "rule" | "from" | "to">[] = [];
  for (const hold of [...holds].sort((a, b) => a.from - b.from)) {
    const last = spans.findLast((span) => span.rule === hold.rule);
    if (last !== undefined && hold.from <= last.to) last.to = Math.max(last.to, hold.to);
    else spans.push({ rule: hold.rule, from: hold.from, to: hold.to });
  }
  return spans;
}

interface LegendEntry {
  label: string;
  color: string;
  dash: string;
  band?: boolean;
}

function legendEntries(
  steps: readonly SimulationStep[],
  options: SvgOptions,
  asked: boolean,
  maxShown: boolean,
  holds: readonly Hold[],
): LegendEntry[] {
  const limits = [
    ...(options.minReplicas !== undefined ? [`min ${options.minReplicas}`] : []),
    ...(options.maxReplicas !== undefined
      ? [`max ${options.maxReplicas}${maxShown ? "" : " (off the chart)"}`]
      : []),
  ];
  return [
    { label: "replicas", color: REPLICA_COLOR, dash: "" },
    ...(asked ? [{ label: "metrics ask for", color: ASKED_COLOR, dash: "" }] : []),
    ...(limits.length > 0 ? [{ label: limits.join(", "), color: LIMIT_COLOR, dash: "8 4" }] : []),
    ...options.metricColumns.map((column, index) => {
      const notes = [
        ...(options.labels?.[column] ? [options.labels[column]] : []),
        ...(steps.some((step) => step.metrics[column] === null) ? ["gaps: failing"] : []),
      ];
      return {
        label: notes.length > 0 ? `${column} (${notes.join("; ")})` : column,
        color: METRIC_COLORS[index % METRIC_COLORS.length] ?? "#000000",
        dash: dashOf(column),
      };
    }),
    ...[...new Map(holds.map((hold) => [holdLabel(hold), hold])).entries()].map(([label, hold]) => ({
      label: `held: ${label}`,
      color: HOLD_COLORS[hold.rule],
      dash: "",
      band: true,
    })),
  ];
}

/** Legend entries in rows that fit the width; each entry's x within its row. */
function layoutLegend(entries: readonly LegendEntry[]): (LegendEntry & { x: number })[][] {
  const rows: (LegendEntry & { x: number })[][] = [[]];
  let x = 0;
  for (const entry of entries) {
    const width = Math.max(170, 30 + entry.label.length * 6.6 + 16);
    if (x > 0 && x + width > PLOT.width) {
      rows.push([]);
      x = 0;
    }
    rows.at(-1)?.push({ ...entry, x });
    x += width;
  }
  return rows;
}

/** What the metrics asked for at each HPA sync (or direct poll), held until the next one. */
function askedLine(steps: readonly SimulationStep[]): { t: number; value: number | null }[] {
  const points = steps.flatMap((step) =>
    step.recommended === undefined ? [] : [{ t: step.t, value: step.recommended as number | null }],
  );
  if (points.length === 0) return [];
  return points;
}

/** Measured metrics are dashed; a forecast (`NAME forecast`: what the trigger served) is dotted. */
function dashOf(column: string): string {
  return column.endsWith(" forecast") ? "1.5 2.5" : "4 3";
}

/** A value that holds from each point until the next; null (a failing metric) leaves a gap. */
function stepPath(
  points: readonly { t: number; value: number | null }[],
  duration: number,
  x: (t: number) => number,
  y: (value: number) => number,
  color: string,
  width: number,
  dash = "",
  opacity = 1,
): string {
  let d = "";
  points.forEach((point, index) => {
    if (point.value === null) return;
    const end = points[index + 1]?.t ?? duration;
    const startX = round(x(point.t));
    const level = round(y(point.value));
    const previous = points[index - 1];
    d += previous && previous.value !== null ? ` V${level}` : ` M${startX} ${level}`;
    d += ` H${round(x(end))}`;
  });
  const dashAttribute = dash ? ` stroke-dasharray="${dash}"` : "";
  const opacityAttribute = opacity === 1 ? "" : ` stroke-opacity="${opacity}"`;
  return `<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="${width}"${dashAttribute}${opacityAttribute}/>`;
}

/** An axis from 0 with 1-2-5 steps and about five ticks. */
function niceAxis(maximum: number): { max: number; ticks: number[] } {
  const rough = maximum / 5;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((factor) => factor * magnitude >= rough) ?? 10) * magnitude;
  const max = Math.ceil(maximum / step) * step;
  return {
    max,
    ticks: Array.from({ length: Math.round(max / step) + 1 }, (_, index) => round(index * step)),
  };
}

const round = (value: number) => Math.round(value * 100) / 100;

function formatTick(value: number): string {
  return Math.abs(value) >= 10_000 ? `${round(value / 1000)}k` : String(value);
}

function escape(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}
