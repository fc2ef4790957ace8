/**
 * CSV traces for `tidal simulate`, read with csv-parse (loaded on first use): quoted fields and
 * headers (`"rate{job=""api""}"`), a `sep=;` first line (Grafana's "Download for Excel"), `,` `;`
 * or tab as the delimiter, blank lines and whole-line `#` comments skipped. The first column is
 * the time in any format readTimeColumn detects.
 */
import { TidalError } from "../util/errors.ts";
import type { MetricTrace, TraceCell } from "./metric-trace.ts";
import { readTimeColumn, type TimeColumn, TimeColumnError } from "./time-column.ts";

const invalid = (file: string, message: string) => new TidalError("TIDAL_E_CSV", `${file}: ${message}`);

interface Row {
  line: number;
  cells: string[];
}

/** A trace as read from its file: the columns, the rows and what the time column said. */
export interface TraceFile extends MetricTrace {
  time: TimeColumn;
  /** The time column's header, as written. */
  timeHeader: string;
  /** Empty (or NaN) cells that hold the value of the row before. */
  heldCells: number;
}

/** `sep=X` on the first line, as spreadsheets and Grafana's Excel export write it. */
const SEPARATOR_LINE = /^\uFEFF?"?sep=(.)"?[ \t]*$/i;

/** The delimiter: a `sep=` line's, else `;` or a tab when the header has those and no comma. */
function delimiterOf(text: string): { delimiter: string; text: string } {
  const lines = text.split(/\r?\n/);
  const separator = SEPARATOR_LINE.exec(lines[0] ?? "");
  if (separator) return { delimiter: separator[1] as string, text: ["", ...lines.slice(1)].join("\n") };
  const header = lines.find((line) => line.trim() !== "" && !line.trimStart().startsWith("#")) ?? "";
  const unquoted = header.replace(/"(?:[^"]|"")*"/g, "");
  if (!unquoted.includes(",")) {
    if (unquoted.includes(";")) return { delimiter: ";", text };
    if (unquoted.includes("\t")) return { delimiter: "\t", text };
  }
  return { delimiter: ",", text };
}

/** What csv-parse's error codes mean for a person editing the file. */
function parseProblem(error: unknown): { line?: number; message: string } {
  const { code, lines, message } = error as { code?: string; lines?: number; message?: string };
  const line = typeof lines === "number" ? lines : undefined;
  const text = String(message ?? error);
  switch (code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return {
        ...(line ? { line } : {}),
        message: 'the file ends inside a quoted field: a closing " is missing on this line or above',
      };
    case "INVALID_OPENING_QUOTE":
      return {
        ...(line ? { line } : {}),
        message: 'a quote (") inside an unquoted field; quote the whole field and double the quote ("")',
      };
    case "CSV_INVALID_CLOSING_QUOTE":
      return {
        ...(line ? { line } : {}),
        message: 'text after a closing quote; a quote inside a quoted field is written ""',
      };
    default:
      return { ...(line ? { line } : {}), message: text.replace(/^[^:]+:\s*/, "") };
  }
}

/** Header and records, with blank lines and comment lines skipped. */
async function records(file: string, source: string): Promise<{ header: Row; rows: Row[] }> {
  const { parse } = await import("csv-parse/sync");
  const { delimiter, text } = delimiterOf(source);
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      bom: true,
      comment: "#",
      comment_no_infix: true,
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (error) {
    const problem = parseProblem(error);
    throw invalid(file, problem.line ? `line ${problem.line}: ${problem.message}` : problem.message);
  }
  const all = parsed
    .map(({ record, info }) => ({ line: info.lines, cells: record }))
    // A line of only delimiters (a spreadsheet's empty row) is blank too.
    .filter((row) => row.cells.some((cell) => cell !== ""));
  const header = all.shift();
  if (header === undefined)
    throw invalid(file, "the file is empty; expected a header line such as time,queue");
  const seen = new Set<string>();
  header.cells.forEach((column, index) => {
    if (column === "")
      throw invalid(file, `line ${header.line}: column ${index + 1} of the header has no name`);
    if (seen.has(column)) throw invalid(file, `line ${header.line}: column "${column}" appears twice`);
    seen.add(column);
  });
  for (const row of all) {
    if (row.cells.length !== header.cells.length) {
      throw invalid(
        file,
        `line ${row.line}: ${row.cells.length} ${row.cells.length === 1 ? "cell" : "cells"}, but the header has ${header.cells.length} columns`,
      );
    }
  }
  if (all.length === 0) throw invalid(file, "no rows after the header");
  return { header, rows: all };
}

