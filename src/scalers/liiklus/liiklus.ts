import { fileURLToPath } from "node:url";
import type * as Grpc from "@grpc/grpc-js";
import { param } from "../params.ts";
import { poolKey } from "../connection-pool.ts";
import type { ScalerDefinition } from "../types.ts";

const params = {
  address: param.string({ description: "host:port of the Liiklus gRPC API (plain text)" }),
  topic: param.string({ description: "topic to measure" }),
  group: param.string({ description: "consumer group whose lag is measured" }),
  groupVersion: param.int({ default: 0, description: "version of the consumer group" }),
  lagThreshold: param.int({ default: 10, description: "target lag per replica" }),
  activationLagThreshold: param.int({
    default: 0,
    description: "active when the total lag is greater than this",
  }),
};

type Offsets = Record<string, string>;
type Callback = (error: Grpc.ServiceError | null, reply?: { offsets?: Offsets }) => void;
interface LiiklusClient extends Grpc.Client {
  GetOffsets(request: object, options: Grpc.CallOptions, callback: Callback): Grpc.ClientUnaryCall;
  GetEndOffsets(request: object, options: Grpc.CallOptions, callback: Callback): Grpc.ClientUnaryCall;
}

/** The service from liiklus.proto, loaded with @grpc/grpc-js when the first liiklus trigger connects. */
export async function liiklusService(): Promise<{
  grpc: typeof Grpc;
  Client: Grpc.ServiceClientConstructor;
}> {
  const grpc = await import("@grpc/grpc-js");
  const protoLoader = await import("@grpc/proto-loader");
  const definition = protoLoader.loadSync(fileURLToPath(new URL("./liiklus.proto", import.meta.url)), {
    keepCase: true,
    longs: String,
    defaults: true,
  });
  const namespace = grpc.loadPackageDefinition(definition) as unknown as {
    com: { github: { bsideup: { liiklus: { LiiklusService: Grpc.ServiceClientConstructor } } } };
  };
  return { grpc, Client: namespace.com.github.bsideup.liiklus.LiiklusService };
}

const UINT64 = 1n << 64n;

/**
 * KEDA's lag: per partition of the end offsets, end minus the group's offset (uint64 arithmetic, a
 * missing group offset is 0), summed; the sum is capped at lagThreshold × partitions.
 */
export function liiklusLag(endOffsets: Offsets, groupOffsets: Offsets, lagThreshold: number): number {
  let total = 0n;
  const partitions = Object.keys(endOffsets);
  for (const partition of partitions) {
    const diff =
      (BigInt(endOffsets[partition] ?? "0") - BigInt(groupOffsets[partition] ?? "0") + UINT64) % UINT64;
    total = (total + diff) % UINT64;
  }
  const threshold = BigInt(lagThreshold);
  if (threshold > 0n && total / threshold > BigInt(partitions.length))
    total = threshold * BigInt(partitions.length);
  return Number(total);
}

function call(
  client: LiiklusClient,
  method: "GetOffsets" | "GetEndOffsets",
  request: object,
  signal: AbortSignal,
): Promise<Offsets> {
  return new Promise((resolve, reject) => {
    // KEDA gives each call 10 seconds within the measurement's deadline.
    const unary = client[method](request, { deadline: Date.now() + 10_000 }, (error, reply) => {
      signal.removeEventListener("abort", cancel);
      if (error) reject(new Error(`${method}: ${error.details || error.message}`));
      else resolve(reply?.offsets ?? {});
    });
    const cancel = () => unary.cancel();
    signal.addEventListener("abort", cancel, { once: true });
  });
}

export const liiklusScaler: ScalerDefinition<typeof params> = {
  type: "liiklus",
  kedaScalerName: "liiklusScaler",
  description:
    "Lag of a Liiklus consumer group on a topic (end offsets minus the group's, capped at lagThreshold per partition). KEDA marks this scaler deprecated (removed in v2.24).",
  testedAgainst:
    "fake-liiklus (a loopback fake of Liiklus's documented gRPC LiiklusService: GetOffsets, GetEndOffsets)",
  example: {
    metadata: { address: "liiklus:6565", topic: "orders", group: "workers" },
    metricName: "s0-liiklus-orders",
  },
  params,
  validate(values) {
    if (values.groupVersion < 0 || values.groupVersion > 0xffffffff) {
      return [
        { key: "groupVersion", message: "groupVersion must be from 0 to 4294967295", severity: "error" },
      ];
    }
    return [];
  },
  metric: (values) => ({
    name: `liiklus-${values.topic}`,
    target: values.lagThreshold,
    activationTarget: values.activationLagThreshold,
  }),
  connect(values, context) {
    const lease = context.pool.acquire(
      poolKey("liiklus", values.address),
      async () => {
        const { grpc, Client } = await liiklusService();
        return new Client(values.address, grpc.credentials.createInsecure(), {
          "grpc.service_config": JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
        }) as unknown as LiiklusClient;
      },
      async (client) => client.close(),
    );
    return {
      async measure(signal) {
        const client = await lease.client;
        const groupOffsets = await call(
          client,
          "GetOffsets",
          { topic: values.topic, group: values.group, groupVersion: values.groupVersion },
          signal,
        );
        const endOffsets = await call(client, "GetEndOffsets", { topic: values.topic }, signal);
        const value = liiklusLag(endOffsets, groupOffsets, values.lagThreshold);
        return { value, active: value > values.activationLagThreshold };
      },
      close: () => lease.release(),
    };
  },
};
