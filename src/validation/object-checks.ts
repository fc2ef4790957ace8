import { MODE_ANNOTATION, parseControlAnnotations, SCALING_MODES } from "../engine/annotations.ts";
import { FORECAST_ANNOTATION, parseForecastAnnotation } from "../engine/forecast/annotation.ts";
import { compileFormula } from "../engine/formula/compile.ts";
import { hpaName } from "../engine/hpa-model.ts";
import type { ScaledJob } from "../api/schema/scaled-job.ts";
import { usesFormula, type ScaledObject } from "../api/schema/scaled-object.ts";
import type { ScaleTrigger } from "../api/schema/trigger.ts";
import { findScaler } from "../scalers/registry.ts";
import { messageOf } from "../util/errors.ts";

const MAX_NAME_LENGTH = 63;

/** Receives one problem: a field path from the object's root, and what is wrong there. */
export type ProblemSink = (path: string, message: string, severity?: "error" | "warning") => void;

/** cpu and memory: the HPA measures them itself (Resource metrics). */
function isResourceTrigger(trigger: ScaleTrigger): boolean {
  return findScaler(trigger.type)?.resourceMetric === true;
}

function checkTriggerList(
  triggers: readonly ScaleTrigger[],
  report: ProblemSink,
  kind: "ScaledObject" | "ScaledJob",
): void {
  const seen = new Map<string, number>();
  for (const [index, trigger] of triggers.entries()) {
    if (trigger.name) {
      const first = seen.get(trigger.name);
      if (first !== undefined) {
        report(
          `spec.triggers[${index}].name`,
          `duplicate trigger name "${trigger.name}" (also spec.triggers[${first}].name); names must be unique`,
        );
      } else seen.set(trigger.name, index);
    }
    if (trigger.useCachedMetrics && findScaler(trigger.type)?.cachedMetrics === false) {
      report(
        `spec.triggers[${index}].useCachedMetrics`,
        `useCachedMetrics is not supported for ${trigger.type} triggers`,
      );
    }
    if (kind === "ScaledJob" && trigger.metricType !== undefined) {
      report(
        `spec.triggers[${index}].metricType`,
        "metricType is not supported for ScaledJob triggers; remove it",
      );
    }
    if (kind === "ScaledJob" && trigger.useCachedMetrics) {
      report(
        `spec.triggers[${index}].useCachedMetrics`,
        "useCachedMetrics is ignored for ScaledJob",
        "warning",
      );
    }
  }
}

function checkScalingModifiers(object: ScaledObject, report: ProblemSink): void {
  const modifiers = object.spec.advanced?.scalingModifiers;
  const fallback = object.spec.fallback;
  if (fallback?.behavior === "scalingModifiers" && !modifiers?.formula) {
    report(
      "spec.fallback.behavior",
      "behavior scalingModifiers needs spec.advanced.scalingModifiers.formula",
    );
  }
  if (modifiers === undefined) return;
  const path = "spec.advanced.scalingModifiers";
  if (!modifiers.formula) {
    if (Object.keys(modifiers).length > 0)
      report(`${path}.formula`, "formula is required when scalingModifiers is set");
    return;
  }
  const target = Number(modifiers.target);
  if (modifiers.target === undefined || modifiers.target.trim() === "")
    report(`${path}.target`, "target is required with a formula");
  else if (!Number.isFinite(target) || target <= 0)
    report(`${path}.target`, `target must be a number greater than 0, got "${modifiers.target}"`);
  else if (fallback !== undefined && !Number.isInteger(target)) {
    report(
      `${path}.target`,
      "with fallback configured, target must be a whole number (KEDA's fallback needs an integer target)",
    );
  }
  if (modifiers.activationTarget !== undefined && !Number.isFinite(Number(modifiers.activationTarget))) {
    report(
      `${path}.activationTarget`,
      `activationTarget must be a number, got "${modifiers.activationTarget}"`,
    );
  }
  if (modifiers.metricType === "Utilization")
    report(`${path}.metricType`, "metricType must be AverageValue or Value");
  const names = object.spec.triggers
    .filter((trigger) => trigger.name && !isResourceTrigger(trigger))
    .map((trigger) => trigger.name);
  try {
    compileFormula(modifiers.formula, names);
  } catch (error) {
    // The path already names the formula.
    report(`${path}.formula`, messageOf(error).replace(/^formula: /, ""));
  }
}

