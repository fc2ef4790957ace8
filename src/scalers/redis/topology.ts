import { connect } from "node:net";
import type { Cluster, Redis } from "ioredis";
import { messageOf } from "../../util/errors.ts";
import { poolKey, type Lease } from "../connection-pool.ts";
import { param } from "../params.ts";
import type { ParamProblem } from "../params.ts";
import { tlsOptions } from "../shared/tls.ts";
import type { ScalerContext } from "../types.ts";
import { isProblem, redisEndpoints, type RedisConnectionParams, type RedisEndpoint } from "./connection.ts";

/**
 * Redis Cluster and Redis Sentinel connections (KEDA's redis-cluster[-streams] and
 * redis-sentinel[-streams]), through ioredis's Cluster and its sentinel mode, loaded when the first
 * such trigger connects.
 */

// KEDA reads the sentinel's parameters from metadata, then authentication, then env.
const SENTINEL_SOURCES = ["metadata", "auth", "env"] as const;

export const sentinelParams = {
  sentinelMaster: param.string({
    sources: SENTINEL_SOURCES,
    optional: true,
    description: "name of the master the sentinels monitor",
  }),
  sentinelUsername: param.string({
    sources: SENTINEL_SOURCES,
    optional: true,
    description: "user name for the sentinels",
  }),
  sentinelPassword: param.string({
    sources: SENTINEL_SOURCES,
    optional: true,
    secret: true,
    description: "password for the sentinels",
  }),
};

export interface SentinelParams extends RedisConnectionParams {
  sentinelMaster?: string | undefined;
  sentinelUsername?: string | undefined;
  sentinelPassword?: string | undefined;
}

export type RedisTopology = "cluster" | "sentinel";

/** Warnings for what KEDA accepts but cannot work: a sentinel trigger without its master's name. */
export function topologyProblems(
  topology: RedisTopology,
  values: SentinelParams & { databaseIndex: number },
): ParamProblem[] {
  if (topology === "cluster" && values.databaseIndex !== 0) {
    return [
      {
        key: "databaseIndex",
        message: "a Redis Cluster has only database 0: databaseIndex is ignored, as in KEDA",
        severity: "warning",
      },
    ];
  }
  if (topology === "sentinel" && !values.sentinelMaster) {
    return [
      {
        key: "sentinelMaster",
        message:
          "set sentinelMaster to the name of the master the sentinels monitor; without it every poll fails",
        severity: "warning",
      },
    ];
  }
  return [];
}

/**
 * A Cluster or sentinel-mode client that names why it is not connected. Both clients queue
 * commands until they are ready, and retry in the background; a command waits for the
 * connection and fails with the connection's own error (refused, wrong password, unknown master).
 */
export class RedisTopologyConnection {
  readonly client: Redis | Cluster;
  readonly #label: string;
  readonly #endpoints: readonly RedisEndpoint[];
  #lastError: string | undefined;

  constructor(client: Redis | Cluster, label: string, endpoints: readonly RedisEndpoint[]) {
    this.client = client;
    this.#label = label;
    this.#endpoints = endpoints;
    client.on("error", (error: Error) => {
      this.#lastError = connectionCause(error);
    });
    client.on("ready", () => {
      this.#lastError = undefined;
    });
  }

  async run<T>(command: (client: Redis | Cluster) => Promise<T>, signal: AbortSignal): Promise<T> {
    if (this.client.status !== "ready") await this.#ready(signal);
    return command(this.client);
  }

  async #ready(signal: AbortSignal): Promise<void> {
    const cause =
      this.#lastError ??
      (await new Promise<string | undefined>((resolve) => {
        const done = (result: string | undefined) => {
          this.client.off("ready", onReady);
          this.client.off("error", onError);
          signal.removeEventListener("abort", onAbort);
          resolve(result);
        };
        const onReady = () => done(undefined);
        const onError = (error: Error) => done(connectionCause(error));
        const onAbort = () => done("no connection before the deadline");
        this.client.on("ready", onReady);
        this.client.on("error", onError);
        signal.addEventListener("abort", onAbort);
      }));
    if (cause === undefined) return;
    throw new Error(`connection to ${this.#label} failed: ${await this.#explain(cause)}`);
  }

  /** "Connection is closed." hides a refused or timed-out connect: a direct connect names it. */
  async #explain(cause: string): Promise<string> {
    if (cause !== "Connection is closed." && !cause.endsWith(": Connection is closed.")) return cause;
    const failures = await Promise.all(this.#endpoints.map((endpoint) => tcpFailure(endpoint)));
    return failures.find((failure) => failure !== undefined) ?? cause;
  }
}

