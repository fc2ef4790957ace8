/**
 * The terminal report of a simulation: a summary a person reads first (what was simulated, the
 * replica changes and why, the holds and why, the numbers), and the table of every evaluation on
 * request.
 */
import { formatNumber } from "../util/format-number.ts";
import { renderTable } from "../util/table.ts";
import { holdLabel, replicaHolds } from "./holds.ts";
import type { SimulationStep } from "./simulate.ts";
import type { ReplicaSummary } from "./summary.ts";
import type { TimeColumn } from "./time-column.ts";
import type { ScaledJobSummary } from "./scaled-job.ts";
import type { WorkloadEnd, WorkloadSummary } from "./workload.ts";

/** Changes listed in the summary before the rest are only counted. */
const MAX_CHANGES = 20;

export interface ReportInput {
  /** e.g. `ScaledObject queue-worker`. */
  title: string;
  /** How it ran: `hpa mode`, `default strategy`. */
  mode: string;
  durationSeconds: number;
  initialReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  steps: readonly SimulationStep[];
  summary: ReplicaSummary | WorkloadSummary | ScaledJobSummary;
  /** Lines about the input (the trace, its columns, its time). */
  input: string[];
  /** Things a person should know (uneven steps, held cells, triggers without a column). */
  notes: string[];
  /** The first row's wall-clock time (epoch ms), to print clock times beside seconds. */
  startMs?: number;
  end?: WorkloadEnd;
  color: boolean;
}

