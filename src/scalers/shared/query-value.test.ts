import { describe, expect, it } from "vitest";
import { firstCellAsNumber } from "./query-value.ts";

describe("firstCellAsNumber", () => {
  it("reads the first column of the first row as a number", () => {
    expect(firstCellAsNumber([[42, "ignored"], [7]])).toBe(42);
    expect(firstCellAsNumber([[2.5]])).toBe(2.5);
    expect(firstCellAsNumber([[10n]])).toBe(10);
  });

  it("accepts numeric text, as drivers return DECIMAL, NUMERIC and BIGINT", () => {
    expect(firstCellAsNumber([["12.50"]])).toBe(12.5);
    expect(firstCellAsNumber([[" -3 "]])).toBe(-3);
  });

  it("explains an empty result, NULL and a value that is not a number", () => {
    expect(() => firstCellAsNumber([])).toThrow("query returned no rows");
    expect(() => firstCellAsNumber([[]])).toThrow("query returned a row without columns");
    expect(() => firstCellAsNumber([[null]])).toThrow(
      "query returned NULL in the first column; wrap it in COALESCE(..., 0)",
    );
    expect(() => firstCellAsNumber([["abc"]])).toThrow(
      'query returned "abc" in the first column, not a number',
    );
    expect(() => firstCellAsNumber([[""]])).toThrow('query returned "" in the first column, not a number');
    expect(() => firstCellAsNumber([[true]])).toThrow(
      "query returned a boolean in the first column, not a number",
    );
    expect(() => firstCellAsNumber([[new Date(0)]])).toThrow(
      "query returned a date in the first column, not a number",
    );
  });

  it("shortens long text in the message", () => {
    expect(() => firstCellAsNumber([["x".repeat(100)]])).toThrow(
      `query returned "${"x".repeat(40)}…" in the first column`,
    );
  });
});
