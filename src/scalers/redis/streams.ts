import type { Cluster, Redis } from "ioredis";
import type { ParamProblem, ParsedParams } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { acquireRedis, redisConnectionParams, redisConnectionProblems } from "./connection.ts";

/** The stream parameters of redis-streams, redis-cluster-streams and redis-sentinel-streams. */
export const streamParams = {
  stream: param.string({ description: "name of the Redis stream" }),
  consumerGroup: param.string({
    optional: true,
    description: "consumer group; without it the stream length is measured",
  }),
  pendingEntriesCount: param.int({
    default: 5,
    description: "target pending entries (XPENDING) per replica, when consumerGroup is set without lagCount",
  }),
  streamLength: param.int({
    default: 5,
    description: "target stream length (XLEN) per replica, without consumerGroup",
  }),
  lagCount: param.int({
    optional: true,
    description:
      "target consumer group lag (XINFO GROUPS, Redis 7+) per replica; selects lag mode with consumerGroup",
  }),
  activationLagCount: param.int({
    default: 0,
    description: "active when the measured value is greater than this",
  }),
};

const params = { ...redisConnectionParams, ...streamParams };

type StreamsParams = ParsedParams<typeof streamParams>;

/** What a redis-streams trigger measures, chosen from its parameters as KEDA chooses. */
export type StreamsMode =
  | { kind: "pending"; target: number; targetKey: "pendingEntriesCount" }
  | { kind: "length"; target: number; targetKey: "streamLength" }
  | { kind: "lag"; target: number; targetKey: "lagCount" };

/**
 * KEDA's mode table: a consumer group with a non-zero lagCount measures the group's lag; a consumer
 * group alone measures its pending entries; no consumer group measures the stream length.
 */
export function streamsMode(
  values: Pick<StreamsParams, "consumerGroup" | "lagCount" | "pendingEntriesCount" | "streamLength">,
): StreamsMode {
  if (!values.consumerGroup)
    return { kind: "length", target: values.streamLength, targetKey: "streamLength" };
  if (values.lagCount) return { kind: "lag", target: values.lagCount, targetKey: "lagCount" };
  return { kind: "pending", target: values.pendingEntriesCount, targetKey: "pendingEntriesCount" };
}

/** The major version in an INFO reply (`redis_version:7.0.15`), or undefined. */
export function redisMajorVersion(info: string): number | undefined {
  const match = /^redis_version:(\d+)\./m.exec(info);
  return match ? Number(match[1]) : undefined;
}

/**
 * The `lag` of one group in an XINFO GROUPS reply (a list of flat field/value lists).
 * Returns undefined when the group does not exist, null when Redis cannot determine the lag.
 */
export function groupLag(reply: unknown, group: string): number | null | undefined {
  if (!Array.isArray(reply)) return undefined;
  for (const entry of reply) {
    if (!Array.isArray(entry)) continue;
    const fields = new Map<unknown, unknown>();
    for (let index = 0; index + 1 < entry.length; index += 2) fields.set(entry[index], entry[index + 1]);
    if (String(fields.get("name")) !== group) continue;
    const lag = fields.get("lag");
    return lag === null || lag === undefined ? null : Number(lag);
  }
  return undefined;
}

async function pendingEntries(client: Redis | Cluster, stream: string, group: string): Promise<number> {
  try {
    const [count] = (await client.xpending(stream, group)) as [number, ...unknown[]];
    return Number(count);
  } catch (error) {
    if (error instanceof Error && error.message.startsWith("NOGROUP")) {
      throw new Error(`stream "${stream}" or its consumer group "${group}" does not exist`, { cause: error });
    }
    throw error;
  }
}

async function consumerGroupLag(client: Redis | Cluster, stream: string, group: string): Promise<number> {
  const major = redisMajorVersion(await client.info("server"));
  if (major === undefined) throw new Error("could not read the Redis version from INFO");
  if (major < 7) throw new Error(`lagCount needs Redis 7 or later (the server runs Redis ${major})`);
  let groups: unknown;
  try {
    groups = await client.xinfo("GROUPS", stream);
  } catch (error) {
    // As in KEDA: a stream that does not exist yet has no lag.
    if (error instanceof Error && error.message === "ERR no such key") return 0;
    throw error;
  }
  const lag = groupLag(groups, group);
  // As in KEDA: before the group exists (its consumers are scaled to zero), every entry is lag.
  if (lag === undefined) return client.xlen(stream);
  // KEDA reports 0 here, which could scale a backlog to zero; Tidal says what happened instead.
  if (lag === null) {
    throw new Error(
      `Redis cannot determine the lag of group "${group}" on stream "${stream}" (entries after its last-delivered ID were deleted)`,
    );
  }
  return lag;
}

/** The mode's target must be positive (KEDA: the HPA refuses a target of 0). */
export function streamTargetProblems(values: StreamsParams): ParamProblem[] {
  const mode = streamsMode(values);
  if (mode.target > 0) return [];
  return [{ key: mode.targetKey, message: `${mode.targetKey} must be greater than 0`, severity: "error" }];
}

export function streamMetric(values: StreamsParams) {
  return {
    name: `redis-streams-${values.stream}`,
    target: streamsMode(values).target,
    activationTarget: values.activationLagCount,
  };
}

/** Reads what the mode measures: XLEN, XPENDING's count, or the group's lag. */
export function measureStream(
  client: Redis | Cluster,
  mode: StreamsMode,
  stream: string,
  group: string,
): Promise<number> {
  if (mode.kind === "length") return client.xlen(stream);
  if (mode.kind === "pending") return pendingEntries(client, stream, group);
  return consumerGroupLag(client, stream, group);
}

export const redisStreamsScaler: ScalerDefinition<typeof params> = {
  type: "redis-streams",
  testedAgainst: "Redis (Debian), plain and TLS",
  example: {
    metadata: {
      address: "redis:6379",
      stream: "events",
      consumerGroup: "workers",
      pendingEntriesCount: "10",
    },
    metricName: "s0-redis-streams-events",
  },
  kedaScalerName: "redisStreamsScaler",
  legacy: { envNameKeys: ["address", "host", "port", "password"] },
  description:
    "Redis stream: pending entries of a consumer group (XPENDING), the group's lag (XINFO GROUPS, Redis 7+), or the stream length (XLEN).",
  params,
  validate: (values) => [...redisConnectionProblems(values), ...streamTargetProblems(values)],
  metric: streamMetric,
  connect(values, context) {
    const lease = acquireRedis(values, context);
    const mode = streamsMode(values);
    const group = values.consumerGroup ?? "";
    return {
      async measure() {
        const connection = await lease.client;
        const value = await connection.run((client) => measureStream(client, mode, values.stream, group));
        return { value, active: value > values.activationLagCount };
      },
      close: () => lease.release(),
    };
  },
};
