import { describe, expect, it } from "vitest";
import { parseDate, readTimeColumn, TimeColumnError } from "./time-column.ts";

/** Cells on lines 2, 3, … as a header on line 1 leaves them. */
const column = (...cells: string[]) =>
  readTimeColumn(cells.map((cell, index) => ({ line: index + 2, cell })));

function errorOf(work: () => unknown): TimeColumnError {
  try {
    work();
  } catch (error) {
    if (error instanceof TimeColumnError) return error;
    throw error;
  }
  throw new Error("expected a TimeColumnError");
}

describe("parseDate", () => {
  it.each([
    ["2024-03-05T14:00:00Z", Date.UTC(2024, 2, 5, 14)],
    ["2024-03-05T14:00:00.250Z", Date.UTC(2024, 2, 5, 14, 0, 0, 250)],
    ["2024-03-05 14:00:00", Date.UTC(2024, 2, 5, 14)], // Grafana's export: no zone, read as UTC
    ["2024-03-05 14:00", Date.UTC(2024, 2, 5, 14)],
    ["2024-03-05T15:00:00+01:00", Date.UTC(2024, 2, 5, 14)],
    ["2024-03-05T15:00:00+0100", Date.UTC(2024, 2, 5, 14)],
    ["2024-03-05T15:00:00+01", Date.UTC(2024, 2, 5, 14)],
    ["2024-03-05 14:00:00 UTC", Date.UTC(2024, 2, 5, 14)],
    ["2024-03-05 14:00:00,5", Date.UTC(2024, 2, 5, 14, 0, 0, 500)],
  ])("reads %s", (cell, ms) => {
    expect(parseDate(cell)).toBe(ms);
  });

  it.each(["14:00:00", "2024-13-05 14:00:00", "yesterday", "1709647200", ""])("refuses %j", (cell) => {
    expect(parseDate(cell)).toBeUndefined();
  });
});

describe("readTimeColumn", () => {
  it("keeps seconds from 0 as written, with the most common interval as the step", () => {
    const time = column("0", "20", "40", "100");
    expect(time).toEqual({
      format: "seconds",
      seconds: [0, 20, 40, 100],
      step: 20,
      uneven: [{ line: 5, seconds: 60 }],
    });
  });

  it("reads Unix seconds (a Prometheus export) as seconds since the first row", () => {
    const time = column("1709647200.000", "1709647230.000", "1709647260.000");
    expect(time).toMatchObject({ format: "unix-seconds", seconds: [0, 30, 60], step: 30, uneven: [] });
    expect(time.startMs).toBe(Date.UTC(2024, 2, 5, 14));
  });

  it("reads Unix milliseconds (Grafana's export without formatting)", () => {
    const time = column("1709647200000", "1709647215000", "1709647230000");
    expect(time).toMatchObject({ format: "unix-milliseconds", seconds: [0, 15, 30], step: 15 });
    expect(time.startMs).toBe(Date.UTC(2024, 2, 5, 14));
  });

  it("reads dates and finds a missed sample as an uneven step", () => {
    const time = column(
      "2024-03-05 14:00:00",
      "2024-03-05 14:00:15",
      "2024-03-05 14:00:45",
      "2024-03-05 14:01:00",
    );
    expect(time).toMatchObject({
      format: "date",
      seconds: [0, 15, 45, 60],
      step: 15,
      uneven: [{ line: 4, seconds: 30 }],
    });
  });

  it("takes a millisecond of jitter in exported timestamps as even", () => {
    const time = column("1709647200.001", "1709647215.000", "1709647230.002");
    expect(time.step).toBe(14.999);
    expect(time.uneven).toEqual([]);
  });

  it("has no step for one row", () => {
    expect(column("0")).toEqual({ format: "seconds", seconds: [0], uneven: [] });
  });

  it("names the line of a cell that is not a time, or not like the first row's", () => {
    expect(errorOf(() => column("0", "soon"))).toMatchObject({
      line: 3,
      message: '"soon" is not a number like the rows above it (the first row\'s time is 0)',
    });
    expect(errorOf(() => column("2024-03-05 14:00:00", "1709647215"))).toMatchObject({
      line: 3,
      message: '"1709647215" is a number, but the first row\'s time is a date (2024-03-05 14:00:00)',
    });
    expect(errorOf(() => column("noon")).message).toBe(
      '"noon" is not a time (seconds from 0, Unix seconds or milliseconds, or a date such as 2024-01-15T10:00:00Z or 2024-01-15 10:00:00)',
    );
  });

  it("refuses times that do not increase, and negative seconds", () => {
    expect(errorOf(() => column("0", "10", "5"))).toMatchObject({
      line: 4,
      message: "times must increase from row to row (5 after 10)",
    });
    expect(errorOf(() => column("2024-03-05 14:00:00", "2024-03-05 14:00:00")).line).toBe(3);
    expect(errorOf(() => column("-5", "0")).message).toBe("-5 must be ≥ 0 (seconds from the start)");
  });
});
