import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseArrivals, parseMetricTrace } from "./csv.ts";

const FIXTURES = "test/fixtures/manifests/simulate";

async function errorOf(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error");
}

describe("parseMetricTrace", () => {
  it("reads quoted headers with commas and doubled quotes", async () => {
    const trace = await parseMetricTrace(
      "trace.csv",
      'time,"rate{job=""api"",path=""/a,b""}","queue"\n0,1,2\n10,3,4\n',
    );
    expect(trace.columns).toEqual(['rate{job="api",path="/a,b"}', "queue"]);
    expect(trace.rows).toEqual([
      { t: 0, cells: [1, 2] },
      { t: 10, cells: [3, 4] },
    ]);
    expect(trace.timeHeader).toBe("time");
  });

  it("takes a sep= line, semicolons, tabs, a byte-order mark and CRLF line ends", async () => {
    const expected = [
      { t: 0, cells: [1] },
      { t: 5, cells: [2] },
    ];
    for (const text of [
      "sep=;\r\nt;queue\r\n0;1\r\n5;2\r\n",
      '"sep=,"\nt,queue\n0,1\n5,2\n',
      "t;queue\n0;1\n5;2\n",
      "t\tqueue\n0\t1\n5\t2\n",
      "\uFEFFt,queue\r\n0,1\r\n5,2\r\n",
    ]) {
      expect((await parseMetricTrace("trace.csv", text)).rows, JSON.stringify(text)).toEqual(expected);
    }
  });

  it("skips blank lines, whole-line comments and rows of empty cells; # inside a line is data", async () => {
    const trace = await parseMetricTrace(
      "trace.csv",
      '# a comment\n\nt,"queue #1"\n0,1\n,\n  # another\n5,error\n',
    );
    expect(trace.columns).toEqual(["queue #1"]);
    expect(trace.rows).toEqual([
      { t: 0, cells: [1] },
      { t: 5, cells: ["error"] },
    ]);
  });

  it("holds the row above in an empty, NaN or null cell, and counts them", async () => {
    const trace = await parseMetricTrace("trace.csv", "t,a,b\n0,1,2\n5,,NaN\n10,null,3\n");
    expect(trace.rows.map((row) => row.cells)).toEqual([
      [1, 2],
      [1, 2],
      [1, 3],
    ]);
    expect(trace.heldCells).toBe(3);
  });

  it("refuses an empty first cell, which has nothing to hold", async () => {
    expect(await errorOf(parseMetricTrace("trace.csv", "t,queue\n0,\n5,1\n"))).toBe(
      'trace.csv: line 2, column "queue": no value, and no row before it to hold one from; write a number or error',
    );
  });

  it("reads a Grafana export: dates, 15 s steps with a missed scrape, an empty cell", async () => {
    const file = `${FIXTURES}/grafana-export.csv`;
    const trace = await parseMetricTrace(file, readFileSync(file, "utf8"));
    expect(trace.columns).toEqual(["queue"]);
    expect(trace.timeHeader).toBe("Time");
    expect(trace.time).toMatchObject({
      format: "date",
      startMs: Date.UTC(2024, 2, 5, 14),
      step: 15,
      uneven: [{ line: 25, seconds: 30 }],
    });
    expect(trace.rows).toHaveLength(35);
    expect(trace.rows.at(-1)?.t).toBe(525);
    expect(trace.heldCells).toBe(1);
  });

  it("reads a Prometheus export: Unix seconds and a quoted series as the header", async () => {
    const file = `${FIXTURES}/prometheus-export.csv`;
    const trace = await parseMetricTrace(file, readFileSync(file, "utf8"));
    expect(trace.columns[0]).toMatch(/^keda_scaler_metrics_value\{.*metric="s0-redis-jobs".*\}$/);
    expect(trace.time).toMatchObject({ format: "unix-seconds", step: 30, uneven: [] });
    expect(trace.rows.map((row) => row.t).slice(0, 3)).toEqual([0, 30, 60]);
    // The NaN sample holds the 28 before it.
    expect(trace.rows[10]?.cells).toEqual([28]);
  });

  it.each([
    ["", "trace.csv: the file is empty; expected a header line such as time,queue"],
    ["# only a comment\n", "trace.csv: the file is empty; expected a header line such as time,queue"],
    ["t,queue\n", "trace.csv: no rows after the header"],
    [
      "t\n0\n",
      'trace.csv: line 1: no metric columns after "t"; expected TIME,NAME where NAME is a trigger\'s name, its metric name or s0, s1, …',
    ],
    ["t,queue,queue\n0,1,2\n", 'trace.csv: line 1: column "queue" appears twice'],
    ['t,"",b\n0,1,2\n', "trace.csv: line 1: column 2 of the header has no name"],
    ["t,queue\n0,1\n5\n", "trace.csv: line 3: 1 cell, but the header has 2 columns"],
    ["t,queue\n0,lots\n", 'trace.csv: line 2, column "queue": "lots" is not a number'],
    [
      't,queue\n0,"1\n5,2\n',
      'trace.csv: line 3: the file ends inside a quoted field: a closing " is missing on this line or above',
    ],
    [
      't,queue\n0,1"2\n',
      'trace.csv: line 2: a quote (") inside an unquoted field; quote the whole field and double the quote ("")',
    ],
    [
      "time,queue\nnoon,1\n",
      'trace.csv: line 2, column "time": "noon" is not a time (seconds from 0, Unix seconds or milliseconds, or a date such as 2024-01-15T10:00:00Z or 2024-01-15 10:00:00)',
    ],
    [
      "t,queue\n0,1\n10,2\n5,3\n",
      'trace.csv: line 4, column "t": times must increase from row to row (5 after 10)',
    ],
  ])("refuses %j: %s", async (text, message) => {
    expect(await errorOf(parseMetricTrace("trace.csv", text))).toBe(message);
  });

  it("loads csv-parse only when a trace is read", () => {
    const source = readFileSync("src/simulate/csv.ts", "utf8");
    expect(source).not.toMatch(/^import[^;]*from "csv-parse/m);
    expect(source).toContain('await import("csv-parse/sync")');
  });
});

describe("parseArrivals", () => {
  it("reads TIME,rate with any time format", async () => {
    expect(await parseArrivals("arrivals.csv", "t,rate\n0,3\n10,0\n")).toMatchObject({
      arrivals: [
        { t: 0, rate: 3 },
        { t: 10, rate: 0 },
      ],
      time: { format: "seconds" },
    });
    const dated = await parseArrivals(
      "arrivals.csv",
      '"Time","rate"\n2024-03-05T14:00:00Z,3\n2024-03-05T14:01:00Z,1\n',
    );
    expect(dated.arrivals).toEqual([
      { t: 0, rate: 3 },
      { t: 60, rate: 1 },
    ]);
  });

  it("names the columns it wants, and a negative rate's line", async () => {
    expect(await errorOf(parseArrivals("arrivals.csv", "t,items\n0,1\n"))).toBe(
      'arrivals.csv: line 1: the columns must be a time and "rate" (items/s), such as t,rate; got "t","items"',
    );
    expect(await errorOf(parseArrivals("arrivals.csv", "t,rate\n0,-2\n"))).toBe(
      'arrivals.csv: line 2, column "rate": -2 must be ≥ 0',
    );
  });
});