/** The cause inside ioredis's Cluster and sentinel errors. */
function connectionCause(error: Error): string {
  const lastNodeError = (error as Error & { lastNodeError?: Error }).lastNodeError;
  if (lastNodeError) return messageOf(lastNodeError);
  const sentinels = /^All sentinels are unreachable\..*Last error: (.*)$/s.exec(error.message);
  if (sentinels) return `no sentinel answered: ${sentinels[1]}`;
  return messageOf(error);
}

/** Why a TCP connection to the endpoint fails, or undefined when it connects. */
function tcpFailure(endpoint: RedisEndpoint, timeoutMs = 1000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(`connect to ${endpoint.host}:${endpoint.port} timed out`);
    });
    socket.once("error", (error) => resolve(messageOf(error)));
  });
}

function endpointList(endpoints: readonly RedisEndpoint[]): string {
  return endpoints.map((endpoint) => `${endpoint.host}:${endpoint.port}`).join(",");
}

function tlsFor(params: RedisConnectionParams) {
  const useTls = params.enableTLS === true || params.tls === "enable";
  return useTls ? tlsOptions(params) : undefined;
}

function endpointsOf(params: RedisConnectionParams): RedisEndpoint[] {
  const endpoints = redisEndpoints(params);
  if (isProblem(endpoints)) throw new Error(endpoints.message);
  return endpoints;
}

const retry = (attempt: number) => Math.min(attempt * 200, 2000);

/** A shared Cluster client for these nodes and credentials (KEDA: go-redis ClusterClient). */
export function acquireRedisCluster(
  params: RedisConnectionParams,
  context: ScalerContext,
): Lease<RedisTopologyConnection> {
  const endpoints = endpointsOf(params);
  const tls = tlsFor(params);
  const key = poolKey(
    "redis-cluster",
    endpointList(endpoints),
    params.username,
    params.password,
    JSON.stringify(tls),
  );
  return context.pool.acquire(
    key,
    async () => {
      const { Cluster } = await import("ioredis");
      const client = new Cluster(endpoints, {
        redisOptions: {
          username: params.username,
          password: params.password,
          connectTimeout: context.timeoutMs,
          maxRetriesPerRequest: 0,
          ...(tls ? { tls } : {}),
        },
        clusterRetryStrategy: retry,
        slotsRefreshTimeout: context.timeoutMs,
        enableOfflineQueue: true,
      });
      return new RedisTopologyConnection(client, `Redis Cluster at ${endpointList(endpoints)}`, endpoints);
    },
    async (connection) => {
      connection.client.disconnect();
    },
  );
}

/**
 * A shared client of the master that the sentinels name (KEDA: go-redis FailoverClient); TLS, when
 * on, applies to the sentinels and the master alike, as in KEDA.
 */
export function acquireRedisSentinel(
  params: SentinelParams,
  context: ScalerContext,
): Lease<RedisTopologyConnection> {
  const endpoints = endpointsOf(params);
  const master = params.sentinelMaster ?? "";
  const tls = tlsFor(params);
  const key = poolKey(
    "redis-sentinel",
    endpointList(endpoints),
    master,
    params.databaseIndex,
    params.username,
    params.password,
    params.sentinelUsername,
    params.sentinelPassword,
    JSON.stringify(tls),
  );
  return context.pool.acquire(
    key,
    async () => {
      if (master === "") {
        throw new Error("sentinelMaster is not set: name the master the sentinels monitor");
      }
      const { Redis } = await import("ioredis");
      const client = new Redis({
        sentinels: endpoints,
        name: master,
        sentinelUsername: params.sentinelUsername,
        sentinelPassword: params.sentinelPassword,
        username: params.username,
        password: params.password,
        db: params.databaseIndex,
        connectTimeout: context.timeoutMs,
        maxRetriesPerRequest: 0,
        retryStrategy: retry,
        sentinelRetryStrategy: retry,
        ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
      });
      return new RedisTopologyConnection(
        client,
        `Redis master "${master}" through the sentinels at ${endpointList(endpoints)}`,
        endpoints,
      );
    },
    async (connection) => {
      connection.client.disconnect();
    },
  );
}