/** Seconds as a person reads them: 45 s, 12.5 min, 2.1 h. */
export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${formatNumber(seconds)} s`;
  if (seconds < 7200) return `${formatNumber(Math.round(seconds / 6) / 10)} min`;
  return `${formatNumber(Math.round(seconds / 360) / 10)} h`;
}

/** A wall-clock time in UTC: 2024-01-15 10:05:00 (the date only when it differs from the start). */
function clock(startMs: number, t: number, withDate: boolean): string {
  const iso = new Date(startMs + t * 1000).toISOString();
  const [date, time] = [iso.slice(0, 10), iso.slice(11, 19)];
  return withDate ? `${date} ${time}` : time;
}

/** The rule and what it said, without the "a → b replicas" the columns already show. */
const why = (step: SimulationStep) => (step.detail ? `${step.rule}: ${step.detail}` : step.reason);

function timeCells(step: { t: number }, startMs: number | undefined, multiDay: boolean): string[] {
  return startMs === undefined
    ? [formatNumber(step.t)]
    : [formatNumber(step.t), clock(startMs, step.t, multiDay)];
}

function timeHeaders(startMs: number | undefined): string[] {
  return startMs === undefined ? ["T"] : ["T", "TIME (UTC)"];
}

const spansDays = (startMs: number | undefined, duration: number) =>
  startMs !== undefined &&
  new Date(startMs).getUTCDate() !== new Date(startMs + duration * 1000).getUTCDate();

/** Every evaluation: the table `--steps` prints. */
export function renderSteps(
  steps: readonly SimulationStep[],
  options: { startMs?: number; durationSeconds: number; color: boolean },
): string {
  const multiDay = spansDays(options.startMs, options.durationSeconds);
  const ready = steps.some((step) => "ready" in step);
  return renderTable(
    [
      ...timeHeaders(options.startMs),
      "KIND",
      "REPLICAS",
      ...(ready ? ["READY"] : []),
      "DESIRED",
      "ACTIVE",
      "FALLBACK",
      "WHY",
    ],
    steps.map((step) => [
      ...timeCells(step, options.startMs, multiDay),
      step.kind,
      String(step.replicas),
      ...(ready ? [String((step as { ready?: number }).ready ?? "")] : []),
      String(step.desired),
      step.active ? "yes" : "no",
      step.fallback ? "yes" : "no",
      why(step),
    ]),
    options.color,
  );
}

/** The summary `tidal simulate` prints by default. */
export function renderSummary(input: ReportInput): string {
  const { steps, summary } = input;
  const multiDay = spansDays(input.startMs, input.durationSeconds);
  const out: string[] = [];
  out.push(`${input.title} (${input.mode}), ${formatDuration(input.durationSeconds)} simulated`);
  for (const line of input.input) out.push(`  ${line}`);
  for (const note of input.notes) out.push(`  note: ${note}`);
  out.push("");

  let previous = input.initialReplicas;
  const changes = steps.filter((step) => {
    // For a ScaledJob, a poll that creates Jobs is a change even when as many others completed.
    const changed = step.replicas !== previous || created(step) > 0;
    previous = step.replicas;
    return changed;
  });
  const path = [input.initialReplicas, ...changes.map((step) => step.replicas)].filter(
    (replicas, index, all) => index === 0 || replicas !== all[index - 1],
  );
  const pathText =
    path.length > 8
      ? `${path.slice(0, 4).join(" → ")} → … → ${path.slice(-2).join(" → ")}`
      : path.join(" → ");
  const jobs = "jobsCreated" in summary;
  if (jobs) {
    out.push(
      `Jobs: ${formatNumber(summary.jobsCreated)} created; running ${pathText}; at most ${summary.maxRunning} at once (max ${input.maxReplicas})` +
        `; ${formatNumber(summary.jobSeconds)} job-seconds`,
    );
  } else {
    const mean = summary.replicaSeconds / Math.max(1, input.durationSeconds);
    out.push(
      `Replicas: ${pathText}` +
        `; at most ${summary.maxReplicas} (min ${input.minReplicas}, max ${input.maxReplicas})` +
        `; ${summary.scaleEvents} ${summary.scaleEvents === 1 ? "change" : "changes"}` +
        `; ${formatNumber(summary.replicaSeconds)} replica-seconds (${formatNumber(Math.round(mean * 100) / 100)} on average)`,
    );
  }
  if ("backlogMax" in summary) {
    out.push(
      `Queue: backlog p50 ${formatNumber(summary.backlogP50)}, p95 ${formatNumber(summary.backlogP95)}, max ${formatNumber(summary.backlogMax)} items` +
        `; wait p95 ${formatNumber(summary.waitP95Seconds)} s; ${formatNumber(summary.itemsServed)} items served`,
    );
  }
  if (input.end) out.push(`End: ${input.end.message}`);

  if (changes.length > 0) {
    out.push("", jobs ? "Jobs created and completed" : "Changes");
    const shown = changes.slice(0, MAX_CHANGES);
    const table = renderTable(
      [...timeHeaders(input.startMs), jobs ? "JOBS" : "REPLICAS", "WHY"],
      shown.map((step, index) => [
        ...timeCells(step, input.startMs, multiDay),
        jobs
          ? `${created(step) > 0 ? `+${created(step)}, ` : ""}${step.replicas} running`
          : `${index === 0 ? input.initialReplicas : (shown[index - 1] as SimulationStep).replicas} → ${step.replicas}`,
        why(step),
      ]),
      input.color,
    );
    out.push(...indent(table));
    if (changes.length > shown.length)
      out.push(`  … ${changes.length - shown.length} more (--steps prints every evaluation)`);
  }

  const holds = replicaHolds(input.initialReplicas, steps, input.durationSeconds);
  if (holds.length > 0) {
    out.push("", "Held");
    const table = renderTable(
      [startMsHeader(input.startMs), "REPLICAS", "BY", "WHY"],
      holds
        .slice(0, MAX_CHANGES)
        .map((hold) => [
          input.startMs === undefined
            ? `${formatNumber(hold.from)}–${formatNumber(hold.to)}`
            : `${clock(input.startMs, hold.from, multiDay)}–${clock(input.startMs, hold.to, false)}`,
          String(hold.replicas),
          holdLabel(hold),
          hold.detail + (hold.recommended === undefined ? "" : ` (the metrics ask for ${hold.recommended})`),
        ]),
      input.color,
    );
    out.push(...indent(table));
    if (holds.length > MAX_CHANGES) out.push(`  … ${holds.length - MAX_CHANGES} more`);
  }
  return `${out.join("\n")}\n`;
}

/** Jobs a ScaledJob's poll created (0 for other steps). */
const created = (step: SimulationStep) => (step as { created?: number }).created ?? 0;

const startMsHeader = (startMs: number | undefined) => (startMs === undefined ? "T" : "TIME (UTC)");

const indent = (table: string) =>
  table
    .trimEnd()
    .split("\n")
    .map((line) => `  ${line}`);

/** The input lines and notes for a metric trace. */
export function describeTrace(
  file: string,
  trace: { rows: readonly unknown[]; time: TimeColumn; timeHeader: string; heldCells: number },
  columns: readonly { column: string; trigger: string }[],
  unfed: readonly string[],
): { input: string[]; notes: string[] } {
  const rows = trace.rows.length;
  const { time } = trace;
  const format = {
    seconds: `seconds from 0`,
    "unix-seconds": "Unix seconds",
    "unix-milliseconds": "Unix milliseconds",
    date: "dates",
  }[time.format];
  const step =
    time.step === undefined
      ? ""
      : time.uneven.length === 0
        ? `, every ${formatDuration(time.step)}`
        : time.format === "seconds"
          ? `, to ${formatDuration(time.seconds.at(-1) ?? 0)}`
          : `, mostly every ${formatDuration(time.step)}`;
  const start =
    time.startMs === undefined ? "" : ` from ${new Date(time.startMs).toISOString().replace(".000Z", "Z")}`;
  const input = [
    `trace ${file}: ${rows} ${rows === 1 ? "row" : "rows"}, time in column "${trace.timeHeader}" as ${format}${start}${step}`,
    `columns: ${columns.map(({ column, trigger }) => (column === trigger ? column : `${shorten(column)} → ${trigger}`)).join(", ")}`,
  ];
  const notes: string[] = [];
  // A hand-written trace in seconds changes value where it likes; an export's rows are samples.
  if (time.format !== "seconds" && time.uneven.length > 0) {
    const first = time.uneven[0] as { line: number; seconds: number };
    notes.push(
      `uneven steps: ${time.uneven.length} of ${rows - 1} intervals differ from ${formatDuration(time.step ?? 0)}, the first ${formatDuration(first.seconds)} before line ${first.line}; each value holds until the next row`,
    );
  }
  if (trace.heldCells > 0)
    notes.push(
      `${trace.heldCells} empty ${trace.heldCells === 1 ? "cell holds" : "cells hold"} the value of the row above`,
    );
  for (const trigger of unfed) notes.push(`trigger ${trigger} has no column and reads 0`);
  return { input, notes };
}

/** A long Prometheus series name, cut for a one-line listing. */
function shorten(column: string): string {
  return column.length > 48 ? `${column.slice(0, 45)}…` : column;
}
