/** The HPA KEDA creates for a ScaledObject (KEDA: controllers/keda/hpa.go), as far as the replica math needs it. */
import type { HpaBehavior } from "../api/schema/hpa-behavior.ts";
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { parseControlAnnotations } from "./annotations.ts";
import { COMPOSITE_METRIC_NAME, readScalingModifiers } from "./scaling-modifiers.ts";
import type { HpaModel, TriggerMetricSpec } from "./types.ts";

export function hpaName(scaledObject: ScaledObject): string {
  return (
    scaledObject.spec.advanced?.horizontalPodAutoscalerConfig?.name ??
    `keda-hpa-${scaledObject.metadata.name}`
  );
}

export function buildHpaModel(
  scaledObject: ScaledObject,
  metricSpecs: readonly TriggerMetricSpec[],
): HpaModel {
  const { spec } = scaledObject;
  const behavior = pausedBehavior(scaledObject);
  const modifiers = readScalingModifiers(scaledObject);
  const metrics = modifiers
    ? [{ metricName: COMPOSITE_METRIC_NAME, targetType: modifiers.targetType, target: modifiers.target }]
    : metricSpecs.map(({ metricName, targetType, target, resource }) => ({
        metricName,
        targetType,
        target,
        ...(resource ? { resource } : {}),
      }));
  return {
    // The HPA cannot go to 0; KEDA owns 0 ↔ 1.
    minReplicas: spec.minReplicaCount > 0 ? spec.minReplicaCount : 1,
    maxReplicas: spec.maxReplicaCount,
    ...(behavior ? { behavior } : {}),
    metrics,
  };
}

/** The user's behavior, with paused-scale-in/out turning the direction's selectPolicy to Disabled. */
function pausedBehavior(scaledObject: ScaledObject): HpaBehavior | undefined {
  const configured = scaledObject.spec.advanced?.horizontalPodAutoscalerConfig?.behavior;
  const { pausedScaleIn, pausedScaleOut } = parseControlAnnotations(scaledObject.metadata.annotations);
  if (!pausedScaleIn && !pausedScaleOut) return configured;
  const behavior: HpaBehavior = structuredClone(configured ?? {});
  if (pausedScaleIn) behavior.scaleDown = { ...behavior.scaleDown, selectPolicy: "Disabled" };
  if (pausedScaleOut) behavior.scaleUp = { ...behavior.scaleUp, selectPolicy: "Disabled" };
  return behavior;
}
