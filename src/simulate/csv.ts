import { TidalError } from "../util/errors.ts";
import type { MetricTrace, TraceCell } from "./metric-trace.ts";

const invalid = (file: string, message: string) => new TidalError("TIDAL_E_CSV", `${file}: ${message}`);

/** Rows of a CSV text: header and records, with blank lines and `#` comments skipped. */
function records(
  file: string,
  text: string,
): { header: string[]; rows: { line: number; cells: string[] }[] } {
  const lines = text.split(/\r?\n/).map((line, index) => ({ line: index + 1, text: line.trim() }));
  const content = lines.filter((line) => line.text !== "" && !line.text.startsWith("#"));
  const first = content.shift();
  if (first === undefined) throw invalid(file, "the file is empty; expected a header line such as t,queue");
  const header = first.text.split(",").map((cell) => cell.trim());
  if (header[0] !== "t")
    throw invalid(
      file,
      `line ${first.line}: the first column must be "t" (seconds from 0), got "${header[0]}"`,
    );
  const seen = new Set<string>();
  for (const column of header) {
    if (column === "") throw invalid(file, `line ${first.line}: empty column name`);
    if (seen.has(column)) throw invalid(file, `line ${first.line}: column "${column}" appears twice`);
    seen.add(column);
  }
  const rows = content.map(({ line, text: row }) => {
    const cells = row.split(",").map((cell) => cell.trim());
    if (cells.length !== header.length) {
      throw invalid(
        file,
        `line ${line}: ${cells.length} ${cells.length === 1 ? "cell" : "cells"}, but the header has ${header.length} columns`,
      );
    }
    return { line, cells };
  });
  if (rows.length === 0) throw invalid(file, "no rows after the header");
  return { header, rows };
}

function number(
  file: string,
  line: number,
  column: string,
  cell: string,
  options: { min?: number } = {},
): number {
  const value = cell === "" ? Number.NaN : Number(cell);
  if (!Number.isFinite(value))
    throw invalid(file, `line ${line}, column "${column}": "${cell}" is not a number`);
  if (options.min !== undefined && value < options.min) {
    throw invalid(file, `line ${line}, column "${column}": ${cell} must be ≥ ${options.min}`);
  }
  return value;
}

function times(file: string, rows: { line: number; cells: string[] }[]): number[] {
  let previous = -Infinity;
  return rows.map((row) => {
    const t = number(file, row.line, "t", row.cells[0] ?? "", { min: 0 });
    if (t <= previous)
      throw invalid(file, `line ${row.line}: t must increase from row to row (${t} after ${previous})`);
    previous = t;
    return t;
  });
}

/** A metric trace: `t,NAME...`, each cell a number or `error`. */
export function parseMetricTrace(file: string, text: string): MetricTrace {
  const { header, rows } = records(file, text);
  const columns = header.slice(1);
  if (columns.length === 0)
    throw invalid(file, "no metric columns; expected t,NAME where NAME is a trigger name or s0, s1, …");
  const at = times(file, rows);
  return {
    columns,
    rows: rows.map((row, index) => ({
      t: at[index] as number,
      cells: row.cells
        .slice(1)
        .map((cell, column): TraceCell =>
          cell.toLowerCase() === "error" ? "error" : number(file, row.line, columns[column] as string, cell),
        ),
    })),
  };
}

/** An arrival trace: `t,rate` in items per second. */
export function parseArrivals(file: string, text: string): { t: number; rate: number }[] {
  const { header, rows } = records(file, text);
  if (header.length !== 2 || header[1] !== "rate")
    throw invalid(file, `the header must be "t,rate", got "${header.join(",")}"`);
  const at = times(file, rows);
  return rows.map((row, index) => ({
    t: at[index] as number,
    rate: number(file, row.line, "rate", row.cells[1] ?? "", { min: 0 }),
  }));
}
