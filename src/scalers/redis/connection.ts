import type { Redis, RedisOptions } from "ioredis";
import { messageOf } from "../../util/errors.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { poolKey } from "../connection-pool.ts";
import { certAndKeyProblems, tlsAuthParams, tlsOptions } from "../shared/tls.ts";
import type { ScalerContext } from "../types.ts";

// KEDA's lookup orders: the address is read from metadata, then auth, then env; host, port and
// credentials from metadata, then env, then auth.
const ADDRESS_SOURCES = ["metadata", "auth", "env"] as const;
const HOST_SOURCES = ["metadata", "env", "auth"] as const;

/** Connection parameters shared by `redis` and `redis-streams`, with KEDA's names and sources. */
export const redisConnectionParams = {
  address: param.list({
    sources: ADDRESS_SOURCES,
    aliases: ["addresses"],
    optional: true,
    description: "host:port of the Redis server (a list is accepted; a single server uses the first)",
  }),
  host: param.list({ sources: HOST_SOURCES, aliases: ["hosts"], optional: true, description: "Redis host" }),
  port: param.list({ sources: HOST_SOURCES, aliases: ["ports"], optional: true, description: "Redis port" }),
  username: param.string({ sources: HOST_SOURCES, optional: true, description: "Redis ACL user name" }),
  password: param.string({
    sources: HOST_SOURCES,
    optional: true,
    secret: true,
    description: "Redis password",
  }),
  databaseIndex: param.int({ default: 0, description: "database number" }),
  enableTLS: param.bool({ optional: true, description: "connect with TLS (metadata form of tls=enable)" }),
  ...tlsAuthParams,
  // KEDA reads `tls` from the authentication only, and rejects it together with enableTLS.
  tls: param.enum(["enable", "disable"], {
    sources: ["auth"],
    optional: true,
    description: "enable to connect with TLS (authentication form of enableTLS)",
  }),
};

export interface RedisConnectionParams {
  address?: string[] | undefined;
  host?: string[] | undefined;
  port?: string[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  databaseIndex: number;
  enableTLS?: boolean | undefined;
  tls?: "enable" | "disable" | undefined;
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  keyPassword?: string | undefined;
  unsafeSsl: boolean;
}

export interface RedisEndpoint {
  host: string;
  port: number;
}

/**
 * The server to talk to, by KEDA's rules: `address` (host:port) wins; otherwise `host` and `port`
 * are paired up and must come in equal numbers. A single server uses the first entry.
 */
export function redisEndpoint(params: RedisConnectionParams): RedisEndpoint | ParamProblem {
  const [address] = params.address ?? [];
  if (address !== undefined) return parseAddress(address);
  const hosts = params.host ?? [];
  const ports = params.port ?? [];
  if (hosts.length === 0) return problem("address", "set address (host:port), or host and port");
  if (ports.length === 0) return problem("port", "port is required when host is set");
  if (hosts.length !== ports.length) {
    return problem("port", `${hosts.length} hosts but ${ports.length} ports: give one port per host`);
  }
  return withPort("port", hosts[0] as string, ports[0] as string);
}

function withPort(key: string, host: string, port: string): RedisEndpoint | ParamProblem {
  const number = Number(port);
  if (!/^\d+$/.test(port) || number < 1 || number > 65535)
    return problem(key, `port "${port}" must be a number from 1 to 65535`);
  // As Go dials it (KEDA's ":7001"): an empty host is the local system.
  return { host: host.replace(/^\[(.*)\]$/, "$1") || "localhost", port: number };
}

function parseAddress(address: string): RedisEndpoint | ParamProblem {
  const separator = address.lastIndexOf(":");
  if (separator < 0) return problem("address", `address "${address}" must be host:port`);
  return withPort("address", address.slice(0, separator), address.slice(separator + 1));
}

/**
 * Every server of a Redis Cluster or every sentinel, by KEDA's rules: the `address` list, then
 * each `host` paired with its `port` (which must come in equal numbers when both are given).
 */
export function redisEndpoints(params: RedisConnectionParams): RedisEndpoint[] | ParamProblem {
  const endpoints: RedisEndpoint[] = [];
  for (const address of params.address ?? []) {
    const endpoint = parseAddress(address);
    if (isProblem(endpoint)) return endpoint;
    endpoints.push(endpoint);
  }
  const hosts = params.host ?? [];
  const ports = params.port ?? [];
  if (hosts.length > 0 && ports.length > 0) {
    if (hosts.length !== ports.length) {
      return problem("port", `${hosts.length} hosts but ${ports.length} ports: give one port per host`);
    }
    for (const [index, host] of hosts.entries()) {
      const endpoint = withPort("port", host, ports[index] as string);
      if (isProblem(endpoint)) return endpoint;
      endpoints.push(endpoint);
    }
  }
  if (endpoints.length === 0) {
    return problem("address", "set address (a list of host:port), or hosts and ports");
  }
  return endpoints;
}

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

export function isProblem<T extends object>(value: T | ParamProblem): value is ParamProblem {
  return "message" in value;
}

/** KEDA's checks of the connection parameters; `several` for a cluster's nodes or the sentinels. */
export function redisConnectionProblems(params: RedisConnectionParams, several = false): ParamProblem[] {
  const problems: ParamProblem[] = [...certAndKeyProblems(params)];
  const endpoint = several ? redisEndpoints(params) : redisEndpoint(params);
  if (isProblem(endpoint)) problems.push(endpoint);
  if (params.enableTLS !== undefined && params.tls !== undefined) {
    problems.push(
      problem("enableTLS", "set either enableTLS in metadata or tls in authentication, not both"),
    );
  }
  if (params.databaseIndex < 0) problems.push(problem("databaseIndex", "databaseIndex must be 0 or more"));
  return problems;
}

/**
 * A shared ioredis client that remembers why its connection last failed. ioredis reports a command
 * that could not be sent as "reached the max retries per request limit"; `run` names the
 * connection's own error instead (refused, timed out, wrong password).
 */
export class RedisConnection {
  readonly client: Redis;
  readonly #endpoint: string;
  #connectionError: Error | undefined;

