/**
 * The value of a SQL scaler's query, as KEDA reads it: the first column of the first row, scanned
 * as a float. Drivers hand numbers over as numbers, bigints or numeric strings (DECIMAL, NUMERIC,
 * BIGINT); anything else is an error that says what the query returned.
 */
export function firstCellAsNumber(rows: readonly (readonly unknown[])[]): number {
  const row = rows[0];
  if (row === undefined) throw new Error("query returned no rows");
  if (row.length === 0) throw new Error("query returned a row without columns");
  const cell = row[0];
  if (cell === null || cell === undefined) {
    throw new Error("query returned NULL in the first column; wrap it in COALESCE(..., 0)");
  }
  if (typeof cell === "number") return cell;
  if (typeof cell === "bigint") return Number(cell);
  if (typeof cell === "string") {
    const text = cell.trim();
    const value = Number(text);
    if (text !== "" && Number.isFinite(value)) return value;
    throw new Error(`query returned ${quoted(cell)} in the first column, not a number`);
  }
  throw new Error(`query returned a ${describe(cell)} in the first column, not a number`);
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function describe(value: unknown): string {
  if (value instanceof Date) return "date";
  if (value instanceof Uint8Array) return "binary value";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
