import { describe, expect, it } from "vitest";
import { type ScaledJob, scaledJob } from "../api/schema/scaled-job.ts";
import { ANNOTATIONS } from "./annotations.ts";
import { decideScaledJob, scaledJobMaxReplicaCount, scaledJobMinReplicaCount } from "./scaled-job.ts";
import { T0, errorSample, metricSpec, valueSample } from "./test-fixtures.ts";
import type { TriggerMetricSpec, TriggerSample } from "./types.ts";

function makeScaledJob(spec: Record<string, unknown> = {}, annotations?: Record<string, string>): ScaledJob {
  return scaledJob.parse({
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledJob",
    metadata: { name: "import", namespace: "default", ...(annotations ? { annotations } : {}) },
    spec: {
      jobTargetRef: { template: { spec: { containers: [{ name: "worker", image: "worker:1" }] } } },
      maxReplicaCount: 10,
      triggers: [{ type: "redis", metadata: {} }],
      ...spec,
    },
  });
}

const QUEUE = metricSpec({ target: 5 });

function decide(
  spec: Record<string, unknown>,
  samples: TriggerSample[],
  running: number,
  pending = 0,
  specs: TriggerMetricSpec[] = [QUEUE],
) {
  return decideScaledJob({
    scaledJob: makeScaledJob(spec),
    metricSpecs: specs,
    samples,
    runningJobs: running,
    pendingJobs: pending,
    now: T0,
  });
}

describe("ScaledJob replica helpers", () => {
  it.each([
    [0, 10, 0, 10],
    [3, 10, 3, 7],
    [12, 10, 10, 10],
  ])("min %d max %d → MinReplicaCount %d, MaxReplicaCount %d", (min, max, expectedMin, expectedMax) => {
    const job = makeScaledJob({ minReplicaCount: min, maxReplicaCount: max });
    expect(scaledJobMinReplicaCount(job)).toBe(expectedMin);
    expect(scaledJobMaxReplicaCount(job)).toBe(expectedMax);
  });
});

describe("decideScaledJob: strategies", () => {
  // Queue 23 with 5 items per job: maxValue = min(23 / 5, 10) = 4.6 → maxScale 5; scaleTo = 23.
  it.each([
    // strategy settings, running, pending, jobs to create, why
    [{ strategy: "default" }, 2, 0, 3, "5 - 2 running"],
    [{ strategy: "default" }, 6, 0, 0, "5 - 6 is negative: clamped to 0"],
    [
      { strategy: "custom", customScalingQueueLengthDeduction: 1, customScalingRunningJobPercentage: "0.5" },
      3,
      0,
      3,
      "min(5 - 1 - trunc(3 × 0.5), 10) = 3",
    ],
    [
      { strategy: "custom", customScalingRunningJobPercentage: "half" },
      3,
      0,
      2,
      "percentage does not parse: default 5 - 3",
    ],
    [{ strategy: "accurate" }, 2, 1, 4, "5 + 2 - 1 = 6 ≤ 10, so 5 - 1 pending"],
    [{ strategy: "accurate" }, 8, 1, 2, "5 + 8 - 1 = 12 > 10, so 10 - 8"],
    [{ strategy: "eager" }, 2, 1, 5, "min(10 - 2 - 1, 5) = 5, scaleTo 10"],
    [{ strategy: "eager" }, 7, 1, 2, "min(10 - 7 - 1, 5) = 2"],
  ])("%j with %d running and %d pending creates %d (%s)", (scalingStrategy, running, pending, jobs, _why) => {
    const decision = decide({ scalingStrategy }, [valueSample(23)], running, pending);
    expect(decision.maxScale).toBe(5);
    expect(decision.queueLength).toBe(23);
    expect(decision.jobsToCreate).toBe(jobs);
  });

  it("explains the strategy in the trace", () => {
    const decision = decide({ scalingStrategy: { strategy: "accurate" } }, [valueSample(23)], 2, 1);
    expect(decision.trace.steps.map((step) => step.detail)).toEqual([
      "queue length 23 (max of active triggers) → maxScale 5, scaleTo 23",
      "accurate: 5 - 1 pending = 4",
    ]);
    expect(decision.trace.desiredReplicas).toBe(6);
  });
});