  constructor(client: Redis, endpoint: RedisEndpoint) {
    this.client = client;
    this.#endpoint = `${endpoint.host}:${endpoint.port}`;
    client.on("error", (error: Error) => {
      this.#connectionError = error;
    });
    client.on("ready", () => {
      this.#connectionError = undefined;
    });
  }

  async run<T>(command: (client: Redis) => Promise<T>): Promise<T> {
    try {
      return await command(this.client);
    } catch (error) {
      const cause = this.client.status === "ready" ? undefined : this.#connectionError;
      if (cause === undefined) throw error;
      throw new Error(`connection to Redis at ${this.#endpoint} failed: ${messageOf(cause)}`, {
        cause: error,
      });
    }
  }
}

/** ioredis options and a pool key for these parameters (the key hashes the credentials). */
export function redisClientSettings(
  params: RedisConnectionParams,
  context: Pick<ScalerContext, "timeoutMs">,
) {
  const endpoint = redisEndpoint(params);
  if (isProblem(endpoint)) throw new Error(endpoint.message);
  const useTls = params.enableTLS === true || params.tls === "enable";
  const tls = useTls ? tlsOptions(params) : undefined;
  const key = poolKey(
    "redis",
    endpoint.host,
    endpoint.port,
    params.databaseIndex,
    params.username,
    params.password,
    JSON.stringify(tls),
  );
  const options: RedisOptions = {
    host: endpoint.host,
    port: endpoint.port,
    db: params.databaseIndex,
    username: params.username,
    password: params.password,
    connectTimeout: context.timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    ...(tls ? { tls } : {}),
  };
  return { endpoint, key, options };
}

/** A client of ioredis, which loads only when a Redis trigger connects. */
export async function newRedisClient(options: RedisOptions): Promise<Redis> {
  const { Redis } = await import("ioredis");
  return new Redis(options);
}

/** A shared connection for these parameters. Errors surface per command; nothing retries forever. */
export function acquireRedis(params: RedisConnectionParams, context: ScalerContext) {
  const { endpoint, key, options } = redisClientSettings(params, context);
  return context.pool.acquire(
    key,
    async () => new RedisConnection(await newRedisClient(options), endpoint),
    async (connection) => {
      connection.client.disconnect();
    },
  );
}
