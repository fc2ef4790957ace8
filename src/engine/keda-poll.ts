/**
 * kedaPoll: one pass of KEDA's scale loop and scale executor for a ScaledObject (KEDA: pkg/scaling/executor/scale_scaledobjects.go).
 * KEDA owns 0 ↔ 1 (activation) and the step to idle/min after the cooldown; everything between
 * 1 and N is the HPA's (see hpaSync).
 */
import type { Condition } from "../api/schema/primitives.ts";
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { type ControlAnnotations, parseControlAnnotations } from "./annotations.ts";
import { activeCondition, fallbackCondition, pausedCondition, readyCondition } from "./conditions.ts";
import { isFallingBack, updateHealth, usableFallback } from "./fallback.ts";
import { formatNumber } from "../util/format-number.ts";
import { traceFormula, traceTriggers } from "./trace.ts";
import { type TriggersReading, readTriggers } from "./triggers.ts";
import type {
  DecisionRule,
  DecisionStep,
  DecisionTrace,
  HpaMetricReading,
  MetricHealth,
  ScaledObjectState,
  TriggerMetricSpec,
  TriggerSample,
  TriggerTrace,
} from "./types.ts";

export interface KedaPollInput {
  scaledObject: ScaledObject;
  metricSpecs: readonly TriggerMetricSpec[];
  samples: readonly TriggerSample[];
  /** `spec.replicas` of the scale target. */
  currentReplicas: number;
  /** Running and Ready pods, for fallback on Value metrics (default: currentReplicas). */
  readyPods?: number;
  now: number;
  state: ScaledObjectState;
}

export interface KedaPollResult {
  paused: boolean;
  active: boolean;
  /** Some trigger failed in this poll. */
  isError: boolean;
  fallback: boolean;
  /** The replica count KEDA sets on the target in this poll, if it sets one. */
  scaleTo?: number;
  lastActiveTime?: number;
  health: Record<string, MetricHealth>;
  conditions: Condition[];
  /** What the HPA reads for each of its metrics, after fallback and the formula. */
  hpaMetricValues: HpaMetricReading[];
  state: ScaledObjectState;
  triggers: TriggerTrace[];
  formula?: DecisionTrace["formula"];
  steps: DecisionStep[];
  boundedBy: DecisionRule;
}

export function kedaPoll(input: KedaPollInput): KedaPollResult {
  const annotations = parseControlAnnotations(input.scaledObject.metadata.annotations);
  if (annotations.paused) return pausedPoll(input, annotations);

  const health = updateHealth(input.state.health, input.metricSpecs, input.samples);
  const reading = readTriggers({ ...input, health, readyPods: input.readyPods ?? input.currentReplicas });
  const decision = decide(input, annotations, reading);
  const lastActiveTime = decision.lastActiveTime ?? input.state.lastActiveTime;
  const fallback = usableFallback(input.scaledObject);
  const fallingBack =
    fallback !== undefined &&
    Object.values(health).some((metricHealth) => isFallingBack(metricHealth, fallback));
  return {
    paused: false,
    active: decision.active,
    isError: reading.isError,
    fallback: reading.fallbackActive,
    ...(decision.scaleTo === undefined ? {} : { scaleTo: decision.scaleTo }),
    ...(lastActiveTime === undefined ? {} : { lastActiveTime }),
    health,
    conditions: [
      decision.ready,
      decision.activeCondition,
      fallbackCondition(fallingBack),
      pausedCondition("ScaledObject", annotations.pausedScaleIn || annotations.pausedScaleOut),
    ],
    hpaMetricValues: reading.hpaMetrics,
    state: { ...input.state, health, ...(lastActiveTime === undefined ? {} : { lastActiveTime }) },
    triggers: traceTriggers(reading),
    ...(reading.composite ? { formula: traceFormula(reading.composite) } : {}),
    steps: [decision.step],
    boundedBy: decision.step.rule,
  };
}

