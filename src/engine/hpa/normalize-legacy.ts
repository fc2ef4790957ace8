/**
 * normalizeDesiredReplicas for an HPA without `spec.behavior`: keep the highest recommendation of the
 * downscale stabilization window, then allow at most max(2 × current, 4) replicas per sync.
 */
import type { DecisionStep, TimestampedRecommendation } from "../types.ts";
import type { Normalization, NormalizationInput } from "./normalization.ts";

export function normalizeWithoutBehavior(
  input: NormalizationInput & { downscaleStabilizationSeconds: number },
): Normalization {
  const { current, desired, minReplicas, maxReplicas, now } = input;
  const cutoff = now - input.downscaleStabilizationSeconds * 1000;
  let stabilized = desired;
  let oldIndex = -1;
  input.recommendations.forEach((recommendation, index) => {
    if (recommendation.at < cutoff) oldIndex = index;
    else stabilized = Math.max(stabilized, recommendation.replicas);
  });
  const fresh: TimestampedRecommendation = { at: now, replicas: desired };
  const recommendations =
    oldIndex === -1
      ? [...input.recommendations, fresh]
      : input.recommendations.map((recommendation, index) => (index === oldIndex ? fresh : recommendation));

  const steps: DecisionStep[] = [];
  if (stabilized !== desired) {
    steps.push({
      rule: "stabilization",
      from: desired,
      to: stabilized,
      detail: `highest recommendation of the last ${input.downscaleStabilizationSeconds} s is ${stabilized}`,
    });
  }

  const scaleUpLimit = Math.max(2 * current, 4);
  const limitBinds = maxReplicas > scaleUpLimit;
  const maxAllowed = limitBinds ? scaleUpLimit : maxReplicas;
  let replicas = stabilized;
  if (stabilized < minReplicas) {
    replicas = minReplicas;
    steps.push({ rule: "min", from: stabilized, to: replicas, detail: `minReplicas is ${minReplicas}` });
  } else if (stabilized > maxAllowed) {
    replicas = maxAllowed;
    steps.push(
      limitBinds
        ? {
            rule: "scale-up-limit",
            from: stabilized,
            to: replicas,
            detail: `without behavior the HPA adds at most max(2 × ${current}, 4) = ${scaleUpLimit} per sync`,
          }
        : { rule: "max", from: stabilized, to: replicas, detail: `maxReplicas is ${maxReplicas}` },
    );
  }
  return { replicas, recommendations, steps };
}
