import type { Lease } from "../connection-pool.ts";
import type { ScalerContext, ScalerDefinition } from "../types.ts";
import { redisConnectionParams, redisConnectionProblems } from "./connection.ts";
import { LENGTH_SCRIPT, listLengthProblems, listParams } from "./redis.ts";
import { measureStream, streamMetric, streamParams, streamsMode, streamTargetProblems } from "./streams.ts";
import {
  acquireRedisCluster,
  acquireRedisSentinel,
  sentinelParams,
  topologyProblems,
  type RedisTopology,
  type RedisTopologyConnection,
  type SentinelParams,
} from "./topology.ts";

/**
 * KEDA's redis-cluster, redis-sentinel, redis-cluster-streams and redis-sentinel-streams: the
 * redis and redis-streams scalers over a Redis Cluster (the `address` list, or `hosts` and
 * `ports`, are its startup nodes) or over the master that Redis Sentinels name. KEDA reads the
 * same parameters for every variant; the sentinel's own are declared only where they mean
 * something, so setting them elsewhere is a warning.
 */

/** The connection parameters of redis, described as a cluster or the sentinels read them. */
function described(servers: string, databaseIndex: string) {
  const { address, host, port, databaseIndex: database } = redisConnectionParams;
  return {
    ...redisConnectionParams,
    address: { ...address, description: `${servers}: a list of host:port` },
    host: { ...host, description: `${servers}: hosts, paired with ports (added to address)` },
    port: { ...port, description: "ports of the hosts, one per host" },
    databaseIndex: { ...database, description: databaseIndex },
  };
}

const clusterConnection = described(
  "startup nodes of the cluster",
  "ignored: a Redis Cluster has only database 0 (KEDA reads it and does not use it)",
);
const sentinelConnection = described("the sentinels", "database number on the master");
const clusterList = { ...clusterConnection, ...listParams };
const sentinelList = { ...sentinelConnection, ...sentinelParams, ...listParams };
const clusterStreams = { ...clusterConnection, ...streamParams };
const sentinelStreams = { ...sentinelConnection, ...sentinelParams, ...streamParams };

function acquire(
  topology: RedisTopology,
  values: SentinelParams,
  context: ScalerContext,
): Lease<RedisTopologyConnection> {
  return topology === "cluster"
    ? acquireRedisCluster(values, context)
    : acquireRedisSentinel(values, context);
}

const TESTED = {
  cluster: "Redis Cluster (Debian redis-server, three masters)",
  sentinel: "Redis Sentinel (Debian redis-server)",
};
const WHERE = {
  cluster: "on a Redis Cluster (go-redis ClusterClient in KEDA: the key's node answers)",
  sentinel: "on the master that Redis Sentinels name (sentinelMaster)",
};
const EXAMPLE_CONNECTION = {
  cluster: { addresses: "redis-0:6379, redis-1:6379, redis-2:6379" },
  sentinel: { addresses: "sentinel-0:26379, sentinel-1:26379", sentinelMaster: "mymaster" },
};

// Cluster triggers are typed with the sentinel's parameters too: theirs are simply undefined.
type ListParams = typeof sentinelList;
type StreamsParams = typeof sentinelStreams;

function listScaler(topology: RedisTopology, params: typeof clusterList | ListParams): ScalerDefinition {
  const definition: ScalerDefinition<ListParams> = {
    type: `redis-${topology}`,
    kedaScalerName: "redisScaler",
    testedAgainst: TESTED[topology],
    example: { metadata: { listName: "jobs", ...EXAMPLE_CONNECTION[topology] }, metricName: "s0-redis-jobs" },
    description: `Length of a Redis list (or set, sorted set, hash) ${WHERE[topology]}.`,
    params: params as ListParams,
    validate: (values) => [
      ...redisConnectionProblems(values, true),
      ...listLengthProblems(values),
      ...topologyProblems(topology, values),
    ],
    metric: (values) => ({
      name: `redis-${values.listName}`,
      target: values.listLength,
      activationTarget: values.activationListLength,
    }),
    connect(values, context) {
      const lease = acquire(topology, values, context);
      return {
        async measure(signal) {
          const connection = await lease.client;
          const length = Number(
            await connection.run((client) => client.eval(LENGTH_SCRIPT, 1, values.listName), signal),
          );
          return { value: length, active: length > values.activationListLength };
        },
        close: () => lease.release(),
      };
    },
  };
  return definition;
}

function streamsScaler(
  topology: RedisTopology,
  params: typeof clusterStreams | StreamsParams,
): ScalerDefinition {
  const definition: ScalerDefinition<StreamsParams> = {
    type: `redis-${topology}-streams`,
    kedaScalerName: "redisStreamsScaler",
    testedAgainst: TESTED[topology],
    example: {
      metadata: { stream: "events", consumerGroup: "workers", ...EXAMPLE_CONNECTION[topology] },
      metricName: "s0-redis-streams-events",
    },
    description: `Redis stream ${WHERE[topology]}: a consumer group's pending entries or lag, or the stream length.`,
    params: params as StreamsParams,
    validate: (values) => [
      ...redisConnectionProblems(values, true),
      ...streamTargetProblems(values),
      ...topologyProblems(topology, values),
    ],
    metric: streamMetric,
    connect(values, context) {
      const lease = acquire(topology, values, context);
      const mode = streamsMode(values);
      const group = values.consumerGroup ?? "";
      return {
        async measure(signal) {
          const connection = await lease.client;
          const value = await connection.run(
            (client) => measureStream(client, mode, values.stream, group),
            signal,
          );
          return { value, active: value > values.activationLagCount };
        },
        close: () => lease.release(),
      };
    },
  };
  return definition;
}

export const redisClusterScaler = listScaler("cluster", clusterList);
export const redisSentinelScaler = listScaler("sentinel", sentinelList);
export const redisClusterStreamsScaler = streamsScaler("cluster", clusterStreams);
export const redisSentinelStreamsScaler = streamsScaler("sentinel", sentinelStreams);
