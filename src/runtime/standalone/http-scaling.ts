import type { HttpScaledObject } from "../../api/schema/http-scaled-object.ts";
import type { ScaledObject } from "../../api/schema/scaled-object.ts";
import { createRedactor } from "../../util/redact.ts";
import type { PreparedTrigger } from "../../scalers/prepared-trigger.ts";
import type { ScalerDefinition } from "../../scalers/types.ts";
import { metricNameWithIndex } from "../../scalers/metric-name.ts";
import { KEDA_API_VERSION, TIDAL_API_VERSION } from "../../api/names.ts";
import { httpMetricName, httpScalingMetric } from "../../http-proxy/index.ts";

export { httpScalingMetric };

/**
 * The ScaledObject that scales an HTTPScaledObject's ProcessPool, as the add-on's operator writes
 * one: replicas.min/max become min/maxReplicaCount (default 0 and 100), scaledownPeriod becomes the
 * cooldown, and a single trigger reads the proxy's meter for the route every second (requests that
 * find no worker also wake it at once).
 */
export function scaledObjectForHttp(object: HttpScaledObject): ScaledObject {
  const { metadata, spec } = object;
  return {
    apiVersion: KEDA_API_VERSION,
    kind: "ScaledObject",
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace ?? "default",
      ...(metadata.creationTimestamp ? { creationTimestamp: metadata.creationTimestamp } : {}),
    },
    spec: {
      scaleTargetRef: {
        apiVersion: TIDAL_API_VERSION,
        kind: "ProcessPool",
        name: spec.scaleTargetRef.name,
      },
      pollingInterval: 1,
      cooldownPeriod: spec.scaledownPeriod,
      initialCooldownPeriod: spec.initialCooldownPeriod ?? 0,
      minReplicaCount: spec.replicas?.min ?? 0,
      maxReplicaCount: spec.replicas?.max ?? 100,
      triggers: [{ type: "http", name: "http", useCachedMetrics: false, metadata: {} }],
    },
  };
}

export interface RouteMeter {
  metrics(routeKey: string): { concurrency: number; requestRate: number };
  /** Subscribes to "a request is waiting for a worker" for the route; returns the unsubscribe. */
  onDemand(routeKey: string, wake: () => void): () => void;
}

/** The trigger of an HTTPScaledObject's ScaledObject, ready for connectTrigger. */
export function httpTrigger(object: HttpScaledObject, meter: RouteMeter): PreparedTrigger {
  const routeKey = `${object.metadata.namespace ?? "default"}/${object.metadata.name}`;
  const { metric, target } = httpScalingMetric(object);
  const definition: ScalerDefinition = {
    type: "http",
    // The HTTP add-on's ScaledObject reads its external scaler through an external-push trigger.
    kedaScalerName: "externalPushScaler",
    testedAgainst: "Tidal's HTTP proxy",
    example: { metadata: {}, metricName: `s0-${httpMetricName(object)}` },
    description:
      "In-flight requests or request rate of an HTTPScaledObject's route through Tidal's HTTP proxy.",
    params: {},
    metric: () => ({ name: httpMetricName(object), target, activationTarget: 0 }),
    connect: () => ({
      measure: async () => {
        const value = meter.metrics(routeKey)[metric];
        return { value, active: value > 0 };
      },
      watch: (wake) => meter.onDemand(routeKey, wake),
      close: async () => {},
    }),
  };
  return {
    index: 0,
    name: "http",
    type: "http",
    definition,
    params: {},
    metricSpec: {
      index: 0,
      name: "http",
      type: "http",
      metricName: metricNameWithIndex(0, httpMetricName(object)),
      targetType: "AverageValue",
      target,
      activationTarget: 0,
    },
    problems: [],
    redact: createRedactor([]),
    resolvedMetadata: {},
  };
}
