import { DEFAULT_NAMESPACE } from "../api/resources.ts";
import type { HttpScaledObject } from "../api/schema/http-scaled-object.ts";
import { parseDuration } from "../util/go/duration.ts";
import type { HttpProxyRoute } from "./http-proxy.ts";
import { DEFAULT_REQUEST_RATE } from "./traffic-meter.ts";

/**
 * The proxy route of an HTTPScaledObject: key `namespace/name`, its hosts and path prefixes, its
 * `timeouts` (unset or zero fall back to the proxy-wide values, as in the add-on) and, when it
 * scales on `requestRate`, that metric's window and granularity. Durations that do not parse
 * fall back too; validation reports them.
 */
export function httpScaledObjectRoute(object: HttpScaledObject): HttpProxyRoute {
  const { metadata, spec } = object;
  const rate = spec.scalingMetric?.requestRate;
  return {
    key: `${metadata.namespace ?? DEFAULT_NAMESPACE}/${metadata.name}`,
    hosts: spec.hosts,
    pathPrefixes: spec.pathPrefixes,
    headers: spec.headers,
    conditionWaitMs: milliseconds(spec.timeouts?.conditionWait),
    responseHeaderTimeoutMs: milliseconds(spec.timeouts?.responseHeader),
    requestRate: rate && {
      windowMs: milliseconds(rate.window) || DEFAULT_REQUEST_RATE.windowMs,
      granularityMs: milliseconds(rate.granularity) || DEFAULT_REQUEST_RATE.granularityMs,
    },
  };
}

function milliseconds(duration: string | undefined): number | undefined {
  return duration === undefined ? undefined : parseDuration(duration);
}

/** The HTTP add-on's default target when neither scaling metric sets one. */
const DEFAULT_TARGET = 100;

/** Which proxy metric scales an HTTPScaledObject, and its target per replica. */
export function httpScalingMetric(object: HttpScaledObject): {
  metric: "concurrency" | "requestRate";
  target: number;
} {
  const { scalingMetric, targetPendingRequests } = object.spec;
  if (scalingMetric?.requestRate)
    return { metric: "requestRate", target: scalingMetric.requestRate.targetValue };
  return {
    metric: "concurrency",
    target: scalingMetric?.concurrency?.targetValue ?? targetPendingRequests ?? DEFAULT_TARGET,
  };
}

/**
 * The metric the add-on's external scaler names for an HTTPScaledObject (before KEDA's `s<i>-`
 * prefix): `http-<namespace>-<name>`.
 */
export function httpMetricName(object: HttpScaledObject): string {
  return `http-${object.metadata.namespace ?? DEFAULT_NAMESPACE}-${object.metadata.name}`;
}
