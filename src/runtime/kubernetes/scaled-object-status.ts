import type { Condition } from "../../api/schema/primitives.ts";
import type { ScaledObject } from "../../api/schema/scaled-object.ts";
import type { ScaleTrigger } from "../../api/schema/trigger.ts";
import { fallbackCondition, pausedCondition, readyCondition } from "../../engine/conditions.ts";
import { hpaName, initialState } from "../../engine/decide.ts";
import { COMPOSITE_METRIC_NAME } from "../../engine/scaling-modifiers.ts";
import type { ScaledObjectState, TriggerMetricSpec } from "../../engine/types.ts";
import type { ResourceMetric } from "../../scalers/prepared-trigger.ts";
import type { PollOutcome } from "../scale-loop.ts";
import type { ResolvedResource } from "./discovery.ts";

/** KEDA's `triggersTypes` and `authenticationsTypes` (the latter lists authenticationRef names). */
export function triggerSummary(triggers: readonly ScaleTrigger[]): {
  triggersTypes: string;
  authenticationsTypes: string;
} {
  const unique = (values: string[]) => [...new Set(values)].join(",");
  return {
    triggersTypes: unique(triggers.map((trigger) => trigger.type)),
    authenticationsTypes: unique(
      triggers.flatMap((trigger) => (trigger.authenticationRef ? [trigger.authenticationRef.name] : [])),
    ),
  };
}

/** The status fields a successful ScaledObject reconcile writes (nulls remove a field). */
export function readyStatusFields(options: {
  object: ScaledObject;
  target: ResolvedResource;
  specs: readonly TriggerMetricSpec[];
  resources: readonly ResourceMetric[];
  direct: boolean;
  originalReplicaCount: number;
}): Record<string, unknown> {
  const { object, target, specs, resources } = options;
  return {
    scaleTargetKind: `${target.apiVersion}.${target.kind}`,
    scaleTargetGVKR: {
      group: target.group,
      version: target.version,
      kind: target.kind,
      resource: target.resource,
    },
    originalReplicaCount: options.originalReplicaCount,
    externalMetricNames: specs.map((spec) => spec.metricName),
    ...(resources.length > 0 ? { resourceMetricNames: resources.map((resource) => resource.name) } : {}),
    hpaName: options.direct ? null : hpaName(object),
    ...triggerSummary(object.spec.triggers),
    ...(object.spec.advanced?.scalingModifiers?.formula
      ? { compositeScalerName: COMPOSITE_METRIC_NAME }
      : {}),
  };
}

/**
 * The conditions a successful reconcile sets, given the current ones: Ready=True, and KEDA's
 * initial Paused, Active and Fallback. (The scale loop reports pausing and unpausing.)
 */
export function readyConditionUpdates(existing: readonly Condition[], hasFallback: boolean): Condition[] {
  const find = (type: string) => existing.find((condition) => condition.type === type);
  const updates: Condition[] = [];
  if (find("Ready")?.status !== "True") updates.push(readyCondition.ok("ScaledObject"));
  if (find("Paused") === undefined) updates.push(pausedCondition("ScaledObject", false));
  if (find("Active") === undefined) updates.push({ type: "Active", status: "Unknown" });
  if (!hasFallback || find("Fallback") === undefined) updates.push(fallbackCondition(false));
  return updates;
}

/** What KEDA remembers in status survives an operator restart: lastActiveTime and health. */
export function stateFromStatus(
  raw: { metadata: { creationTimestamp?: string }; status?: ScaledObject["status"] },
  now: number,
): ScaledObjectState {
  const state = initialState(Date.parse(raw.metadata.creationTimestamp ?? "") || now);
  const lastActive = Date.parse(raw.status?.lastActiveTime ?? "");
  if (Number.isFinite(lastActive)) state.lastActiveTime = lastActive;
  for (const [metric, health] of Object.entries(raw.status?.health ?? {})) {
    state.health[metric] = {
      numberOfFailures: health.numberOfFailures ?? 0,
      status: health.status ?? "Happy",
    };
  }
  return state;
}

/** A time as Kubernetes writes metav1.Time (and KEDA its lastActiveTime): RFC 3339, whole seconds. */
export function kubernetesTime(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** The status fields one poll of the scale loop sets (nulls remove a field). */
export function statusFromPoll(object: ScaledObject, outcome: PollOutcome): Record<string, unknown> {
  const { poll } = outcome;
  return {
    conditions: outcome.conditions,
    ...(poll.lastActiveTime === undefined ? {} : { lastActiveTime: kubernetesTime(poll.lastActiveTime) }),
    triggersActivity: Object.fromEntries(
      poll.triggers.map((trigger) => [trigger.metricName, { isActive: trigger.active }]),
    ),
    ...(object.spec.fallback ? { health: poll.health } : {}),
    pausedReplicaCount: outcome.pausedReplicas ?? null,
  };
}
