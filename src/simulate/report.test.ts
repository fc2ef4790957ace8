import { describe, expect, it } from "vitest";
import { makeScaledObject, metricSpec } from "../engine/test-fixtures.ts";
import { describeTrace, formatDuration, renderSteps, renderSummary } from "./report.ts";
import { simulate } from "./simulate.ts";
import type { TimeColumn } from "./time-column.ts";

const RESULT = simulate({
  scaledObject: makeScaledObject({ spec: { pollingInterval: 10, cooldownPeriod: 30, maxReplicaCount: 10 } }),
  metricSpecs: [metricSpec({ name: "queue", target: 5 })],
  trace: {
    columns: ["queue"],
    rows: [
      { t: 0, cells: [0] },
      { t: 20, cells: [25] },
      { t: 60, cells: [0] },
    ],
  },
  mode: "direct",
  initialReplicas: 0,
  durationSeconds: 110,
});

const input = (overrides: Partial<Parameters<typeof renderSummary>[0]> = {}) => ({
  title: "ScaledObject orders",
  mode: "direct mode",
  durationSeconds: 110,
  initialReplicas: 0,
  minReplicas: 0,
  maxReplicas: 10,
  steps: RESULT.steps,
  summary: RESULT.summary,
  input: ["trace burst.csv: 3 rows"],
  notes: ["trigger s1 has no column and reads 0"],
  color: false,
  ...overrides,
});

describe("renderSummary", () => {
  it("says what ran, each change and why, and what held the replicas", () => {
    expect(renderSummary(input())).toBe(
      [
        "ScaledObject orders (direct mode), 110 s simulated",
        "  trace burst.csv: 3 rows",
        "  note: trigger s1 has no column and reads 0",
        "",
        "Replicas: 0 → 1 → 4 → 5 → 0; at most 5 (min 0, max 10); 4 changes; 300 replica-seconds (2.73 on average)",
        "",
        "Changes",
        "  T   REPLICAS  WHY",
        "  20  0 → 1     activation: trigger s0-redis-jobs is active (25 > 0)",
        "  30  1 → 4     scale-up-limit: without behavior the HPA adds at most max(2 × 1, 4) = 4 per sync",
        "  40  4 → 5     metric: ceil(25 / 5) = 5",
        "  90  5 → 0     deactivation: no trigger is active and the cooldown has passed",
        "",
        "Held",
        "  T      REPLICAS  BY                               WHY",
        "  60–90  5         scale-down stabilization window  highest recommendation of the last 300 s is 5 (the metrics ask for 0)",
        "",
      ].join("\n"),
    );
  });

  it("prints clock times beside seconds for a trace with dates", () => {
    const text = renderSummary(input({ startMs: Date.UTC(2024, 2, 5, 14) }));
    expect(text).toContain("  T   TIME (UTC)  REPLICAS  WHY\n  20  14:00:20    0 → 1 ");
    expect(text).toContain("  14:01:00–14:01:30  5 ");
  });

  it("lists twenty changes and counts the rest", () => {
    const steps = Array.from({ length: 30 }, (_, index) => ({
      ...RESULT.steps[0]!,
      t: index,
      replicas: index % 2,
    }));
    const text = renderSummary(input({ steps, durationSeconds: 30 }));
    expect(text).toContain("  … 9 more (--steps prints every evaluation)");
    expect(text).toContain("Replicas: 0 → 1 → 0 → 1 → … → 0 → 1;");
  });
});

describe("renderSteps", () => {
  it("prints every evaluation with its kind and why", () => {
    const lines = renderSteps(RESULT.steps, { durationSeconds: 110, color: false }).trimEnd().split("\n");
    expect(lines[0]).toMatch(/^T\s+KIND\s+REPLICAS\s+DESIRED\s+ACTIVE\s+FALLBACK\s+WHY$/);
    expect(lines[3]).toMatch(/^20\s+direct\s+1\s+1\s+yes\s+no\s+activation: trigger s0-redis-jobs is active/);
    expect(lines).toHaveLength(RESULT.steps.length + 1);
  });
});

describe("describeTrace", () => {
  const time = (overrides: Partial<TimeColumn>): TimeColumn => ({
    format: "date",
    seconds: [0, 15, 45],
    startMs: Date.UTC(2024, 2, 5, 14),
    step: 15,
    uneven: [{ line: 4, seconds: 30 }],
    ...overrides,
  });
  const trace = (column: TimeColumn, heldCells = 0) => ({
    rows: [1, 2, 3],
    time: column,
    timeHeader: "Time",
    heldCells,
  });

  it("describes an export: its time format, start and step, and notes uneven steps and held cells", () => {
    expect(
      describeTrace("g.csv", trace(time({}), 2), [{ column: "queue", trigger: "queue" }], ["s1"]),
    ).toEqual({
      input: [
        'trace g.csv: 3 rows, time in column "Time" as dates from 2024-03-05T14:00:00Z, mostly every 15 s',
        "columns: queue",
      ],
      notes: [
        "uneven steps: 1 of 2 intervals differ from 15 s, the first 30 s before line 4; each value holds until the next row",
        "2 empty cells hold the value of the row above",
        "trigger s1 has no column and reads 0",
      ],
    });
  });

  it("takes uneven rows written by hand as intended, and shortens a long series name", () => {
    const series = `keda_scaler_metrics_value{metric="s0-redis-jobs",scaledObject="orders"}`;
    const described = describeTrace(
      "t.csv",
      trace({ format: "seconds", seconds: [0, 20, 60], step: 20, uneven: [{ line: 4, seconds: 40 }] }),
      [{ column: series, trigger: "queue" }],
      [],
    );
    expect(described.notes).toEqual([]);
    expect(described.input).toEqual([
      'trace t.csv: 3 rows, time in column "Time" as seconds from 0, to 60 s',
      'columns: keda_scaler_metrics_value{metric="s0-redis-jo… → queue',
    ]);
  });
});

describe("formatDuration", () => {
  it.each([
    [45, "45 s"],
    [119, "119 s"],
    [750, "12.5 min"],
    [9000, "2.5 h"],
  ])("%s s reads %s", (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
