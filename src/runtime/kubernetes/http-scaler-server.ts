import type * as grpc from "@grpc/grpc-js";
import type { HttpScaledObject } from "../../api/schema/http-scaled-object.ts";
import { httpMetricName, httpScalingMetric } from "../../http-proxy/index.ts";
import type { Logger } from "../../observability/logger.ts";
import { externalScalerService } from "../../scalers/external/client.ts";
import type {
  GetMetricSpecResponse,
  GetMetricsRequest,
  GetMetricsResponse,
  IsActiveResponse,
  ScaledObjectRef,
} from "../../scalers/external/client.ts";
import { messageOf } from "../../util/errors.ts";
import type { InterceptorCounts } from "./interceptor-counts.ts";

/** The add-on's scaler sends the activity on StreamIsActive this often (KEDA_HTTP_SCALER_STREAM_INTERVAL_MS). */
export const STREAM_INTERVAL_MS = 200;

export interface HttpScalerServerOptions {
  counts: Pick<InterceptorCounts, "counts" | "onDemand">;
  /** The HTTPScaledObject a trigger names, if it exists and is valid. */
  lookup: (namespace: string, name: string) => HttpScaledObject | undefined;
  logger: Logger;
  streamIntervalMs?: number;
}

export interface HttpScalerServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The HTTP add-on's external scaler, inside `tidal operator`: KEDA's externalscaler.proto over
 * gRPC, answering for the HTTPScaledObject a trigger names (`httpScaledObject` in its metadata,
 * else the ScaledObject's own name) from the interceptors' summed counts: the metric
 * `http-<namespace>-<name>` with the HTTPScaledObject's target, its value (in-flight requests or
 * request rate), activity (a value above zero), and StreamIsActive every 200 ms, at once when a
 * replica reports a request held for the route.
 */
export async function startHttpScalerServer(
  options: HttpScalerServerOptions,
  port: number,
  host: string,
): Promise<HttpScalerServer> {
  const { counts, lookup, logger } = options;
  const service = await externalScalerService();
  const { Metadata, Server, ServerCredentials, status } = await import("@grpc/grpc-js");
  const streamIntervalMs = options.streamIntervalMs ?? STREAM_INTERVAL_MS;

  const resolve = (ref: ScaledObjectRef): { object: HttpScaledObject; key: string } | grpc.ServiceError => {
    const name = ref.scalerMetadata?.httpScaledObject || ref.name;
    const object = lookup(ref.namespace, name);
    if (object === undefined) {
      return Object.assign(new Error(`HTTPScaledObject ${ref.namespace}/${name} not found or not valid`), {
        code: status.NOT_FOUND,
        details: `HTTPScaledObject ${ref.namespace}/${name} not found or not valid`,
        metadata: new Metadata(),
      });
    }
    return { object, key: `${ref.namespace}/${name}` };
  };
  const valueOf = (object: HttpScaledObject, key: string): number => {
    const { metric } = httpScalingMetric(object);
    return counts.counts(key)[metric];
  };

  const server = new Server();
  server.addService(service.definition, {
    GetMetricSpec(
      call: grpc.ServerUnaryCall<ScaledObjectRef, GetMetricSpecResponse>,
      callback: grpc.sendUnaryData<GetMetricSpecResponse>,
    ) {
      const found = resolve(call.request);
      if (found instanceof Error) return callback(found);
      const { target } = httpScalingMetric(found.object);
      callback(null, {
        metricSpecs: [
          {
            metricName: httpMetricName(found.object),
            targetSize: Math.round(target),
            targetSizeFloat: target,
          },
        ],
      });
    },
    GetMetrics(
      call: grpc.ServerUnaryCall<GetMetricsRequest, GetMetricsResponse>,
      callback: grpc.sendUnaryData<GetMetricsResponse>,
    ) {
      const found = resolve(call.request.scaledObjectRef);
      if (found instanceof Error) return callback(found);
      const value = valueOf(found.object, found.key);
      callback(null, {
        metricValues: [
          {
            metricName: httpMetricName(found.object),
            metricValue: Math.round(value),
            metricValueFloat: value,
          },
        ],
      });
    },
    IsActive(
      call: grpc.ServerUnaryCall<ScaledObjectRef, IsActiveResponse>,
      callback: grpc.sendUnaryData<IsActiveResponse>,
    ) {
      const found = resolve(call.request);
      if (found instanceof Error) return callback(found);
      callback(null, { result: valueOf(found.object, found.key) > 0 });
    },
    StreamIsActive(call: grpc.ServerWritableStream<ScaledObjectRef, IsActiveResponse>) {
      const ref = call.request;
      const name = ref.scalerMetadata?.httpScaledObject || ref.name;
      const key = `${ref.namespace}/${name}`;
      const send = (active?: boolean): void => {
        const object = lookup(ref.namespace, name);
        const result = active ?? (object !== undefined && valueOf(object, key) > 0);
        call.write({ result });
      };
      const timer = setInterval(() => send(), streamIntervalMs);
      const unsubscribe = counts.onDemand((keys) => {
        if (keys.includes(key)) send(true);
      });
      const stop = (): void => {
        clearInterval(timer);
        unsubscribe();
      };
      call.on("cancelled", stop);
      call.on("error", stop);
      call.on("close", stop);
      send();
    },
  });
  const bound = await new Promise<number>((resolvePort, reject) =>
    server.bindAsync(
      `${host.includes(":") ? `[${host}]` : host}:${port}`,
      ServerCredentials.createInsecure(),
      (error, boundPort) => (error ? reject(error) : resolvePort(boundPort)),
    ),
  );
  logger.debug("HTTP scaler listening", { port: bound });
  return {
    port: bound,
    close: () =>
      new Promise<void>((done) => {
        server.tryShutdown((error) => {
          if (error) logger.warn("HTTP scaler did not shut down cleanly", { error: messageOf(error) });
          server.forceShutdown();
          done();
        });
        // Streams never end on their own.
        setTimeout(() => server.forceShutdown(), 1000).unref();
      }),
  };
}
