/**
 * renderSvg: a simulation as a self-contained SVG chart. Replicas are a step line on the left axis,
 * each chosen metric a line on the right axis; time runs along the bottom in seconds.
 */
import type { SimulationStep } from "./simulate.ts";

export interface SvgOptions {
  /** Keys of the steps' `metrics` to plot. */
  metricColumns: string[];
  /** The end of the time axis (default: the last step). */
  durationSeconds?: number;
  title?: string;
}

const WIDTH = 960;
const HEIGHT = 440;
const MARGIN = { top: 56, right: 72, bottom: 48, left: 64 };
const PLOT = { width: WIDTH - MARGIN.left - MARGIN.right, height: HEIGHT - MARGIN.top - MARGIN.bottom };
const REPLICA_COLOR = "#1f4e99";
const METRIC_COLORS = ["#d9730d", "#2e9e5b", "#b83280", "#6b46c1", "#c53030"];

export function renderSvg(result: { steps: readonly SimulationStep[] }, options: SvgOptions): string {
  const { steps } = result;
  const duration = options.durationSeconds ?? Math.max(1, ...steps.map((step) => step.t));
  const replicaAxis = niceAxis(Math.max(1, ...steps.map((step) => step.replicas)));
  const metricValues = steps.flatMap((step) =>
    options.metricColumns.map((column) => step.metrics[column] ?? 0),
  );
  const metricAxis = niceAxis(Math.max(1, ...metricValues));
  const timeAxis = niceAxis(duration);
  const x = (t: number) => MARGIN.left + (Math.min(t, duration) / duration) * PLOT.width;
  const yLeft = (value: number) => MARGIN.top + PLOT.height - (value / replicaAxis.max) * PLOT.height;
  const yRight = (value: number) => MARGIN.top + PLOT.height - (value / metricAxis.max) * PLOT.height;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="24" font-size="16" font-weight="600" fill="#1a202c">${escape(options.title ?? "Replicas and metrics over time")}</text>`,
  ];
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
      `<line x1="${px}" x2="${px}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT.height}" stroke="#edf2f7"/>`,
      `<text x="${px}" y="${MARGIN.top + PLOT.height + 18}" text-anchor="middle" fill="#4a5568">${formatTick(tick)}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${PLOT.width}" height="${PLOT.height}" fill="none" stroke="#a0aec0"/>`,
    `<text x="${MARGIN.left + PLOT.width / 2}" y="${HEIGHT - 8}" text-anchor="middle" fill="#4a5568">time (s)</text>`,
    `<text transform="translate(18 ${MARGIN.top + PLOT.height / 2}) rotate(-90)" text-anchor="middle" fill="${REPLICA_COLOR}">replicas</text>`,
    `<text transform="translate(${WIDTH - 14} ${MARGIN.top + PLOT.height / 2}) rotate(90)" text-anchor="middle" fill="#4a5568">metric value</text>`,
  );

  options.metricColumns.forEach((column, index) => {
    const color = METRIC_COLORS[index % METRIC_COLORS.length] ?? "#000000";
    const points = steps.map((step) => ({ t: step.t, value: step.metrics[column] ?? null }));
    parts.push(stepPath(points, duration, x, yRight, color, 1.5, dashOf(column)));
  });
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

  const legend = [
    { label: "replicas", color: REPLICA_COLOR, dash: "" },
    ...options.metricColumns.map((column, index) => ({
      label: steps.some((step) => step.metrics[column] === null) ? `${column} (gaps: failing)` : column,
      color: METRIC_COLORS[index % METRIC_COLORS.length] ?? "#000000",
      dash: dashOf(column),
    })),
  ];
  legend.forEach((entry, index) => {
    const lx = MARGIN.left + index * 170;
    parts.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="42" y2="42" stroke="${entry.color}" stroke-width="2.5"${entry.dash ? ` stroke-dasharray="${entry.dash}"` : ""}/>`,
      `<text x="${lx + 30}" y="46" fill="#1a202c">${escape(entry.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
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
  return `<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="${width}"${dashAttribute}/>`;
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
