import { describe, expect, it } from "vitest";
import { metricSpec } from "../engine/test-fixtures.ts";
import { matchTraceColumns, readMetricTrace } from "./metric-trace.ts";

// Two triggers: a named redis trigger (metric s0-redis-jobs) and an unnamed prometheus one.
const SPECS = [
  metricSpec({ index: 0, name: "queue", metricName: "s0-redis-jobs" }),
  metricSpec({ index: 1, name: "", type: "prometheus", metricName: "s1-prometheus" }),
];

const messageOf = (work: () => unknown) => {
  try {
    work();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error");
};

describe("matchTraceColumns", () => {
  it("matches a trigger's name, its metric name and s<index>", () => {
    for (const columns of [
      ["queue", "s1-prometheus"],
      ["s0-redis-jobs", "s1"],
      ["s0", "s1-prometheus"],
    ]) {
      expect(matchTraceColumns(columns, SPECS), columns.join(",")).toEqual({
        specColumns: [0, 1],
        unfed: [],
        labels: ["queue", "s1"],
      });
    }
  });

  it("prefers a trigger's name over another trigger's metric name", () => {
    // Trigger 1 is named after trigger 0's metric: the column goes to trigger 1.
    const specs = [SPECS[0]!, metricSpec({ index: 1, name: "s0-redis-jobs", metricName: "s1-other" })];
    expect(matchTraceColumns(["s0-redis-jobs"], specs).specColumns).toEqual([-1, 0]);
  });

  it("matches a Prometheus series by KEDA's metric, triggerIndex or triggerName label", () => {
    const series = [
      'keda_scaler_metrics_value{metric="s0-redis-jobs",scaledObject="orders",triggerIndex="0"}',
      '{triggerIndex="1"}',
    ];
    expect(matchTraceColumns(series, SPECS)).toMatchObject({ specColumns: [0, 1], labels: ["queue", "s1"] });
    expect(matchTraceColumns(['x{triggerName="queue"}'], SPECS).specColumns).toEqual([0, -1]);
  });

  it("names the triggers no column feeds", () => {
    expect(matchTraceColumns(["queue"], SPECS).unfed).toEqual(["s1"]);
  });

  it("names an unknown column and every name a column may take", () => {
    expect(messageOf(() => matchTraceColumns(["queue", "retries"], SPECS))).toBe(
      'trace column "retries" matches no trigger; name each column after a trigger\'s name, its metric name or s<index>: queue, s0-redis-jobs or s0 (redis); s1-prometheus or s1 (prometheus)',
    );
  });

  it("hints at a name that differs only in case", () => {
    expect(messageOf(() => matchTraceColumns(["Queue"], SPECS))).toContain(
      'trace column "Queue" matches no trigger (names are case-sensitive: did you mean queue?)',
    );
  });

  it("refuses two columns for one trigger", () => {
    expect(messageOf(() => matchTraceColumns(["queue", "s0"], SPECS))).toBe(
      'trace columns "queue" and "s0" both feed trigger queue; keep one',
    );
  });
});

describe("readMetricTrace", () => {
  it("serves each trigger its column's value, 0 without one, and labels values by trigger", () => {
    const reader = readMetricTrace(
      {
        columns: ["s0-redis-jobs"],
        rows: [
          { t: 0, cells: [4] },
          { t: 10, cells: ["error"] },
        ],
      },
      SPECS,
    );
    expect(reader.labels).toEqual(["queue"]);
    expect(reader.samplesAt(5)).toEqual([
      { metricName: "s0-redis-jobs", value: 4 },
      { metricName: "s1-prometheus", value: 0 },
    ]);
    expect(reader.samplesAt(10)[0]).toMatchObject({
      error: "the trace marks s0-redis-jobs as failing at t=10",
    });
    expect(reader.valuesAt(10)).toEqual({ queue: null });
  });
});