/** A time (ms) cut to its whole second, as metav1.Time keeps it. */
function wholeSecond(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

interface Decision {
  active: boolean;
  scaleTo?: number;
  lastActiveTime?: number;
  ready: Condition;
  activeCondition: Condition;
  step: DecisionStep;
}

/** The executor's decision table, first match wins (RequestScale in scale_scaledobjects.go). */
function decide(input: KedaPollInput, annotations: ControlAnnotations, reading: TriggersReading): Decision {
  const { scaledObject, currentReplicas: current, now } = input;
  const {
    minReplicaCount: min,
    idleReplicaCount: idle,
    cooldownPeriod,
    initialCooldownPeriod,
  } = scaledObject.spec;
  const forced = annotations.forceActivation && !reading.active;
  const hold = (rule: DecisionRule, detail: string) => ({ rule, from: current, to: current, detail });
  const ready = readyCondition.ok("ScaledObject");

  if (reading.active || annotations.forceActivation) {
    const base = {
      active: true,
      ready,
      activeCondition: activeCondition.active(annotations.forceActivation),
    };
    if ((idle !== undefined && current < min) || current === 0) {
      const target = Math.max(min, 1);
      if (annotations.pausedScaleOut) {
        return {
          ...base,
          step: hold("paused-scale-out", `would activate to ${target}, but scale-out is paused`),
        };
      }
      const why = forced ? "the force-activation annotation is set" : activationReason(reading);
      const step = {
        rule: forced ? "force-activation" : "activation",
        from: current,
        to: target,
        detail: why,
      } as const;
      return { ...base, scaleTo: target, lastActiveTime: now, step };
    }
    if (reading.isError) {
      const detail = "active, but some triggers fail; the HPA scales 1 ↔ N";
      return {
        ...base,
        ready: readyCondition.partialTriggerError("ScaledObject"),
        step: hold("unchanged", detail),
      };
    }
    return { ...base, lastActiveTime: now, step: hold("unchanged", "active; the HPA scales 1 ↔ N") };
  }

  const inactive = { active: false, ready, activeCondition: activeCondition.notActive() };
  const fallback = scaledObject.spec.fallback;
  if (reading.isError && fallback && fallback.replicas !== 0) {
    return {
      ...inactive,
      step: hold("fallback", "triggers fail; KEDA leaves the replicas to the HPA's fallback"),
    };
  }
  if (reading.isError && !fallback) {
    const detail = "triggers fail and no fallback is configured; nothing changes";
    return {
      ...inactive,
      ready: readyCondition.triggerError("ScaledObject"),
      step: hold("unchanged", detail),
    };
  }
  if ((idle !== undefined && current > idle) || (current > 0 && min === 0)) {
    const target = idle ?? min;
    if (annotations.pausedScaleIn) {
      return {
        ...inactive,
        step: hold("paused-scale-in", `would scale in to ${target}, but scale-in is paused`),
      };
    }
    const lastActive = input.state.lastActiveTime;
    // KEDA compares with the lastActiveTime it reads back from the object's status, which the API
    // server keeps to the whole second: the cooldown counts from the start of that second.
    const cooldownEndsAt =
      lastActive === undefined
        ? input.state.createdAt + initialCooldownPeriod * 1000
        : wholeSecond(lastActive) + cooldownPeriod * 1000;
    if (cooldownEndsAt < now) {
      const detail = `no trigger is active and the ${lastActive === undefined ? "initial cooldown" : "cooldown"} has passed`;
      return {
        ...inactive,
        scaleTo: target,
        step: { rule: idle === undefined ? "deactivation" : "idle", from: current, to: target, detail },
      };
    }
    const rule = lastActive === undefined ? "initial-cooldown" : "cooldown";
    const period = lastActive === undefined ? initialCooldownPeriod : cooldownPeriod;
    const detail = `inactive, ${formatNumber((cooldownEndsAt - now) / 1000)} s left of the ${period} s ${rule.replace("-", " ")}`;
    return { ...inactive, activeCondition: activeCondition.cooldown(), step: hold(rule, detail) };
  }
  if (idle === undefined && current < min) {
    return {
      ...inactive,
      scaleTo: min,
      step: { rule: "min", from: current, to: min, detail: `minReplicaCount is ${min}` },
    };
  }
  return { ...inactive, step: hold("unchanged", "no trigger is active") };
}

function activationReason(reading: TriggersReading): string {
  if (reading.composite?.value != null) {
    const { value, activationTarget } = reading.composite;
    return `the formula is active (${formatNumber(value)} > ${formatNumber(activationTarget)})`;
  }
  const trigger = reading.triggers.find((candidate) => candidate.active);
  if (!trigger) return "the triggers are active";
  if (trigger.fallback) return `trigger ${trigger.spec.metricName} is falling back`;
  if (trigger.value === null) return `trigger ${trigger.spec.metricName} is active`;
  return `trigger ${trigger.spec.metricName} is active (${formatNumber(trigger.value)} > ${formatNumber(trigger.spec.activationTarget)})`;
}

/** paused / paused-replicas: the loop is stopped and the HPA deleted; only the paused count is applied. */
function pausedPoll(input: KedaPollInput, annotations: ControlAnnotations): KedaPollResult {
  const current = input.currentReplicas;
  const paused = annotations.pausedReplicas;
  const scaleTo = paused && "replicas" in paused ? paused.replicas : undefined;
  const step: DecisionStep =
    scaleTo === undefined
      ? {
          rule: "paused",
          from: current,
          to: current,
          detail: paused && "error" in paused ? paused.error : "the ScaledObject is paused",
        }
      : { rule: "paused-replicas", from: current, to: scaleTo, detail: `paused at ${scaleTo} replicas` };
  return {
    paused: true,
    active: false,
    isError: false,
    fallback: false,
    ...(scaleTo === undefined || scaleTo === current ? {} : { scaleTo }),
    ...(input.state.lastActiveTime === undefined ? {} : { lastActiveTime: input.state.lastActiveTime }),
    health: input.state.health,
    conditions: [readyCondition.ok("ScaledObject"), pausedCondition("ScaledObject", true)],
    hpaMetricValues: [],
    state: input.state,
    triggers: [],
    steps: [step],
    boundedBy: step.rule,
  };
}
