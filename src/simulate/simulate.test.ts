import { describe, expect, it } from "vitest";
import { makeScaledObject, metricSpec } from "../engine/test-fixtures.ts";
import type { MetricTrace } from "./metric-trace.ts";
import { type SimulationOptions, simulate } from "./simulate.ts";

// A redis-like trigger: target 10 items per replica, activation above 0; the ScaledObject keeps its
// defaults (pollingInterval 30 s, cooldownPeriod 300 s, min 0, max 100, no behavior).
// The queue reads 0, jumps to 45 at t=60 and drops back to 0 at t=300.
const QUEUE_TRACE: MetricTrace = {
  columns: ["s0"],
  rows: [
    { t: 0, cells: [0] },
    { t: 60, cells: [45] },
    { t: 300, cells: [0] },
  ],
};

function run(overrides: Partial<SimulationOptions> = {}) {
  return simulate({
    scaledObject: makeScaledObject(),
    metricSpecs: [metricSpec()],
    trace: QUEUE_TRACE,
    mode: "direct",
    initialReplicas: 0,
    durationSeconds: 900,
    ...overrides,
  });
}

type Expected = [t: number, kind: string, replicas: number, rule: string];

/** Steps every `period` seconds from `from` up to and including `to`, all alike. */
function repeat(
  from: number,
  to: number,
  period: number,
  kind: string,
  replicas: number,
  rule: string,
): Expected[] {
  const steps: Expected[] = [];
  for (let t = from; t <= to; t += period) steps.push([t, kind, replicas, rule]);
  return steps;
}

describe("simulate, direct mode (golden)", () => {
  it("activates, scales with the HPA's math, holds through stabilization, and drops to zero after the cooldown", () => {
    const result = run();
    // t=0, 30: queue 0 → inactive at 0 replicas; the HPA is disabled at 0.
    // t=60: queue 45 > 0 → KEDA activates 0 → 1 (the HPA does not run in the same poll).
    // t=90: ceil(45 / 10) = 5, but without behavior at most max(2 × 1, 4) = 4 per sync.
    // t=120: 45 / (10 × 4) = 1.125 is outside the 10 % band → ceil(4.5) = 5.
    // t=150-270: 45 / (10 × 5) = 0.9 is inside the band → keep 5. Last active poll: t=270.
    // t=300-570: queue 0 → the metric asks for 0, but the 300 s window still holds recommendations of 5
    //            (the last one from t=270 is exactly 300 s old at t=570 and still counts); KEDA cools down
    //            until 270 + 300 = 570 < now.
    // t=600: the cooldown is over → KEDA scales 5 → 0; afterwards the HPA is disabled at 0.
    const expected: Expected[] = [
      ...repeat(0, 30, 30, "direct", 0, "hpa-disabled"),
      [60, "direct", 1, "activation"],
      [90, "direct", 4, "scale-up-limit"],
      [120, "direct", 5, "metric"],
      ...repeat(150, 270, 30, "direct", 5, "tolerance"),
      ...repeat(300, 570, 30, "direct", 5, "stabilization"),
      [600, "direct", 0, "deactivation"],
      ...repeat(630, 870, 30, "direct", 0, "hpa-disabled"),
    ];
    expect(result.steps.map((step) => [step.t, step.kind, step.replicas, step.rule])).toEqual(expected);
    // 1 × 30 s + 4 × 30 s + 5 × 480 s
    expect(result.summary).toEqual({ replicaSeconds: 2550, maxReplicas: 5, scaleEvents: 4 });
  });

  it("reports activity and the metric values at each step", () => {
    const steps = run().steps;
    expect(steps[2]).toMatchObject({ t: 60, active: true, fallback: false, metrics: { s0: 45 } });
    expect(steps[2]?.reason).toBe("0 → 1 replicas; activation: trigger s0-redis-jobs is active (45 > 0)");
    expect(steps[10]).toMatchObject({ t: 300, active: false, metrics: { s0: 0 } });
  });
});

