import { Redis } from "ioredis";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { poolKey } from "../connection-pool.ts";
import { certAndKeyProblems, tlsAuthParams, tlsOptions } from "../shared/tls.ts";
import type { ScalerContext } from "../types.ts";

const FROM_ANYWHERE = ["metadata", "auth", "env"] as const;

/** Connection parameters shared by `redis` and `redis-streams`, with KEDA's names and sources. */
export const redisConnectionParams = {
  address: param.string({
    sources: FROM_ANYWHERE,
    aliases: ["addresses"],
    optional: true,
    description: "host:port of the Redis server",
  }),
  host: param.string({ sources: FROM_ANYWHERE, aliases: ["hosts"], optional: true, description: "Redis host" }),
  port: param.string({ sources: FROM_ANYWHERE, aliases: ["ports"], optional: true, description: "Redis port" }),
  username: param.string({ sources: FROM_ANYWHERE, optional: true, description: "Redis ACL user name" }),
  password: param.string({ sources: FROM_ANYWHERE, optional: true, secret: true, description: "Redis password" }),
  databaseIndex: param.int({ default: 0, description: "database number" }),
  enableTLS: param.bool({ optional: true, description: "connect with TLS (metadata form of tls=enable)" }),
  ...tlsAuthParams,
};

export interface RedisConnectionParams {
  address?: string | undefined;
  host?: string | undefined;
  port?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  databaseIndex: number;
  enableTLS?: boolean | undefined;
  tls: "enable" | "disable";
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  keyPassword?: string | undefined;
  unsafeSsl: boolean;
}

export function redisConnectionProblems(params: RedisConnectionParams): ParamProblem[] {
  const problems: ParamProblem[] = [...certAndKeyProblems(params)];
  if (!params.address && !params.host) {
    problems.push({ key: "address", message: "set address (host:port), or host and port", severity: "error" });
  }
  if (params.enableTLS !== undefined && params.tls === "enable") {
    problems.push({ key: "enableTLS", message: "set either enableTLS in metadata or tls in authentication, not both", severity: "error" });
  }
  if (params.databaseIndex < 0) {
    problems.push({ key: "databaseIndex", message: "databaseIndex must be 0 or more", severity: "error" });
  }
  return problems;
}

function hostAndPort(params: RedisConnectionParams): { host: string; port: number } {
  const address = params.address ?? `${params.host}:${params.port ?? "6379"}`;
  const separator = address.lastIndexOf(":");
  const host = separator > 0 ? address.slice(0, separator) : address;
  const port = separator > 0 ? Number(address.slice(separator + 1)) : 6379;
  return { host: host.replace(/^\[|\]$/g, ""), port };
}

/** A shared ioredis client for these parameters. Errors surface per command; nothing retries forever. */
export function acquireRedis(params: RedisConnectionParams, context: ScalerContext) {
  const { host, port } = hostAndPort(params);
  const useTls = params.enableTLS === true || params.tls === "enable";
  const key = poolKey("redis", host, port, params.databaseIndex, params.username, params.password, useTls, params.ca, params.cert);
  return context.pool.acquire(
    key,
    async () =>
      new Redis({
        host,
        port,
        db: params.databaseIndex,
        username: params.username,
        password: params.password,
        connectTimeout: context.timeoutMs,
        maxRetriesPerRequest: 0,
        enableOfflineQueue: true,
        retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
        ...(useTls ? { tls: tlsOptions(params) } : {}),
      }),
    async (client) => {
      client.disconnect();
    },
  );
}