function checkReplicaBounds(
  spec: { minReplicaCount: number; maxReplicaCount: number; idleReplicaCount?: number | undefined },
  report: ProblemSink,
): void {
  if (spec.minReplicaCount > spec.maxReplicaCount) {
    report(
      "spec.minReplicaCount",
      `minReplicaCount (${spec.minReplicaCount}) must be less than or equal to maxReplicaCount (${spec.maxReplicaCount})`,
    );
  }
  if (spec.idleReplicaCount !== undefined) {
    if (spec.idleReplicaCount >= spec.minReplicaCount) {
      report(
        "spec.idleReplicaCount",
        `idleReplicaCount (${spec.idleReplicaCount}) must be less than minReplicaCount (${spec.minReplicaCount})`,
      );
    } else if (spec.idleReplicaCount > 0) {
      report("spec.idleReplicaCount", "only 0 is supported for idleReplicaCount, as in KEDA", "warning");
    }
  }
}

/** KEDA's semantic checks of a ScaledObject beyond its schema (the webhook's and reconcile's). */
export function checkScaledObject(object: ScaledObject, report: ProblemSink): void {
  const { spec } = object;
  checkReplicaBounds(spec, report);
  if (hpaName(object).length > MAX_NAME_LENGTH) {
    report(
      "spec.advanced.horizontalPodAutoscalerConfig.name",
      `the HPA name "${hpaName(object)}" is longer than 63 characters`,
    );
  }
  const mode = object.metadata.annotations?.[MODE_ANNOTATION];
  if (mode !== undefined && !(SCALING_MODES as readonly string[]).includes(mode)) {
    report(
      `metadata.annotations["${MODE_ANNOTATION}"]`,
      `must be ${SCALING_MODES.map((name) => `"${name}"`).join(" or ")}, got "${mode}"; the HPA is used`,
      "warning",
    );
  }
  for (const problem of parseForecastAnnotation(object.metadata.annotations).problems) {
    report(`metadata.annotations["${FORECAST_ANNOTATION}"]`, problem);
  }
  checkTriggerList(spec.triggers, report, "ScaledObject");
  for (const [index, trigger] of spec.triggers.entries()) {
    if (trigger.metricType === "Utilization" && !isResourceTrigger(trigger)) {
      report(
        `spec.triggers[${index}].metricType`,
        "metricType Utilization is only valid for cpu and memory triggers",
      );
    }
  }
  const onlyResources = spec.triggers.every(isResourceTrigger);
  if (spec.fallback && !usesFormula(object) && onlyResources) {
    report("spec.fallback", "fallback needs at least one trigger that is not cpu or memory");
  }
  if (onlyResources && spec.minReplicaCount === 0) {
    report(
      "spec.minReplicaCount",
      "a ScaledObject whose triggers are all cpu or memory cannot scale to zero: set minReplicaCount to 1 or more",
    );
  }
  checkScalingModifiers(object, report);
  const annotations = parseControlAnnotations(object.metadata.annotations);
  if (annotations.pausedReplicas && "error" in annotations.pausedReplicas) {
    report("metadata.annotations", annotations.pausedReplicas.error);
  }
}

/** KEDA's semantic checks of a ScaledJob beyond its schema. */
export function checkScaledJob(object: ScaledJob, report: ProblemSink): void {
  const { spec } = object;
  checkReplicaBounds(spec, report);
  checkTriggerList(spec.triggers, report, "ScaledJob");
  const strategy = spec.scalingStrategy;
  if (
    strategy.customScalingRunningJobPercentage !== undefined &&
    !Number.isFinite(Number(strategy.customScalingRunningJobPercentage))
  ) {
    report(
      "spec.scalingStrategy.customScalingRunningJobPercentage",
      `must be a number such as "0.5", got "${strategy.customScalingRunningJobPercentage}" (KEDA then falls back to the default strategy)`,
      "warning",
    );
  }
  if (spec.rolloutStrategy !== undefined)
    report("spec.rolloutStrategy", "rolloutStrategy is deprecated; use rollout.strategy", "warning");
}