describe("decideScaledJob: minReplicaCount", () => {
  it.each([
    // running, queue, jobs: min 2, max 10 → MaxReplicaCount() 8
    [1, 23, 1, "below min: create min - running"],
    [0, 0, 2, "min > 0 makes the object active even with an empty queue"],
    [3, 23, 4, "r = 3 - 2 = 1: default 5 - 1"],
  ])("%d running, queue %d → %d jobs (%s)", (running, queue, jobs, _why) => {
    expect(decide({ minReplicaCount: 2 }, [valueSample(queue)], running).jobsToCreate).toBe(jobs);
  });
});

describe("decideScaledJob: activity", () => {
  it.each([
    [0, false, 0],
    [3, true, 1],
  ])("queue %d → active %j, %d jobs", (queue, active, jobs) => {
    const decision = decide({}, [valueSample(queue)], 0);
    expect(decision.active).toBe(active);
    expect(decision.jobsToCreate).toBe(jobs);
    expect(decision.lastActiveTime).toBe(active ? T0 : undefined);
  });

  it("creates nothing while paused", () => {
    const decision = decideScaledJob({
      scaledJob: makeScaledJob({}, { [ANNOTATIONS.paused]: "true" }),
      metricSpecs: [QUEUE],
      samples: [valueSample(23)],
      runningJobs: 0,
      pendingJobs: 0,
      now: T0,
    });
    expect(decision.jobsToCreate).toBe(0);
    expect(decision.paused).toBe(true);
    expect(decision.conditions).toContainEqual({
      type: "Paused",
      status: "True",
      reason: "ScaledJobPaused",
      message: "ScaledJob is paused",
    });
  });
});

describe("decideScaledJob: multipleScalersCalculation", () => {
  // Two triggers: queue 23 at 5 per job (maxValue 4.6) and queue 40 at 10 per job (maxValue 4).
  const specs = [QUEUE, metricSpec({ index: 1, metricName: "s1-redis-jobs", target: 10 })];
  const samples = [valueSample(23), valueSample(40, "s1-redis-jobs")];

  it.each([
    ["max", 40, 4, 4], // the larger queue, 40, with its maxValue 4
    ["min", 23, 5, 5], // the smaller queue, 23, with maxValue 4.6
    ["avg", 32, 5, 5], // queue (23 + 40) / 2 = 31.5, maxValue (4.6 + 4) / 2 = 4.3
    ["sum", 63, 9, 9], // queue 63, maxValue 8.6
  ])("%s → scaleTo %d, maxScale %d, %d jobs", (calculation, scaleTo, maxScale, jobs) => {
    const decision = decide(
      { scalingStrategy: { multipleScalersCalculation: calculation } },
      samples,
      0,
      0,
      specs,
    );
    expect(decision.queueLength).toBe(scaleTo);
    expect(decision.maxScale).toBe(maxScale);
    expect(decision.jobsToCreate).toBe(jobs);
  });

  it("ignores inactive triggers", () => {
    const quiet = [
      QUEUE,
      metricSpec({ index: 1, metricName: "s1-redis-jobs", target: 10, activationTarget: 50 }),
    ];
    expect(decide({}, samples, 0, 0, quiet).maxScale).toBe(5);
  });

  it("skips a failing trigger and reports a partial error", () => {
    const decision = decide({}, [valueSample(23), errorSample("down", "s1-redis-jobs")], 0, 0, specs);
    expect(decision.jobsToCreate).toBe(5);
    expect(decision.isError).toBe(true);
    expect(decision.conditions[0]).toMatchObject({ status: "Unknown", reason: "PartialTriggerError" });
  });

  it("reports TriggerError when every trigger fails", () => {
    const decision = decide({}, [errorSample("down")], 0);
    expect(decision.jobsToCreate).toBe(0);
    expect(decision.conditions[0]).toMatchObject({ status: "False", reason: "TriggerError" });
  });

  it("caps maxScale by MaxReplicaCount()", () => {
    expect(decide({}, [valueSample(500)], 0).maxScale).toBe(10);
  });
});
