/**
 * ScaledJob: how many Jobs to create in one poll (KEDA: pkg/scaling/scaledjob and
 * executor/scale_jobs.go). Each trigger's metric is a queue length; its AverageValue target is the
 * number of items one job takes.
 */
import type { Condition } from "../api/schema/primitives.ts";
import type { ScaledJob } from "../api/schema/scaled-job.ts";
import { parseControlAnnotations } from "./annotations.ts";
import { activeCondition, pausedCondition, readyCondition } from "./conditions.ts";
import { formatNumber } from "../util/format-number.ts";
import { parseGoFloat } from "../util/go/parse.ts";
import { buildTrace, traceTrigger } from "./trace.ts";
import type { DecisionStep, DecisionTrace, TriggerMetricSpec, TriggerSample, TriggerTrace } from "./types.ts";

export interface ScaledJobInput {
  scaledJob: ScaledJob;
  metricSpecs: readonly TriggerMetricSpec[];
  samples: readonly TriggerSample[];
  /** Jobs of this ScaledJob that are neither Complete nor Failed. */
  runningJobs: number;
  /** Running jobs none of whose pods is Running or Succeeded (or meets pendingPodConditions). */
  pendingJobs: number;
  now: number;
}

export interface ScaledJobDecision {
  jobsToCreate: number;
  active: boolean;
  isError: boolean;
  paused: boolean;
  /** ceil of the combined queue length: the strategies' `scaleTo`. */
  queueLength: number;
  /** ceil of the combined queue length over the per-job target, capped by MaxReplicaCount(). */
  maxScale: number;
  effectiveMaxScale: number;
  lastActiveTime?: number;
  conditions: Condition[];
  trace: DecisionTrace;
}

/** ScaledJob.MinReplicaCount(): min, never above max. */
export function scaledJobMinReplicaCount(scaledJob: ScaledJob): number {
  return Math.min(scaledJob.spec.minReplicaCount, scaledJob.spec.maxReplicaCount);
}

/** ScaledJob.MaxReplicaCount(): the jobs allowed on top of the minimum. */
export function scaledJobMaxReplicaCount(scaledJob: ScaledJob): number {
  const { minReplicaCount: min, maxReplicaCount: max } = scaledJob.spec;
  return min > max ? max : max - min;
}

interface ScalerMetrics {
  queueLength: number;
  maxValue: number;
  active: boolean;
}

export function decideScaledJob(input: ScaledJobInput): ScaledJobDecision {
  const { scaledJob, runningJobs, pendingJobs, now } = input;
  const paused = parseControlAnnotations(scaledJob.metadata.annotations).paused;
  const maxReplicaCount = scaledJobMaxReplicaCount(scaledJob);
  const triggers: TriggerTrace[] = [];
  const scalers: ScalerMetrics[] = [];
  const activeByTrigger = new Map<number, boolean>();
  for (const spec of paused ? [] : input.metricSpecs) {
    const sample = input.samples.find((candidate) => candidate.metricName === spec.metricName);
    const value = sample?.error === undefined ? sample?.value : undefined;
    if (value === undefined) {
      triggers.push(
        traceTrigger(spec, {
          value: null,
          error: sample?.error ?? `no sample for metric ${spec.metricName}`,
          active: false,
          hpaValue: null,
          proposal: null,
          fallback: false,
        }),
      );
      continue;
    }
    // A trigger with several metrics stays active once any of them is.
    const active =
      (activeByTrigger.get(spec.index) ?? false) || (sample?.active ?? value > spec.activationTarget);
    activeByTrigger.set(spec.index, active);
    const target = spec.targetType === "AverageValue" ? spec.target : 0;
    const maxValue = target === 0 ? 0 : Math.min(value / target, maxReplicaCount);
    scalers.push({ queueLength: value, maxValue, active });
    triggers.push(
      traceTrigger(spec, { value, active, hpaValue: null, proposal: Math.ceil(maxValue), fallback: false }),
    );
  }
  const isError = triggers.some((trigger) => trigger.error !== undefined);
  const calculation = scaledJob.spec.scalingStrategy.multipleScalersCalculation;
  const combined = combine(scalers, calculation);
  const active = !paused && (combined.active || scaledJobMinReplicaCount(scaledJob) > 0);
  const queueLength = Math.ceil(combined.queueLength);
  const maxScale = Math.ceil(Math.min(combined.maxValue, maxReplicaCount));

  const plan = planJobs(scaledJob, { maxScale, scaleTo: queueLength, runningJobs, pendingJobs });
  const effectiveMaxScale = Math.max(plan.effectiveMaxScale, 0);
  const jobsToCreate = active && effectiveMaxScale > 0 ? Math.min(plan.scaleTo, effectiveMaxScale) : 0;
  const steps: DecisionStep[] = [
    {
      rule: "metric",
      detail: `queue length ${formatNumber(combined.queueLength)} (${calculation} of active triggers) → maxScale ${maxScale}, scaleTo ${queueLength}`,
    },
    { ...plan.step, from: runningJobs, to: runningJobs + Math.min(plan.scaleTo, effectiveMaxScale) },
  ];
  if (!active) {
    const detail = paused ? "the ScaledJob is paused" : "no trigger is active: no jobs are created";
    steps.push({ rule: paused ? "paused" : "unchanged", from: runningJobs, to: runningJobs, detail });
  }
  const lastStep = steps.at(-1);
  const trace = buildTrace({
    kind: "ScaledJob",
    namespace: scaledJob.metadata.namespace ?? "default",
    name: scaledJob.metadata.name,
    at: now,
    currentReplicas: runningJobs,
    desiredReplicas: runningJobs + jobsToCreate,
    active,
    fallback: false,
    paused,
    triggers,
    steps,
    boundedBy: lastStep?.rule ?? "unchanged",
  });
  return {
    jobsToCreate,
    active,
    isError,
    paused,
    queueLength,
    maxScale,
    effectiveMaxScale,
    ...(active ? { lastActiveTime: now } : {}),
    conditions: [
      isError
        ? active
          ? readyCondition.partialTriggerError("ScaledJob")
          : readyCondition.triggerError("ScaledJob")
        : readyCondition.ok("ScaledJob"),
      active ? activeCondition.active(false) : activeCondition.notActive(),
      pausedCondition("ScaledJob", paused),
    ],
    trace,
  };
}

