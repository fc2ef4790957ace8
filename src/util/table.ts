import { stripVTControlCharacters, styleText } from "node:util";

export type Style = Parameters<typeof styleText>[0];

/** A cell with an optional style (applied only when colour is on). */
export type Cell = string | { text: string; style?: Style };

const textOf = (cell: Cell) => (typeof cell === "string" ? cell : cell.text);

/** Renders rows as aligned columns with a bold header; colour only when `color` is true. */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
  color: boolean,
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => stripVTControlCharacters(textOf(row[column] ?? "")).length)),
  );
  const paint = (cell: Cell, column: number, isLast: boolean) => {
    const text = textOf(cell);
    const padded = isLast ? text : text.padEnd(widths[column] ?? 0);
    const style = typeof cell === "string" ? undefined : cell.style;
    return color && style ? styleText(style, padded) : padded;
  };
  const line = (cells: readonly Cell[]) =>
    cells
      .map((cell, column) => paint(cell, column, column === cells.length - 1))
      .join("  ")
      .trimEnd();
  const header = line(headers.map((text) => ({ text, style: "bold" as Style })));
  return [header, ...rows.map(line)].join("\n") + "\n";
}
