import type { ScaledObject } from "../../api/schema/scaled-object.ts";
import { buildHpaModel, hpaName } from "../../engine/decide.ts";
import type { TriggerMetricSpec } from "../../engine/types.ts";
import type { ResourceMetric } from "../../scalers/prepared-trigger.ts";
import { stableJson } from "../../util/stable-json.ts";
import { formatQuantity } from "../../util/quantity.ts";
import type { ResolvedResource } from "./discovery.ts";
import { KEDA_API_VERSION, SCALED_OBJECT_LABEL } from "../../api/names.ts";

const EXCLUDED_LABELS_ANNOTATION = "scaledobject.keda.sh/hpa-excluded-labels";

export interface HorizontalPodAutoscaler {
  apiVersion: "autoscaling/v2";
  kind: "HorizontalPodAutoscaler";
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    ownerReferences: Record<string, unknown>[];
    resourceVersion?: string;
  };
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicas: number;
    maxReplicas: number;
    metrics: Record<string, unknown>[];
    behavior?: Record<string, unknown>;
  };
}

/** KEDA trims the HPA name to a valid label value for app.kubernetes.io/name. */
function labelValue(name: string): string {
  return name.slice(0, 63).replace(/[^A-Za-z0-9]+$/, "");
}

/**
 * The HPA KEDA owns for a ScaledObject: named `keda-hpa-<name>` (or the configured name), one
 * External metric per trigger selected by `scaledobject.keda.sh/name`, or one `composite-metric`
 * with a formula; labels, annotations and owner reference as KEDA sets them.
 */
export function desiredHpa(
  object: ScaledObject & { metadata: { uid?: string } },
  metricSpecs: readonly TriggerMetricSpec[],
  target: ResolvedResource,
  version: string,
  resources: readonly ResourceMetric[] = [],
): HorizontalPodAutoscaler {
  const model = buildHpaModel(object, metricSpecs);
  const name = hpaName(object);
  const namespace = object.metadata.namespace ?? "default";
  const excluded = new Set(
    (object.metadata.annotations?.[EXCLUDED_LABELS_ANNOTATION] ?? "")
      .split(",")
      .map((label) => label.trim())
      .filter(Boolean),
  );
  const ownLabels = Object.fromEntries(
    Object.entries(object.metadata.labels ?? {}).filter(([key]) => !excluded.has(key)),
  );
  const external = model.metrics.map((metric) => ({
    type: "External",
    external: {
      metric: {
        name: metric.metricName,
        selector: { matchLabels: { [SCALED_OBJECT_LABEL]: object.metadata.name } },
      },
      target:
        metric.targetType === "Value"
          ? { type: "Value", value: formatQuantity(metric.target) }
          : { type: "AverageValue", averageValue: formatQuantity(metric.target) },
    },
  }));
  // KEDA sorts the HPA's metrics by type: External before (Container)Resource.
  const metrics: Record<string, unknown>[] = [...external, ...resources.map(resourceMetricSpec)];
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: {
      name,
      namespace,
      // The ScaledObject's own labels win over KEDA's, as in KEDA.
      labels: {
        "app.kubernetes.io/name": labelValue(name),
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/part-of": object.metadata.name,
        "app.kubernetes.io/managed-by": "keda-operator",
        ...ownLabels,
      },
      annotations: { ...object.metadata.annotations },
      ownerReferences: [
        {
          apiVersion: KEDA_API_VERSION,
          kind: "ScaledObject",
          name: object.metadata.name,
          uid: object.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      scaleTargetRef: {
        apiVersion: target.apiVersion,
        kind: target.kind,
        name: object.spec.scaleTargetRef.name,
      },
      minReplicas: model.minReplicas,
      maxReplicas: model.maxReplicas,
      metrics,
      ...(model.behavior ? { behavior: model.behavior as Record<string, unknown> } : {}),
    },
  };
}

/** A cpu/memory trigger as an HPA Resource or ContainerResource metric. */
function resourceMetricSpec(resource: ResourceMetric): Record<string, unknown> {
  const target =
    resource.targetType === "Utilization"
      ? { type: "Utilization", averageUtilization: Number(resource.value) }
      : { type: "AverageValue", averageValue: resource.value };
  return resource.containerName
    ? {
        type: "ContainerResource",
        containerResource: { name: resource.name, container: resource.containerName, target },
      }
    : { type: "Resource", resource: { name: resource.name, target } };
}

/** True when the live HPA already matches what Tidal wants (spec, and labels/annotations as a subset). */
export function hpaUpToDate(live: HorizontalPodAutoscaler, desired: HorizontalPodAutoscaler): boolean {
  const subset = (want: Record<string, string>, have: Record<string, string> | undefined) =>
    Object.entries(want).every(([key, value]) => have?.[key] === value);
  const { behavior: liveBehavior, ...liveSpec } = live.spec;
  const { behavior: desiredBehavior, ...desiredSpec } = desired.spec;
  return (
    stableJson(liveSpec) === stableJson(desiredSpec) &&
    (desiredBehavior === undefined || behaviorCovers(liveBehavior, desiredBehavior)) &&
    subset(desired.metadata.labels, live.metadata.labels) &&
    subset(desired.metadata.annotations, live.metadata.annotations)
  );
}

/** The API server fills behavior defaults, so the live behavior matches when it contains ours. */
function behaviorCovers(live: unknown, wanted: unknown): boolean {
  if (wanted === null || typeof wanted !== "object")
    return live === wanted || String(live) === String(wanted);
  if (Array.isArray(wanted)) {
    return (
      Array.isArray(live) &&
      live.length === wanted.length &&
      wanted.every((item, index) => behaviorCovers(live[index], item))
    );
  }
  if (live === null || typeof live !== "object") return false;
  return Object.entries(wanted).every(([key, value]) =>
    behaviorCovers((live as Record<string, unknown>)[key], value),
  );
}
