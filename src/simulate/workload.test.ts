import { describe, expect, it } from "vitest";
import { makeScaledObject, metricSpec } from "../engine/test-fixtures.ts";
import { type WorkloadOptions, simulateWorkload } from "./workload.ts";

function run(overrides: Partial<WorkloadOptions> & { spec?: Record<string, unknown> } = {}) {
  const { spec, ...rest } = overrides;
  return simulateWorkload({
    scaledObject: makeScaledObject({ spec: { maxReplicaCount: 20, ...spec } }),
    metricSpecs: [metricSpec()],
    arrivals: [{ t: 0, rate: 20 }],
    serviceRatePerReplica: 5,
    startupDelaySeconds: 10,
    durationSeconds: 600,
    mode: "direct",
    initialReplicas: 0,
    ...rest,
  });
}

describe("simulateWorkload", () => {
  it("keeps the queue empty when the minimum already has enough capacity", () => {
    // 5 replicas × 5 items/s = 25 ≥ 20 arriving: nothing queues, the HPA stays at min 5.
    const { summary } = run({ spec: { minReplicaCount: 5 }, initialReplicas: 5 });
    expect(summary).toEqual({
      replicaSeconds: 3000,
      maxReplicas: 5,
      scaleEvents: 0,
      backlogP50: 0,
      backlogP95: 0,
      backlogMax: 0,
      waitP95Seconds: 0,
      itemsServed: 12000,
    });
  });

  it("matches a hand-computed activation with a startup delay (golden)", () => {
    // One replica at most, 10 items/s arriving, 20 items/s served, 10 s startup, 300 s.
    // t=0 poll: queue 0, nothing active. t=30 poll: queue 300 → activate 1 replica, ready at t=40.
    // Queue 10·t up to 400 at t=40, then drains by 10/s to 0 at t=80 and stays empty.
    // Backlog per second: 221 zeros and the pairs 10, 10, 20, 20, …, 390, 390 plus 400 → p95 (rank 285)
    //   is the 64th non-zero value, 320.
    // Waits: the middle item of second i leaves at 40.25 + 0.5·i for i < 80, so waits 39.75 − 0.5·i;
    //   later items leave at once. p95 (rank 285 of 300 equal weights): the 65th smallest non-zero, 32.25.
    const result = run({
      spec: { maxReplicaCount: 1 },
      arrivals: [{ t: 0, rate: 10 }],
      serviceRatePerReplica: 20,
      durationSeconds: 300,
    });
    expect(result.summary).toEqual({
      replicaSeconds: 270,
      maxReplicas: 1,
      scaleEvents: 1,
      backlogP50: 0,
      backlogP95: 320,
      backlogMax: 400,
      waitP95Seconds: 32.25,
      itemsServed: 3000,
    });
    expect(
      result.steps.slice(0, 3).map((step) => [step.t, step.replicas, step.ready, step.rule, step.metrics]),
    ).toEqual([
      [0, 0, 0, "hpa-disabled", { backlog: 0 }],
      [30, 1, 0, "activation", { backlog: 300 }],
      [60, 1, 1, "max", { backlog: 200 }],
    ]);
  });

  it.each(["direct", "hpa"] as const)("keeps the backlog bounded under steady load in %s mode", (mode) => {
    // 20 items/s needs 4 replicas of 5 items/s. A queue-length trigger reads 0 once the queue is drained,
    // so the object cools down to zero and activates again: a sawtooth whose peak is what piles up during
    // one poll interval, the startup delay and the HPA's ramp-up (about 1250 items here), never growing.
    const { summary } = run({ mode, durationSeconds: 1800 });
    expect(summary.backlogMax).toBeLessThan(1500);
    expect(summary.backlogP50).toBe(0);
    expect(summary.maxReplicas).toBe(20);
    // Every arrival is either served or still queued (at most backlogMax).
    expect(summary.itemsServed).toBeLessThanOrEqual(20 * 1800);
    expect(summary.itemsServed).toBeGreaterThanOrEqual(20 * 1800 - summary.backlogMax);
  });

  it("never lets the backlog grow when the minimum keeps up, even with a queue-length trigger", () => {
    const { summary } = run({ spec: { minReplicaCount: 4 }, initialReplicas: 4, durationSeconds: 1800 });
    expect(summary.backlogMax).toBe(0);
    expect(summary.itemsServed).toBe(20 * 1800);
  });

  it("is deterministic", () => {
    expect(run({ mode: "hpa" })).toEqual(run({ mode: "hpa" }));
  });
});

describe("simulateWorkload until the queue drains", () => {
  const untilDrained = { settleSeconds: 60, limitSeconds: 7 * 24 * 3600 };

  it("runs past the nominal end until the queue drains, then long enough to show the scale-in", () => {
    // 30 items/s for 60 s against at most 2 replicas × 5 items/s: 1200 items are left at t=60 and
    // drain at 10 items/s from when both replicas serve.
    const { end, summary } = run({
      spec: { maxReplicaCount: 2 },
      arrivals: [
        { t: 0, rate: 30 },
        { t: 60, rate: 0 },
      ],
      durationSeconds: 120,
      untilDrained,
    });
    expect(end.reason).toBe("drained");
    expect(end.queue).toBe(0);
    expect(end.drainedAt).toBeGreaterThan(120);
    expect(end.seconds).toBe((end.drainedAt as number) + 60);
    expect(end.message).toMatch(/^the queue drained at .+, after the last arrivals; simulated 60 s more/);
    expect(summary.itemsServed).toBe(1800);
  });

  it("stops, and says why, when arrivals outpace the most replicas allowed", () => {
    const { end } = run({
      spec: { maxReplicaCount: 2 },
      arrivals: [{ t: 0, rate: 30 }],
      durationSeconds: 120,
      untilDrained,
    });
    expect(end.reason).toBe("not-draining");
    expect(end.queue).toBeGreaterThan(0);
    expect(end.message).toMatch(
      /^the queue stopped draining at .+ with [\d.]+ items: 2 ready replicas serve 10 items\/s \(maxReplicaCount 2\) and 30 items\/s arrive$/,
    );
  });

  it("with a fixed duration, says how many items are still queued", () => {
    const { end } = run({
      spec: { maxReplicaCount: 2 },
      arrivals: [{ t: 0, rate: 30 }],
      durationSeconds: 100,
    });
    expect(end.reason).toBe("duration");
    expect(end.seconds).toBe(100);
    expect(end.message).toMatch(/^[\d.]+ items are still queued at the end \(--duration 100 s\)$/);
  });

  it("stops at the limit when the queue shrinks too slowly to drain in time", () => {
    const { end } = run({
      spec: { maxReplicaCount: 1 },
      arrivals: [
        { t: 0, rate: 100 },
        { t: 100, rate: 4.9 },
      ],
      durationSeconds: 120,
      untilDrained: { settleSeconds: 60, limitSeconds: 600 },
    });
    expect(end).toMatchObject({ reason: "limit", seconds: 600 });
    expect(end.message).toMatch(
      /^stopped at 10 min, the longest simulation, with [\d.]+ items still queued$/,
    );
  });
});
