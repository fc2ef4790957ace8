import { describe, expect, it } from "vitest";
import type { HpaBehavior } from "../../api/schema/hpa-behavior.ts";
import type { HpaMetricReading, HpaModel, HpaState } from "../types.ts";
import { type HpaSyncResult, hpaSync } from "./sync.ts";

const T0 = Date.UTC(2026, 0, 1);
const at = (seconds: number) => T0 + seconds * 1000;
const EMPTY: HpaState = { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
/** An HPA the controller has synced before: its one recommendation is older than any window. */
const SYNCED: HpaState = { ...EMPTY, recommendations: [{ at: at(-3600), replicas: 1 }] };

function model(overrides: Partial<HpaModel> = {}): HpaModel {
  return {
    minReplicas: 1,
    maxReplicas: 100,
    metrics: [{ metricName: "m", targetType: "AverageValue", target: 10 }],
    ...overrides,
  };
}

function syncOnce(hpa: HpaModel, current: number, metrics: HpaMetricReading[], now = T0, state = EMPTY) {
  return hpaSync({
    model: hpa,
    metrics,
    specReplicas: current,
    statusReplicas: current,
    readyPods: current,
    now,
    state,
  });
}

/**
 * Runs syncs in order, each seeing the replicas the previous one chose (as the target would after a
 * rescale). Each sync is [seconds after T0, metric value]. Returns the desired count of each sync.
 */
function run(
  hpa: HpaModel,
  initial: number,
  syncs: [number, number][],
  initialState = EMPTY,
): { desired: number[]; last: HpaSyncResult } {
  let current = initial;
  let state = initialState;
  const desired: number[] = [];
  let last: HpaSyncResult | undefined;
  for (const [seconds, value] of syncs) {
    last = syncOnce(hpa, current, [{ metricName: "m", value }], at(seconds), state);
    desired.push(last.desiredReplicas);
    current = last.desiredReplicas;
    state = last.state;
  }
  if (!last) throw new Error("no syncs");
  return { desired, last };
}

describe("hpaSync: before the metrics", () => {
  it.each([
    // current, min, max, expected, rule
    [0, 1, 10, 0, "hpa-disabled"],
    [12, 1, 10, 10, "max"],
    [1, 3, 10, 3, "min"],
  ] as const)("current %d with min %d max %d → %d (%s)", (current, min, max, expected, rule) => {
    const result = syncOnce(model({ minReplicas: min, maxReplicas: max }), current, [
      { metricName: "m", value: 500 },
    ]);
    expect(result.desiredReplicas).toBe(expected);
    expect(result.boundedBy).toBe(rule);
    expect(result.proposals).toEqual([]);
  });
});

describe("hpaSync: several metrics and metric errors", () => {
  const two = model({
    metrics: [
      { metricName: "a", targetType: "AverageValue", target: 10 },
      { metricName: "b", targetType: "AverageValue", target: 10 },
    ],
  });

  it.each([
    // readings of a and b, current, expected, rule
    [{ value: 30 }, { value: 50 }, 2, 4, "scale-up-limit"], // max(3, 5) = 5, limited to max(2 × 2, 4) = 4
    [{ value: 30 }, { value: 50 }, 3, 5, "metric"],
    [{ value: 10 }, { value: 2 }, 3, 1, "metric"], // max(1, 1) = 1
    [{ error: "down" }, { value: 50 }, 3, 5, "metric"], // the valid metric scales out: go on
    [{ error: "down" }, { value: 10 }, 3, 3, "metric-error"], // it would scale in: hold
    [{ error: "down" }, { value: 30 }, 3, 3, "tolerance"], // it proposes exactly the current count
    [{ error: "down" }, { error: "also down" }, 3, 3, "metric-error"],
  ] as const)("a %j b %j at %d → %d (%s)", (a, b, current, expected, rule) => {
    const readings = [
      { metricName: "a", ...a },
      { metricName: "b", ...b },
    ];
    const result = syncOnce(two, current, readings, T0, SYNCED);
    expect(result.desiredReplicas).toBe(expected);
    expect(result.boundedBy).toBe(rule);
  });

  it("treats a missing reading as an error", () => {
    const result = syncOnce(model(), 3, []);
    expect(result.boundedBy).toBe("metric-error");
    expect(result.steps[0]?.detail).toContain("no value for metric m");
  });
});

describe("hpaSync without behavior (legacy normalization)", () => {
  it.each([
    // current, value (target 10), max, expected, rule
    [1, 200, 100, 4, "scale-up-limit"], // max(2 × 1, 4) = 4
    [2, 200, 100, 4, "scale-up-limit"],
    [5, 200, 100, 10, "scale-up-limit"], // 2 × 5
    [5, 200, 8, 8, "max"], // maxReplicas 8 is below the limit of 10
    [5, 70, 100, 7, "metric"],
  ] as const)("current %d value %d max %d → %d (%s)", (current, value, max, expected, rule) => {
    const result = syncOnce(model({ maxReplicas: max }), current, [{ metricName: "m", value }]);
    expect(result.desiredReplicas).toBe(expected);
    expect(result.boundedBy).toBe(rule);
  });

  it("raises a proposal below minReplicas to the minimum", () => {
    const result = syncOnce(model({ minReplicas: 2 }), 3, [{ metricName: "m", value: 0 }], T0, SYNCED);
    expect(result.desiredReplicas).toBe(2);
    expect(result.boundedBy).toBe("min");
  });

  it("keeps the highest recommendation of the last 300 s, inclusive at the edge", () => {
    // 50 at t=0 recommends 5; afterwards 20 recommends 2. The 5 counts while it is at most 300 s old.
    const { desired } = run(model(), 5, [
      [0, 50],
      [60, 20],
      [300, 20],
      [300.001, 20],
    ]);
    expect(desired).toEqual([5, 5, 5, 2]);
  });

  it("replaces the last recommendation older than the window instead of growing", () => {
    // At t=500 both earlier samples are older than 300 s; like the controller, the later one is reused.
    const { last } = run(
      model(),
      5,
      [
        [0, 50],
        [100, 50],
        [500, 50],
      ],
      SYNCED,
    );
    expect(last.state.recommendations).toEqual([
      { at: at(0), replicas: 5 },
      { at: at(500), replicas: 5 },
    ]);
  });

  it("honours a different controller stabilization window", () => {
    const result = hpaSync({
      model: model(),
      metrics: [{ metricName: "m", value: 20 }],
      specReplicas: 5,
      statusReplicas: 5,
      readyPods: 5,
      now: at(61),
      state: { ...EMPTY, recommendations: [{ at: at(0), replicas: 5 }] },
      downscaleStabilizationSeconds: 60,
    });
    expect(result.desiredReplicas).toBe(2);
  });

  it("stores no scale events", () => {
    const { last } = run(model(), 1, [[0, 200]]);
    expect(last.state.scaleUpEvents).toEqual([]);
  });
});

describe("hpaSync on first sight (recordInitialRecommendation)", () => {
  it("remembers the current count, so a new HPA does not scale in within the window", () => {
    // 20 recommends 2 from the start, but the 5 the HPA found at t=0 counts for 300 s.
    const { desired, last } = run(model(), 5, [
      [0, 20],
      [300, 20],
      [300.001, 20],
    ]);
    expect(desired).toEqual([5, 5, 2]);
    expect(last.state.recommendations).toHaveLength(3);
  });

  it("counts it in a behavior's scale-down window too", () => {
    const behavior: HpaBehavior = { scaleDown: { stabilizationWindowSeconds: 60 } };
    const { desired } = run(model({ behavior }), 5, [
      [0, 10],
      [60.001, 10],
    ]);
    expect(desired).toEqual([5, 1]);
  });

  it("records it even when the sync stops before the metrics", () => {
    expect(syncOnce(model(), 0, []).state.recommendations).toEqual([{ at: T0, replicas: 0 }]);
    expect(syncOnce(model({ maxReplicas: 3 }), 7, []).state.recommendations).toEqual([
      { at: T0, replicas: 7 },
    ]);
  });

  it("adds nothing once the HPA has a memory", () => {
    const result = syncOnce(model(), 5, [], T0, SYNCED);
    expect(result.state.recommendations).toEqual(SYNCED.recommendations);
  });
});

describe("hpaSync with behavior", () => {
  const withBehavior = (behavior: HpaBehavior, overrides: Partial<HpaModel> = {}) =>
    model({ behavior, ...overrides });

  it("fills the API server's defaults: scale up by max(4 pods, 100%) per 15 s", () => {
    // t=0: from 2, Pods 2+4=6 and Percent ceil(2×2)=4 → Max 6.
    // t=10: the +4 of t=0 is within 15 s, so the period started at 2 again → limit 6.
    // t=16: the event is older than 15 s → Pods 6+4=10, Percent 12 → 12.
    const { desired, last } = run(withBehavior({}), 2, [
      [0, 200],
      [10, 200],
      [16, 200],
    ]);
    expect(desired).toEqual([6, 6, 12]);
    expect(last.boundedBy).toBe("scale-up-limit");
    expect(last.state.scaleUpEvents).toEqual([{ at: at(16), replicaChange: 6 }]);
  });

  it("defaults the scale-down window to the controller's 300 s when only policies are set", () => {
    const { desired } = run(
      withBehavior({ scaleDown: { policies: [{ type: "Percent", value: 100, periodSeconds: 15 }] } }),
      5,
      [
        [0, 50],
        [60, 10],
        [301, 10],
      ],
    );
    expect(desired).toEqual([5, 5, 1]);
  });

  it("keeps default policies when only the window is set", () => {
    const { desired } = run(withBehavior({ scaleDown: { stabilizationWindowSeconds: 0 } }), 10, [[0, 10]]);
    expect(desired).toEqual([1]); // Percent 100 per 15 s allows going straight to 1
  });

  it.each([
    // selectPolicy, expected from 2 with proposal 20: Pods 2+4=6, Percent ceil(2 × 1.5)=3
    ["Max", 6, "scale-up-limit"],
    ["Min", 3, "scale-up-limit"],
    ["Disabled", 2, "scale-up-limit"],
  ] as const)("scale-up selectPolicy %s → %d", (selectPolicy, expected, rule) => {
    const behavior: HpaBehavior = {
      scaleUp: {
        selectPolicy,
        policies: [
          { type: "Pods", value: 4, periodSeconds: 60 },
          { type: "Percent", value: 50, periodSeconds: 60 },
        ],
      },
    };
    const result = syncOnce(withBehavior(behavior), 2, [{ metricName: "m", value: 200 }]);
    expect(result.desiredReplicas).toBe(expected);
    expect(result.boundedBy).toBe(rule);
  });

  it.each([
    // selectPolicy, expected from 10 with proposal 1: Pods 10-3=7, Percent trunc(10 × 0.5)=5
    ["Max", 5],
    ["Min", 7],
    ["Disabled", 10],
  ] as const)("scale-down selectPolicy %s → %d", (selectPolicy, expected) => {
    const behavior: HpaBehavior = {
      scaleDown: {
        stabilizationWindowSeconds: 0,
        selectPolicy,
        policies: [
          { type: "Pods", value: 3, periodSeconds: 60 },
          { type: "Percent", value: 50, periodSeconds: 60 },
        ],
      },
    };
    const result = syncOnce(withBehavior(behavior), 10, [{ metricName: "m", value: 10 }]);
    expect(result.desiredReplicas).toBe(expected);
    expect(result.boundedBy).toBe("scale-down-limit");
  });

  it("truncates the Percent scale-down limit like int32()", () => {
    // trunc(7 × 0.7) = trunc(4.9) = 4
    const behavior: HpaBehavior = {
      scaleDown: {
        stabilizationWindowSeconds: 0,
        policies: [{ type: "Percent", value: 30, periodSeconds: 60 }],
      },
    };
    expect(syncOnce(withBehavior(behavior), 7, [{ metricName: "m", value: 10 }]).desiredReplicas).toBe(4);
  });

  it("rounds the Percent scale-up limit up", () => {
    // ceil(3 × 1.1) = ceil(3.3) = 4
    const behavior: HpaBehavior = {
      scaleUp: { policies: [{ type: "Percent", value: 10, periodSeconds: 60 }] },
    };
    expect(syncOnce(withBehavior(behavior), 3, [{ metricName: "m", value: 200 }]).desiredReplicas).toBe(4);
  });

  it("counts the scale-down events of a policy's period", () => {
    // Pods 2 per 60 s: 10 → 8 at t=0; at t=30 the period started at 10, so 8 is the floor;
    // at t=61 the event has left the period → 6.
    const behavior: HpaBehavior = {
      scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] },
    };
    const { desired, last } = run(withBehavior(behavior), 10, [
      [0, 10],
      [30, 10],
      [61, 10],
    ]);
    expect(desired).toEqual([8, 8, 6]);
    expect(last.state.scaleDownEvents).toEqual([{ at: at(61), replicaChange: 2 }]);
  });

  it("credits recent scale-downs to the scale-up budget", () => {
    // 10 → 5 at t=0 (Pods 5 down). At t=10 the scale-up period started at 5 - 0 + 5 = 10, so Pods 2 allows 12.
    const behavior: HpaBehavior = {
      scaleUp: { policies: [{ type: "Pods", value: 2, periodSeconds: 60 }] },
      scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: "Pods", value: 5, periodSeconds: 60 }] },
    };
    const { desired } = run(withBehavior(behavior), 10, [
      [0, 50],
      [10, 200],
    ]);
    expect(desired).toEqual([5, 12]);
  });

  it("applies the scale-up window: the lowest recent recommendation, exclusive at the edge", () => {
    // window 60 s: 2 recorded at t=0 holds 8 back until t=60, when t=0 falls out (it must be newer than the cutoff).
    const behavior: HpaBehavior = { scaleUp: { stabilizationWindowSeconds: 60 } };
    const { desired, last } = run(withBehavior(behavior), 2, [
      [0, 20],
      [30, 80],
      [59.999, 80],
      [60, 80],
    ]);
    expect(desired).toEqual([2, 2, 2, 6]);
    expect(last.steps.map((step) => step.rule)).toEqual(["metric", "scale-up-limit"]);
  });

  it("applies the scale-down window: the highest recent recommendation", () => {
    const behavior: HpaBehavior = { scaleDown: { stabilizationWindowSeconds: 60 } };
    const { desired, last } = run(withBehavior(behavior), 5, [
      [0, 50],
      [30, 10],
      [59, 10],
      [60, 10],
    ]);
    expect(desired).toEqual([5, 5, 5, 1]);
    expect(last.boundedBy).toBe("metric");
  });

  it("reports the window that held the count", () => {
    const behavior: HpaBehavior = { scaleDown: { stabilizationWindowSeconds: 60 } };
    const { last } = run(withBehavior(behavior), 5, [
      [0, 50],
      [30, 10],
    ]);
    expect(last.boundedBy).toBe("stabilization");
    expect(last.steps[1]?.detail).toBe("scale-down window: highest recommendation of the last 60 s is 5");
  });

  it("caps at maxReplicas when the policies would allow more", () => {
    const result = syncOnce(withBehavior({}, { maxReplicas: 5 }), 4, [{ metricName: "m", value: 200 }]);
    expect(result.desiredReplicas).toBe(5);
    expect(result.boundedBy).toBe("max");
  });

  it("stops at minReplicas when the policies would allow less", () => {
    const behavior: HpaBehavior = { scaleDown: { stabilizationWindowSeconds: 0 } };
    const result = syncOnce(withBehavior(behavior, { minReplicas: 3 }), 6, [{ metricName: "m", value: 0 }]);
    expect(result.desiredReplicas).toBe(3);
    expect(result.boundedBy).toBe("min");
  });

  it("stores a scale event even when a bound (not the metrics) moved the count", () => {
    const result = syncOnce(withBehavior({}, { minReplicas: 3 }), 1, []);
    expect(result.state.scaleUpEvents).toEqual([{ at: T0, replicaChange: 2 }]);
  });
});

describe("hpaSync purity", () => {
  it("does not modify its input state", () => {
    const state: HpaState = {
      recommendations: [{ at: T0, replicas: 3 }],
      scaleUpEvents: [],
      scaleDownEvents: [],
    };
    const copy = structuredClone(state);
    syncOnce(model({ behavior: {} }), 3, [{ metricName: "m", value: 90 }], at(10), state);
    expect(state).toEqual(copy);
  });
});
