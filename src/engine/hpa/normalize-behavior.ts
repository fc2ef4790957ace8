/**
 * normalizeDesiredReplicasWithBehaviors: stabilize between the scale-up and scale-down windows,
 * then limit the change by the direction's policies, counting the rescales of each policy's period.
 */
import type { ScalingPolicy } from "../../api/schema/hpa-behavior.ts";
import type { DecisionStep, ScaleEvent, TimestampedRecommendation } from "../types.ts";
import type { ResolvedBehavior, ResolvedScalingRules } from "./behavior.ts";
import type { Normalization, NormalizationInput } from "./normalization.ts";
import { replicaChangeInPeriod } from "./scale-events.ts";

export interface BehaviorNormalizationInput extends NormalizationInput {
  behavior: ResolvedBehavior;
  scaleUpEvents: readonly ScaleEvent[];
  scaleDownEvents: readonly ScaleEvent[];
}

export function normalizeWithBehavior(input: BehaviorNormalizationInput): Normalization {
  const stabilization = stabilize(input);
  const steps = stabilization.step ? [stabilization.step] : [];
  const limited = limitRate({ ...input, desired: stabilization.replicas });
  if (limited.step) steps.push(limited.step);
  return { replicas: limited.replicas, recommendations: stabilization.recommendations, steps };
}

interface Stabilization {
  replicas: number;
  recommendations: TimestampedRecommendation[];
  step?: DecisionStep;
}

function stabilize(input: BehaviorNormalizationInput): Stabilization {
  const { current, desired, now, behavior } = input;
  const upWindow = behavior.scaleUp.stabilizationWindowSeconds;
  const downWindow = behavior.scaleDown.stabilizationWindowSeconds;
  const upCutoff = now - upWindow * 1000;
  const downCutoff = now - downWindow * 1000;
  let upRecommendation = desired;
  let downRecommendation = desired;
  let oldIndex = -1;
  input.recommendations.forEach((recommendation, index) => {
    if (recommendation.at > upCutoff) upRecommendation = Math.min(upRecommendation, recommendation.replicas);
    if (recommendation.at > downCutoff)
      downRecommendation = Math.max(downRecommendation, recommendation.replicas);
    if (recommendation.at < upCutoff && recommendation.at < downCutoff) oldIndex = index;
  });

  const replicas = Math.min(Math.max(current, upRecommendation), downRecommendation);
  const fresh = { at: now, replicas: desired };
  const recommendations =
    oldIndex === -1
      ? [...input.recommendations, fresh]
      : input.recommendations.map((recommendation, index) => (index === oldIndex ? fresh : recommendation));
  if (replicas === desired) return { replicas, recommendations };
  const detail =
    replicas < desired
      ? `scale-up window: lowest recommendation of the last ${upWindow} s is ${upRecommendation}`
      : `scale-down window: highest recommendation of the last ${downWindow} s is ${downRecommendation}`;
  return { replicas, recommendations, step: { rule: "stabilization", from: desired, to: replicas, detail } };
}

function limitRate(input: BehaviorNormalizationInput): { replicas: number; step?: DecisionStep } {
  const { current, desired, minReplicas, maxReplicas } = input;
  if (desired > current) {
    const limit = Math.max(policyLimit(input, input.behavior.scaleUp, "up"), current);
    const limitBinds = maxReplicas > limit;
    const maxAllowed = limitBinds ? limit : maxReplicas;
    if (desired <= maxAllowed) return { replicas: desired };
    const detail = limitBinds
      ? describeLimit(input.behavior.scaleUp, "scaleUp", "at most", limit)
      : `maxReplicas is ${maxReplicas}`;
    return {
      replicas: maxAllowed,
      step: { rule: limitBinds ? "scale-up-limit" : "max", from: desired, to: maxAllowed, detail },
    };
  }
  if (desired < current) {
    const limit = Math.min(policyLimit(input, input.behavior.scaleDown, "down"), current);
    const limitBinds = minReplicas < limit;
    const minAllowed = limitBinds ? limit : minReplicas;
    if (desired >= minAllowed) return { replicas: desired };
    const detail = limitBinds
      ? describeLimit(input.behavior.scaleDown, "scaleDown", "at least", limit)
      : `minReplicas is ${minReplicas}`;
    return {
      replicas: minAllowed,
      step: { rule: limitBinds ? "scale-down-limit" : "min", from: desired, to: minAllowed, detail },
    };
  }
  return { replicas: desired };
}

/** calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors. */
function policyLimit(
  input: BehaviorNormalizationInput,
  rules: ResolvedScalingRules,
  direction: "up" | "down",
): number {
  if (rules.selectPolicy === "Disabled") return input.current;
  const proposals = rules.policies.map((policy) => {
    const added = replicaChangeInPeriod(input.scaleUpEvents, policy.periodSeconds, input.now);
    const removed = replicaChangeInPeriod(input.scaleDownEvents, policy.periodSeconds, input.now);
    const periodStart = input.current - added + removed;
    return direction === "up" ? scaleUpProposal(policy, periodStart) : scaleDownProposal(policy, periodStart);
  });
  // "Max" picks the policy allowing the biggest change: the highest limit up, the lowest limit down.
  const biggestChange = rules.selectPolicy === "Max";
  const pickHighest = direction === "up" ? biggestChange : !biggestChange;
  return pickHighest ? Math.max(-Infinity, ...proposals) : Math.min(Infinity, ...proposals);
}

function scaleUpProposal(policy: ScalingPolicy, periodStart: number): number {
  return policy.type === "Pods"
    ? periodStart + policy.value
    : Math.ceil(periodStart * (1 + policy.value / 100));
}

function scaleDownProposal(policy: ScalingPolicy, periodStart: number): number {
  return policy.type === "Pods"
    ? periodStart - policy.value
    : Math.trunc(periodStart * (1 - policy.value / 100));
}

function describeLimit(rules: ResolvedScalingRules, name: string, bound: string, limit: number): string {
  if (rules.selectPolicy === "Disabled") return `${name}.selectPolicy is Disabled: keep ${limit}`;
  const policies = rules.policies
    .map(
      (policy) => `${policy.value}${policy.type === "Percent" ? "%" : " pods"} per ${policy.periodSeconds} s`,
    )
    .join(", ");
  return `${name} policies (${policies}; selectPolicy ${rules.selectPolicy}) allow ${bound} ${limit} now`;
}
