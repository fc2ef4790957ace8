import type * as grpc from "@grpc/grpc-js";
import { fileURLToPath } from "node:url";
import type { Lease } from "../connection-pool.ts";
import { poolKey } from "../connection-pool.ts";
import type { ScalerContext } from "../types.ts";

/** The messages of externalscaler.proto, as proto-loader decodes them (int64 as numbers, defaults filled). */
export interface ScaledObjectRef {
  name: string;
  namespace: string;
  scalerMetadata: Record<string, string>;
}
export interface IsActiveResponse {
  result: boolean;
}
export interface MetricSpec {
  metricName: string;
  targetSize: number;
  targetSizeFloat: number;
}
export interface GetMetricSpecResponse {
  metricSpecs: MetricSpec[];
}
export interface GetMetricsRequest {
  scaledObjectRef: ScaledObjectRef;
  metricName: string;
}
export interface MetricValue {
  metricName: string;
  metricValue: number;
  metricValueFloat: number;
}
export interface GetMetricsResponse {
  metricValues: MetricValue[];
}

type Callback<T> = (error: grpc.ServiceError | null, response?: T) => void;

/** The client proto-loader generates for the ExternalScaler service. */
export interface ExternalScalerClient extends grpc.Client {
  IsActive(
    request: ScaledObjectRef,
    options: grpc.CallOptions,
    callback: Callback<IsActiveResponse>,
  ): grpc.ClientUnaryCall;
  GetMetricSpec(
    request: ScaledObjectRef,
    options: grpc.CallOptions,
    callback: Callback<GetMetricSpecResponse>,
  ): grpc.ClientUnaryCall;
  GetMetrics(
    request: GetMetricsRequest,
    options: grpc.CallOptions,
    callback: Callback<GetMetricsResponse>,
  ): grpc.ClientUnaryCall;
  StreamIsActive(request: ScaledObjectRef): grpc.ClientReadableStream<IsActiveResponse>;
}

interface ExternalScalerService {
  Client: new (
    address: string,
    credentials: grpc.ChannelCredentials,
    options?: grpc.ClientOptions,
  ) => ExternalScalerClient;
  definition: grpc.ServiceDefinition;
}

let loaded: ExternalScalerService | undefined;
/** @grpc/grpc-js, once loaded: the first external trigger or gRPC server loads it. */
let library: typeof grpc | undefined;

/** The ExternalScaler service from externalscaler.proto: a client constructor and the definition servers implement. */
export async function externalScalerService(): Promise<ExternalScalerService> {
  if (loaded === undefined) {
    const [grpcModule, protoLoader] = await Promise.all([
      import("@grpc/grpc-js"),
      import("@grpc/proto-loader"),
    ]);
    library = grpcModule;
    const packageDefinition = protoLoader.loadSync(
      fileURLToPath(new URL("./externalscaler.proto", import.meta.url)),
      {
        keepCase: true,
        longs: Number,
        defaults: true,
      },
    );
    const constructor = (
      grpcModule.loadPackageDefinition(packageDefinition).externalscaler as grpc.GrpcObject
    ).ExternalScaler as grpc.ServiceClientConstructor;
    loaded = {
      Client: constructor as unknown as ExternalScalerService["Client"],
      definition: constructor.service,
    };
  }
  return loaded;
}

/** How to reach an external scaler: KEDA's metadata and authentication parameters. */
export interface ExternalScalerConnection {
  scalerAddress: string;
  enableTLS: boolean;
  unsafeSsl: boolean;
  caCert?: string | undefined;
  tlsClientCert?: string | undefined;
  tlsClientKey?: string | undefined;
}

function channelCredentials(
  { credentials }: typeof grpc,
  connection: ExternalScalerConnection,
): grpc.ChannelCredentials {
  const { caCert, tlsClientCert, tlsClientKey } = connection;
  // As KEDA: TLS when enabled or when any certificate is given.
  if (!connection.enableTLS && !caCert && !tlsClientCert && !tlsClientKey)
    return credentials.createInsecure();
  return credentials.createSsl(
    caCert ? Buffer.from(caCert) : null,
    tlsClientKey ? Buffer.from(tlsClientKey) : null,
    tlsClientCert ? Buffer.from(tlsClientCert) : null,
    connection.unsafeSsl ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {},
  );
}

// KEDA balances calls over every address the scaler's name resolves to.
const ROUND_ROBIN = JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] });

/** A channel shared by every trigger that reaches the same address with the same TLS settings. */
export function acquireExternalScalerClient(
  connection: ExternalScalerConnection,
  context: Pick<ScalerContext, "pool">,
): Lease<ExternalScalerClient> {
  const { scalerAddress, enableTLS, unsafeSsl, caCert, tlsClientCert, tlsClientKey } = connection;
  const key = poolKey("external", scalerAddress, enableTLS, unsafeSsl, caCert, tlsClientCert, tlsClientKey);
  return context.pool.acquire(
    key,
    async () => {
      const { Client } = await externalScalerService();
      return new Client(scalerAddress, channelCredentials(library as typeof grpc, connection), {
        "grpc.service_config": ROUND_ROBIN,
      });
    },
    async (client) => client.close(),
  );
}

/** An error naming the call, the scaler and gRPC's status. */
export function rpcError(rpc: string, address: string, error: grpc.ServiceError): Error {
  const status = library?.status[error.code] ?? String(error.code);
  // grpc-js ends connection failures with an empty "Resolution note: ".
  const details = (error.details || error.message).replace(/\s*Resolution note:\s*$/, "");
  return new Error(`${rpc} on external scaler ${address} failed: ${status}: ${details}`);
}

/** Runs one unary call, cancelling it when `signal` aborts. */
export function callUnary<T>(
  rpc: string,
  address: string,
  signal: AbortSignal,
  start: (options: grpc.CallOptions, callback: Callback<T>) => grpc.ClientUnaryCall,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const call = start({}, (error, response) => {
      signal.removeEventListener("abort", cancel);
      if (error) reject(rpcError(rpc, address, error));
      else if (response === undefined)
        reject(new Error(`${rpc} on external scaler ${address} returned nothing`));
      else resolve(response);
    });
    const cancel = () => call.cancel();
    if (signal.aborted) cancel();
    else signal.addEventListener("abort", cancel, { once: true });
  });
}
