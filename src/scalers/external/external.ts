import { param } from "../params.ts";
import type { ParsedParams } from "../params.ts";
import type { Scaler, ScalerContext, ScalerDefinition, ScalerMetric } from "../types.ts";
import { watchActivityStream } from "./activity-stream.ts";
import type {
  GetMetricSpecResponse,
  GetMetricsResponse,
  IsActiveResponse,
  MetricSpec,
  ScaledObjectRef,
} from "./client.ts";
import { acquireExternalScalerClient, callUnary } from "./client.ts";

const params = {
  scalerAddress: param.string({ description: "host:port of the external scaler's gRPC server" }),
  enableTLS: param.bool({
    default: false,
    description: "connect with TLS (also implied by any certificate)",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  caCert: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "CA certificate (PEM)",
  }),
  tlsClientCert: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client certificate (PEM)",
  }),
  tlsClientKey: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "client private key (PEM)",
  }),
};

type ExternalParams = ParsedParams<typeof params>;

/** KEDA's target from a MetricSpec: targetSizeFloat when set, else the deprecated integer targetSize. */
function metricOf(spec: MetricSpec): ScalerMetric {
  return {
    name: spec.metricName,
    target: spec.targetSizeFloat > 0 ? spec.targetSizeFloat : spec.targetSize,
    activationTarget: 0,
  };
}

/**
 * Per poll, as KEDA: GetMetrics for the metric GetMetricSpec named (without the `s<i>-` prefix),
 * then IsActive. Each value is metricValueFloat when greater than 0, else metricValue; several
 * values are summed, as the HPA sums the items of an external metric.
 */
function connectExternal(values: ExternalParams, context: ScalerContext, push: boolean): Scaler {
  const lease = acquireExternalScalerClient(values, context);
  const address = values.scalerAddress;
  const ref: ScaledObjectRef = {
    name: context.scalableObject.name,
    namespace: context.scalableObject.namespace,
    scalerMetadata: { ...context.resolvedMetadata },
  };
  let spec: MetricSpec | undefined;

  async function describe(signal: AbortSignal): Promise<ScalerMetric> {
    const client = await lease.client;
    const response = await callUnary<GetMetricSpecResponse>(
      "GetMetricSpec",
      address,
      signal,
      (options, callback) => client.GetMetricSpec(ref, options, callback),
    );
    const [first] = response.metricSpecs;
    if (first === undefined)
      throw new Error(`GetMetricSpec on external scaler ${address} returned no metric specs`);
    spec = first;
    return metricOf(first);
  }

  const scaler: Scaler = {
    describe,
    async measure(signal) {
      if (spec === undefined) await describe(signal);
      const metricName = spec?.metricName ?? "";
      const client = await lease.client;
      const metrics = await callUnary<GetMetricsResponse>(
        "GetMetrics",
        address,
        signal,
        (options, callback) => client.GetMetrics({ scaledObjectRef: ref, metricName }, options, callback),
      );
      if (metrics.metricValues.length === 0) {
        throw new Error(
          `GetMetrics on external scaler ${address} returned no values for metric ${metricName}`,
        );
      }
      const value = metrics.metricValues.reduce(
        (sum, metric) => sum + (metric.metricValueFloat > 0 ? metric.metricValueFloat : metric.metricValue),
        0,
      );
      const activity = await callUnary<IsActiveResponse>("IsActive", address, signal, (options, callback) =>
        client.IsActive(ref, options, callback),
      );
      return { value, active: activity.result };
    },
    close: () => lease.release(),
  };
  if (push) {
    scaler.watch = (wake, onError) =>
      watchActivityStream(address, async () => (await lease.client).StreamIsActive(ref), wake, onError);
  }
  return scaler;
}

const shared = {
  params,
  metricFromSource: true,
  passesMetadataThrough: true,
  // Placeholder until the external scaler answers GetMetricSpec (see Scaler.describe).
  metric: (_values: ExternalParams, context: Pick<ScalerContext, "triggerType">): ScalerMetric => ({
    name: context.triggerType,
    target: 1,
    activationTarget: 0,
  }),
} as const;

export const externalScaler: ScalerDefinition<typeof params> = {
  ...shared,
  type: "external",
  testedAgainst: "a gRPC external scaler started by the tests (KEDA's externalscaler.proto)",
  example: { metadata: { scalerAddress: "external-scaler:9090" }, metricName: "s0-external" },
  kedaScalerName: "externalScaler",
  description: "Metric and activity from an external scaler over KEDA's gRPC contract.",
  connect: (values, context) => connectExternal(values, context, false),
};

export const externalPushScaler: ScalerDefinition<typeof params> = {
  ...shared,
  type: "external-push",
  testedAgainst: "a gRPC external scaler started by the tests (KEDA's externalscaler.proto)",
  example: { metadata: { scalerAddress: "external-scaler:9090" }, metricName: "s0-external-push" },
  kedaScalerName: "externalPushScaler",
  description: "An external scaler that also pushes activity over a StreamIsActive stream.",
  connect: (values, context) => connectExternal(values, context, true),
};
