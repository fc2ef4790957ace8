import { describe, expect, it } from "vitest";
import { errorSample, makeScaledObject, metricSpec, valueSample } from "./test-fixtures.ts";
import { readTriggers } from "./triggers.ts";
import type { TriggerMetricSpec } from "./types.ts";

const cpu: TriggerMetricSpec = metricSpec({
  index: 1,
  type: "cpu",
  metricName: "cpu",
  targetType: "Utilization",
  target: 60,
  resource: "cpu",
});

const withFallback = makeScaledObject({
  spec: { fallback: { failureThreshold: 1, replicas: 4 } },
  triggers: [
    { type: "redis", metadata: { listName: "jobs" } },
    { type: "cpu", metricType: "Utilization", metadata: { value: "60" } },
  ],
});

describe("readTriggers with a cpu trigger beside another", () => {
  it("serves the cpu value to the HPA but never activates the object by itself", () => {
    const reading = readTriggers({
      scaledObject: withFallback,
      metricSpecs: [metricSpec(), cpu],
      samples: [valueSample(0), valueSample(95, "cpu")],
      health: {},
      currentReplicas: 2,
      readyPods: 2,
    });
    expect(reading.triggers.map((trigger) => trigger.active)).toEqual([false, false]);
    expect(reading.active).toBe(false);
    expect(reading.hpaMetrics).toContainEqual({ metricName: "cpu", value: 95 });
  });

  it("has no fallback for cpu: its error reaches the HPA while the other trigger falls back", () => {
    const failing = { numberOfFailures: 2, status: "Failing" as const };
    const reading = readTriggers({
      scaledObject: withFallback,
      metricSpecs: [metricSpec(), cpu],
      samples: [errorSample("redis down"), errorSample("no metrics", "cpu")],
      health: { "s0-redis-jobs": failing, cpu: failing },
      currentReplicas: 2,
      readyPods: 2,
    });
    expect(reading.triggers.map((trigger) => trigger.fallback)).toEqual([true, false]);
    expect(reading.hpaMetrics[1]).toEqual({ metricName: "cpu", error: "no metrics" });
  });
});
