import { describe, expect, it } from "vitest";
import { scaledObject } from "../src/api/schema/scaled-object.ts";
import { prepareTrigger } from "../src/scalers/prepared-trigger.ts";
import { simulateWorkload } from "../src/simulate/index.ts";
import { seededRandom } from "./lib/stats.ts";
import { evaluatePlan, offlineOptimum, type OptimumProblem } from "./optimum.ts";

const tiny = (counts: number[], overrides: Partial<OptimumProblem> = {}): OptimumProblem => ({
  counts,
  serviceRate: 5,
  startupSeconds: 0,
  sloSeconds: 1,
  lateFraction: 0,
  initialReplicas: 0,
  ...overrides,
});

/** The cheapest plan with p95 within the SLO, by trying every plan of at most `most` replicas. */
function bruteForce(problem: OptimumProblem, most: number): number {
  const T = problem.counts.length;
  let best = Number.POSITIVE_INFINITY;
  const plan = new Array<number>(T).fill(0);
  const visit = (t: number) => {
    if (t === T) {
      const evaluation = evaluatePlan(problem, plan);
      if (evaluation.waitP95Seconds <= problem.sloSeconds) best = Math.min(best, evaluation.replicaSeconds);
      return;
    }
    const top = t < problem.startupSeconds ? Math.min(most, problem.initialReplicas) : most;
    for (let k = 0; k <= top; k++) {
      plan[t] = k;
      visit(t + 1);
    }
  };
  visit(0);
  return best;
}

describe("offline optimum", () => {
  it("solves a hand-checked case: two units at once, one second of SLO", () => {
    // 10 items (2 units of work) arrive in second 0. The second's middle item (position 1) must
    // leave by 1.5 s: one replica in second 0 drains it at 1.0 s; nothing else is ever late, and
    // the last unit may stay queued. Cheapest: 1 replica-second.
    const free = offlineOptimum(tiny([10, 0, 0, 0]));
    expect(free.lowerBound).toBeCloseTo(1);
    expect(free.upperBound).toBe(1);
    expect(free.plan).toEqual([1, 0, 0, 0]);
    // With a start-up of 1 s no replica can serve in second 0, so both units must go in second 1
    // (D(1.5) = 1 needs two replicas): 2 ready replica-seconds + 2 × 1 s of start-up = 4.
    const slow = offlineOptimum(tiny([10, 0, 0, 0], { startupSeconds: 1 }));
    expect(slow.lowerBound).toBeCloseTo(4);
    expect(slow.upperBound).toBe(4);
  });

  it("brackets the brute-force optimum of small random problems", () => {
    const random = seededRandom(11);
    for (let trial = 0; trial < 12; trial++) {
      const counts = Array.from({ length: 6 }, () => 5 * Math.floor(random() * 3));
      const problem = tiny(counts, {
        startupSeconds: Math.floor(random() * 3),
        sloSeconds: 1 + Math.floor(random() * 2),
        lateFraction: random() < 0.5 ? 0 : 0.25,
        initialReplicas: Math.floor(random() * 2),
      });
      const exact = bruteForce(problem, 4);
      const bounds = offlineOptimum(problem);
      expect(bounds.lowerBound, JSON.stringify(problem)).toBeLessThanOrEqual(exact + 1e-9);
      expect(bounds.upperBound, JSON.stringify(problem)).toBeGreaterThanOrEqual(exact);
      const evaluation = evaluatePlan(problem, bounds.plan);
      expect(evaluation.replicaSeconds).toBe(bounds.upperBound);
      expect(evaluation.waitP95Seconds).toBeLessThanOrEqual(problem.sloSeconds);
    }
  });

  it("replays a plan exactly as simulateWorkload counts replica-seconds and waits", () => {
    const random = seededRandom(5);
    const counts = Array.from({ length: 300 }, () => 5 * Math.floor(random() * 4));
    const object = scaledObject.parse({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "fixed", namespace: "default" },
      spec: {
        scaleTargetRef: { name: "pool" },
        minReplicaCount: 3,
        maxReplicaCount: 3,
        triggers: [{ type: "redis", metadata: { address: "redis:6379", listName: "jobs" } }],
      },
    });
    const prepared = prepareTrigger(
      object.spec.triggers[0] as never,
      0,
      { authParams: {}, resolvedEnv: {} },
      { asMetricSource: false },
    );
    const simulated = simulateWorkload({
      scaledObject: object,
      metricSpecs: [prepared.metricSpec as never],
      arrivals: counts.map((rate, t) => ({ t, rate })),
      serviceRatePerReplica: 5,
      startupDelaySeconds: 10,
      durationSeconds: counts.length,
      mode: "direct",
      initialReplicas: 3,
    });
    const replayed = evaluatePlan(
      { counts, serviceRate: 5, startupSeconds: 10, sloSeconds: 30, lateFraction: 0.05, initialReplicas: 3 },
      counts.map(() => 3),
    );
    expect(replayed.replicaSeconds).toBe(simulated.summary.replicaSeconds);
    expect(replayed.waitP95Seconds).toBeCloseTo(simulated.summary.waitP95Seconds, 9);
  });
});
