/**
 * The time column of a trace: seconds from 0 as written by hand, Unix seconds or milliseconds (a
 * Prometheus export), or dates (ISO 8601, or Grafana's `2024-01-15 10:00:00`). The format is
 * detected from the cells; absolute times become seconds since the first row. The step is the most
 * common interval between rows.
 */

export type TimeFormat = "seconds" | "unix-seconds" | "unix-milliseconds" | "date";

export interface TimeColumn {
  format: TimeFormat;
  /** Seconds of each row (from 0 at the first row for absolute formats). */
  seconds: number[];
  /** The first row's wall-clock time (epoch milliseconds), for absolute formats. */
  startMs?: number;
  /** The most common interval between rows, in seconds (undefined for a single row). */
  step?: number;
  /** Intervals that differ from the step: where (the later row's line) and how long. */
  uneven: { line: number; seconds: number }[];
}

/** Unix milliseconds start here (1973 as milliseconds; year 5138 as seconds). */
const UNIX_MS_FROM = 1e11;
/** Unix seconds start here (1973); a hand-written trace never counts three years. */
const UNIX_SECONDS_FROM = 1e8;

const DATE =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$/i;

/** Epoch milliseconds of a date cell, or undefined. A date without a zone is read as UTC. */
export function parseDate(cell: string): number | undefined {
  const match = DATE.exec(cell.trim());
  if (!match) return undefined;
  const [, day, time, zone] = match;
  const offset =
    zone === undefined || /^(z|utc)$/i.test(zone)
      ? "Z"
      : zone.length === 3
        ? `${zone}:00`
        : zone.includes(":")
          ? zone
          : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${day}T${(time as string).replace(",", ".")}${offset}`);
  return Number.isFinite(ms) ? ms : undefined;
}

export class TimeColumnError extends Error {
  readonly line: number;

  constructor(line: number, message: string) {
    super(message);
    this.line = line;
  }
}

const DESCRIBE_CELL =
  "seconds from 0, Unix seconds or milliseconds, or a date such as 2024-01-15T10:00:00Z or 2024-01-15 10:00:00";

/** Reads the time cells (with their line numbers); throws TimeColumnError naming the line. */
export function readTimeColumn(cells: readonly { line: number; cell: string }[]): TimeColumn {
  const first = cells[0];
  if (first === undefined) return { format: "seconds", seconds: [], uneven: [] };
  const numeric = first.cell !== "" && Number.isFinite(Number(first.cell));
  const values = cells.map(({ line, cell }) => {
    if (numeric) {
      const value = cell === "" ? Number.NaN : Number(cell);
      if (!Number.isFinite(value))
        throw new TimeColumnError(
          line,
          `"${cell}" is not a number like the rows above it (the first row's time is ${first.cell})`,
        );
      return value;
    }
    const ms = parseDate(cell);
    if (ms === undefined) {
      throw new TimeColumnError(
        line,
        Number.isFinite(Number(cell)) && cell !== "" && line !== first.line
          ? `"${cell}" is a number, but the first row's time is a date (${first.cell})`
          : `"${cell}" is not a time (${DESCRIBE_CELL})`,
      );
    }
    return ms;
  });
  const start = values[0] as number;
  const format: TimeFormat = !numeric
    ? "date"
    : start >= UNIX_MS_FROM
      ? "unix-milliseconds"
      : start >= UNIX_SECONDS_FROM
        ? "unix-seconds"
        : "seconds";
  if (format === "seconds" && start < 0)
    throw new TimeColumnError(first.line, `${first.cell} must be ≥ 0 (seconds from the start)`);
  const toSeconds = (value: number) =>
    format === "seconds" ? value : format === "unix-seconds" ? value - start : (value - start) / 1000;
  const seconds = values.map(toSeconds);
  seconds.forEach((t, index) => {
    const previous = seconds[index - 1];
    if (previous !== undefined && t <= previous) {
      const cell = cells[index] as { line: number; cell: string };
      throw new TimeColumnError(
        cell.line,
        `times must increase from row to row (${cell.cell} after ${(cells[index - 1] as { cell: string }).cell})`,
      );
    }
  });
  const intervals = seconds.slice(1).map((t, index) => ({
    line: (cells[index + 1] as { line: number }).line,
    seconds: roundMs(t - (seconds[index] as number)),
  }));
  const step = mostCommon(intervals.map((interval) => interval.seconds));
  // Exports round timestamps to the millisecond; a step off by more than that (or 1 %) is a gap.
  const tolerance = step === undefined ? 0 : Math.max(0.0015, step / 100);
  return {
    format,
    seconds,
    ...(format === "seconds" ? {} : { startMs: format === "unix-seconds" ? start * 1000 : start }),
    ...(step === undefined ? {} : { step }),
    uneven:
      step === undefined ? [] : intervals.filter((interval) => Math.abs(interval.seconds - step) > tolerance),
  };
}

const roundMs = (seconds: number) => Math.round(seconds * 1000) / 1000;

/** The most common value (the smallest of equally common ones). */
function mostCommon(values: readonly number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  let best: number | undefined;
  let bestCount = 0;
  for (const [value, count] of counts) {
    if (count > bestCount || (count === bestCount && value < (best ?? Infinity))) {
      best = value;
      bestCount = count;
    }
  }
  return best;
}