describe("simulate, hpa mode (golden)", () => {
  it("runs KEDA every 30 s and the HPA every 15 s", () => {
    const result = run({ mode: "hpa" });
    // Polls at 0, 30, …, 870 and syncs at 0, 15, …, 885; at equal times the poll goes first.
    // t=0-45: nothing is active; every sync finds 0 replicas and is disabled.
    // t=60 poll: activation 0 → 1. t=60 sync: ceil(45 / 10) = 5 limited to max(2 × 1, 4) = 4.
    // t=75 sync: 45 / 40 = 1.125 → 5. Then 45 / 50 = 0.9 keeps 5 (the last sync reading 45 is t=285;
    //   the last active poll is t=270).
    // t=300-585: the metric asks for 0, the window holds 5 (the t=285 recommendation is exactly 300 s old
    //   at t=585). Polls report the cooldown until 270 + 300 = 570 < now.
    // t=600 poll: 5 → 0. Later syncs are disabled at 0; later polls find nothing active.
    const expected: Expected[] = [
      [0, "keda", 0, "unchanged"],
      [0, "hpa", 0, "hpa-disabled"],
      [15, "hpa", 0, "hpa-disabled"],
      [30, "keda", 0, "unchanged"],
      [30, "hpa", 0, "hpa-disabled"],
      [45, "hpa", 0, "hpa-disabled"],
      [60, "keda", 1, "activation"],
      [60, "hpa", 4, "scale-up-limit"],
      [75, "hpa", 5, "metric"],
    ];
    for (let t = 90; t <= 285; t += 15) {
      if (t % 30 === 0) expected.push([t, "keda", 5, "unchanged"]);
      expected.push([t, "hpa", 5, "tolerance"]);
    }
    for (let t = 300; t <= 585; t += 15) {
      if (t % 30 === 0) expected.push([t, "keda", 5, "cooldown"]);
      expected.push([t, "hpa", 5, "stabilization"]);
    }
    expected.push(
      [600, "keda", 0, "deactivation"],
      [600, "hpa", 0, "hpa-disabled"],
      [615, "hpa", 0, "hpa-disabled"],
    );
    for (let t = 630; t <= 885; t += 15) {
      if (t % 30 === 0) expected.push([t, "keda", 0, "unchanged"]);
      expected.push([t, "hpa", 0, "hpa-disabled"]);
    }
    expect(result.steps.map((step) => [step.t, step.kind, step.replicas, step.rule])).toEqual(expected);
    // 1 replica for 0 s at t=60, 4 × 15 s, then 5 × 525 s
    expect(result.summary).toEqual({ replicaSeconds: 2685, maxReplicas: 5, scaleEvents: 4 });
  });
});

describe("simulate", () => {
  it("ends on the same replica count in both modes for a steady trace", () => {
    const steady: MetricTrace = { columns: ["s0"], rows: [{ t: 0, cells: [73] }] };
    const direct = run({ trace: steady, initialReplicas: 2 });
    const hpa = run({ trace: steady, initialReplicas: 2, mode: "hpa" });
    expect(direct.steps.at(-1)?.replicas).toBe(8);
    expect(hpa.steps.at(-1)?.replicas).toBe(8);
  });

  it("falls back after failureThreshold failing polls", () => {
    // From t=60 the scaler fails. Polls at 60 and 90 count failures 1 and 2 (threshold 2); the poll at
    // t=120 counts the third, so from then on KEDA serves 10 × 6 and the HPA moves to 6.
    const result = run({
      scaledObject: makeScaledObject({ spec: { fallback: { failureThreshold: 2, replicas: 6 } } }),
      trace: {
        columns: ["s0"],
        rows: [
          { t: 0, cells: [25] },
          { t: 60, cells: ["error"] },
        ],
      },
      initialReplicas: 3,
      durationSeconds: 180,
    });
    expect(result.steps.map((step) => [step.t, step.replicas, step.fallback])).toEqual([
      [0, 3, false],
      [30, 3, false],
      [60, 3, false],
      [90, 3, false],
      [120, 6, true],
      [150, 6, true],
    ]);
    expect(result.steps[2]?.metrics).toEqual({ s0: null });
  });

  it("matches columns by trigger name and rejects unknown ones", () => {
    const named = [metricSpec({ name: "queue" })];
    const trace: MetricTrace = { columns: ["queue"], rows: [{ t: 0, cells: [15] }] };
    expect(run({ metricSpecs: named, trace, initialReplicas: 1 }).steps[0]?.replicas).toBe(2);
    expect(() => run({ trace: { columns: ["nope"], rows: [] } })).toThrow(
      'trace column "nope" matches no trigger',
    );
    expect(() => run({ trace: { columns: ["s0"], rows: [{ t: 0, cells: [1, 2] }] } })).toThrow(
      "has 2 values for 1 columns",
    );
  });

  it("returns the decision traces on request", () => {
    const result = run({ includeTraces: true, durationSeconds: 60 });
    expect(result.traces).toHaveLength(2);
    expect(result.traces?.[0]?.kind).toBe("ScaledObject");
    expect(run({ durationSeconds: 60 }).traces).toBeUndefined();
  });

  it("is deterministic", () => {
    expect(run({ mode: "hpa" })).toEqual(run({ mode: "hpa" }));
  });
});
