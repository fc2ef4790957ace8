import { describe, expect, it } from "vitest";
import { makeScaledObject, metricSpec } from "../engine/test-fixtures.ts";
import { holdLabel, replicaHolds } from "./holds.ts";
import { simulate } from "./simulate.ts";

// The CLI's queue-worker: polling 10 s, cooldown 30 s, max 10, 5 items per replica; the queue is 25
// from t=20 to t=60.
function burst(mode: "direct" | "hpa") {
  return simulate({
    scaledObject: makeScaledObject({
      spec: { pollingInterval: 10, cooldownPeriod: 30, maxReplicaCount: 10 },
    }),
    metricSpecs: [metricSpec({ target: 5 })],
    trace: {
      columns: ["s0"],
      rows: [
        { t: 0, cells: [0] },
        { t: 20, cells: [25] },
        { t: 60, cells: [0] },
      ],
    },
    mode,
    initialReplicas: 0,
    durationSeconds: 110,
  });
}

describe("replicaHolds", () => {
  it("finds the scale-down stabilization window holding 5 replicas the metrics no longer ask for", () => {
    const { steps } = burst("direct");
    expect(replicaHolds(0, steps, 110)).toEqual([
      {
        rule: "stabilization",
        from: 60,
        to: 90, // KEDA scales to zero once the cooldown has passed
        replicas: 5,
        detail: "highest recommendation of the last 300 s is 5",
        recommended: 0,
      },
    ]);
  });

  it("in hpa mode finds KEDA's cooldown and the HPA's window side by side", () => {
    const holds = replicaHolds(0, burst("hpa").steps, 110);
    expect(holds.map(({ rule, from, to, replicas }) => [rule, from, to, replicas])).toEqual([
      ["cooldown", 60, 90, 5],
      ["stabilization", 60, 90, 5],
    ]);
    expect(holds[0]?.detail).toBe("inactive, 20 s left of the 30 s cooldown");
  });

  it("ends a hold at the end of the run, and at another rule of the same evaluation kind", () => {
    const step = (t: number, rule: "stabilization" | "metric", replicas = 3) => ({
      t,
      kind: "direct" as const,
      replicas,
      desired: replicas,
      active: true,
      fallback: false,
      rule,
      reason: "",
      metrics: {},
      ...(rule === "stabilization" ? { hold: { rule, detail: "kept" } } : {}),
    });
    const steps = [
      step(0, "metric"),
      step(10, "stabilization"),
      step(20, "metric"),
      step(30, "stabilization"),
    ];
    expect(replicaHolds(3, steps, 50).map(({ from, to }) => [from, to])).toEqual([
      [10, 20],
      [30, 50],
    ]);
  });

  it("labels holds in a person's words", () => {
    expect(holdLabel({ rule: "stabilization", replicas: 5, recommended: 0 })).toBe(
      "scale-down stabilization window",
    );
    expect(holdLabel({ rule: "stabilization", replicas: 2, recommended: 6 })).toBe(
      "scale-up stabilization window",
    );
    expect(holdLabel({ rule: "cooldown", replicas: 5 })).toBe("cooldown before scaling to zero");
  });
});