/** IsScaledJobActive: combine the active triggers (metrics.go), quirks included. */
function combine(
  scalers: readonly ScalerMetrics[],
  calculation: "max" | "min" | "avg" | "sum",
): ScalerMetrics {
  const active = scalers.filter((scaler) => scaler.active);
  const none: ScalerMetrics = { queueLength: 0, maxValue: 0, active: false };
  switch (calculation) {
    case "min":
      // KEDA replaces a 0 queue length by the next active one, so 0 only wins when it is last.
      return active.reduce(
        (best, scaler) => (best.queueLength === 0 || scaler.queueLength < best.queueLength ? scaler : best),
        none,
      );
    case "avg":
    case "sum": {
      if (active.length === 0) return none;
      const divisor = calculation === "avg" ? active.length : 1;
      const total = (pick: (scaler: ScalerMetrics) => number) =>
        active.reduce((sum, scaler) => sum + pick(scaler), 0) / divisor;
      return {
        queueLength: total((scaler) => scaler.queueLength),
        maxValue: total((scaler) => scaler.maxValue),
        active: true,
      };
    }
    default:
      return active.reduce((best, scaler) => (scaler.queueLength > best.queueLength ? scaler : best), none);
  }
}

interface JobCounts {
  maxScale: number;
  scaleTo: number;
  runningJobs: number;
  pendingJobs: number;
}

/** getScalingDecision and the four strategies' GetEffectiveMaxScale. */
function planJobs(
  scaledJob: ScaledJob,
  { maxScale, scaleTo, runningJobs, pendingJobs }: JobCounts,
): { effectiveMaxScale: number; scaleTo: number; step: DecisionStep } {
  const min = scaledJobMinReplicaCount(scaledJob);
  if (runningJobs < min) {
    const missing = min - runningJobs;
    const detail = `${runningJobs} running jobs are below minReplicaCount ${min}: create ${missing}`;
    return { effectiveMaxScale: missing, scaleTo: missing, step: { rule: "min", detail } };
  }
  const running = runningJobs - min;
  const max = scaledJobMaxReplicaCount(scaledJob);
  const strategy = scaledJob.spec.scalingStrategy;
  const plan = (effectiveMaxScale: number, detail: string, planScaleTo = scaleTo) => ({
    effectiveMaxScale,
    scaleTo: planScaleTo,
    step: { rule: "job-strategy" as const, detail },
  });
  switch (strategy.strategy) {
    case "custom": {
      const percentage = parseGoFloat(strategy.customScalingRunningJobPercentage ?? "");
      if (percentage === undefined) break;
      const deduction = strategy.customScalingQueueLengthDeduction ?? 0;
      const effective = Math.min(maxScale - deduction - Math.trunc(running * percentage), max);
      return plan(
        effective,
        `custom: min(${maxScale} - ${deduction} - trunc(${running} × ${percentage}), ${max}) = ${effective}`,
      );
    }
    case "accurate":
      return maxScale + running - pendingJobs > max
        ? plan(
            max - running,
            `accurate: ${maxScale} + ${running} running - ${pendingJobs} pending exceeds ${max}, so ${max} - ${running} = ${max - running}`,
          )
        : plan(
            maxScale - pendingJobs,
            `accurate: ${maxScale} - ${pendingJobs} pending = ${maxScale - pendingJobs}`,
          );
    case "eager": {
      const effective = Math.min(max - running - pendingJobs, maxScale);
      return plan(
        effective,
        `eager: min(${max} - ${running} running - ${pendingJobs} pending, ${maxScale}) = ${effective}`,
        max,
      );
    }
    default:
      break;
  }
  // default, and custom whose percentage does not parse
  const label = strategy.strategy === "custom" ? "custom percentage does not parse, default" : "default";
  return plan(maxScale - running, `${label}: ${maxScale} - ${running} running = ${maxScale - running}`);
}
