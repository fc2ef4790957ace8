import { initialState } from "../../src/engine/decide.ts";
import { kedaPoll } from "../../src/engine/keda-poll.ts";
import type { HpaMetricReading } from "../../src/engine/types.ts";
import type { TriggerMeasurer } from "../../src/scalers/prepared-trigger.ts";
import { makeScaledObject } from "../../src/engine/test-fixtures.ts";

/**
 * Polls a failing trigger through KEDA's scale loop with `fallback: {failureThreshold: 2,
 * replicas}` three times, measuring it each time: what the HPA reads after each poll. The first
 * two polls serve the trigger's error; the third serves target × replicas.
 */
export async function pollWithFallback(trigger: TriggerMeasurer, replicas = 4): Promise<HpaMetricReading[]> {
  const spec = trigger.prepared.metricSpec;
  if (spec === undefined) throw new Error("the trigger has no metric spec");
  const scaledObject = makeScaledObject({
    spec: { fallback: { failureThreshold: 2, replicas } },
    triggers: [{ type: spec.type, metadata: {} }],
  });
  let state = initialState(Date.now());
  const served: HpaMetricReading[] = [];
  for (let poll = 0; poll < 3; poll += 1) {
    const sample = await trigger.measure();
    const result = kedaPoll({
      scaledObject,
      metricSpecs: [spec],
      samples: [sample],
      currentReplicas: 1,
      now: Date.now() + poll * 30_000,
      state,
    });
    state = result.state;
    served.push(...result.hpaMetricValues);
  }
  return served;
}