function number(file: string, line: number, column: string, cell: string, options: { min?: number } = {}) {
  const value = cell === "" ? Number.NaN : Number(cell);
  if (!Number.isFinite(value))
    throw invalid(file, `line ${line}, column "${column}": "${cell}" is not a number`);
  if (options.min !== undefined && value < options.min) {
    throw invalid(file, `line ${line}, column "${column}": ${cell} must be ≥ ${options.min}`);
  }
  return value;
}

function timeColumn(file: string, header: Row, rows: readonly Row[]): TimeColumn {
  try {
    return readTimeColumn(rows.map((row) => ({ line: row.line, cell: row.cells[0] ?? "" })));
  } catch (error) {
    if (!(error instanceof TimeColumnError)) throw error;
    throw invalid(file, `line ${error.line}, column "${header.cells[0]}": ${error.message}`);
  }
}

/** No value in a cell: empty, or NaN/null as Grafana and Prometheus write a missing sample. */
const isMissing = (cell: string) => cell === "" || /^(nan|null|undefined)$/i.test(cell);

/**
 * A metric trace: `TIME,NAME...`, each cell a number or `error`. An empty cell (or NaN, null)
 * holds the value of the row before it.
 */
export async function parseMetricTrace(file: string, text: string): Promise<TraceFile> {
  const { header, rows } = await records(file, text);
  const columns = header.cells.slice(1);
  if (columns.length === 0) {
    throw invalid(
      file,
      `line ${header.line}: no metric columns after "${header.cells[0]}"; expected TIME,NAME where NAME is a trigger's name, its metric name or s0, s1, …`,
    );
  }
  const time = timeColumn(file, header, rows);
  let heldCells = 0;
  const previous: (TraceCell | undefined)[] = columns.map(() => undefined);
  const traceRows = rows.map((row, index) => ({
    t: time.seconds[index] as number,
    cells: row.cells.slice(1).map((cell, column): TraceCell => {
      const name = columns[column] as string;
      let value: TraceCell;
      if (isMissing(cell)) {
        const held = previous[column];
        if (held === undefined) {
          throw invalid(
            file,
            `line ${row.line}, column "${name}": no value, and no row before it to hold one from; write a number or error`,
          );
        }
        heldCells++;
        value = held;
      } else {
        value = cell.toLowerCase() === "error" ? "error" : number(file, row.line, name, cell);
      }
      previous[column] = value;
      return value;
    }),
  }));
  return { columns, rows: traceRows, time, timeHeader: header.cells[0] as string, heldCells };
}

/** An arrival trace: `TIME,rate` in items per second (TIME in any format the metric trace takes). */
export async function parseArrivals(
  file: string,
  text: string,
): Promise<{ arrivals: { t: number; rate: number }[]; time: TimeColumn }> {
  const { header, rows } = await records(file, text);
  if (header.cells.length !== 2 || header.cells[1] !== "rate") {
    throw invalid(
      file,
      `line ${header.line}: the columns must be a time and "rate" (items/s), such as t,rate; got ${header.cells.map((cell) => JSON.stringify(cell)).join(",")}`,
    );
  }
  const time = timeColumn(file, header, rows);
  const arrivals = rows.map((row, index) => ({
    t: time.seconds[index] as number,
    rate: number(file, row.line, "rate", row.cells[1] ?? "", { min: 0 }),
  }));
  return { arrivals, time };
}
