import http from "node:http";
import https from "node:https";
import type { ConnectionOptions } from "node:tls";
import type { ClickHouseClient } from "@clickhouse/client";
import { messageOf } from "../../util/errors.ts";
import { firstCellAsNumber } from "../shared/query-value.ts";

/** Where and as whom a trigger queries ClickHouse's HTTP interface. */
export interface ClickHouseTarget {
  /** http(s)://host:port */
  origin: string;
  database: string;
  username: string;
  password: string;
  skipVerify: boolean;
}

interface Options extends ClickHouseTarget {
  tls: ConnectionOptions;
  maxOpenConnections: number | undefined;
  /** connMaxLifetime: how long an idle keep-alive connection is kept. */
  idleMs: number | undefined;
  timeoutMs: number;
}

/**
 * The official @clickhouse/client (loaded when the first clickhouse trigger measures) over one
 * keep-alive agent per server and identity. Answers are read in the JSONCompact format, which
 * every ClickHouse version serves; 64-bit integers arrive as text and are read as numbers.
 */
export class ClickHouseHttp {
  readonly #options: Options;
  readonly #agent: http.Agent;
  #client: Promise<ClickHouseClient> | undefined;

  constructor(options: Options) {
    this.#options = options;
    const agentOptions = {
      keepAlive: true,
      maxSockets:
        options.maxOpenConnections && options.maxOpenConnections > 0 ? options.maxOpenConnections : 10,
    };
    this.#agent = options.origin.startsWith("https:")
      ? new https.Agent({ ...agentOptions, ...options.tls })
      : new http.Agent(agentOptions);
  }

  async #connect(): Promise<ClickHouseClient> {
    const { createClient, ClickHouseLogLevel } = await import("@clickhouse/client");
    return createClient({
      url: this.#options.origin,
      username: this.#options.username,
      password: this.#options.password,
      database: this.#options.database,
      request_timeout: Math.max(this.#options.timeoutMs, 1000),
      http_agent: this.#agent,
      set_basic_auth_header: true,
      keep_alive: {
        enabled: true,
        ...(this.#options.idleMs && this.#options.idleMs > 0
          ? { idle_socket_ttl: this.#options.idleMs }
          : {}),
      },
      log: { level: ClickHouseLogLevel.OFF },
      application: "tidal",
    });
  }

  /** The first column of the first row as a number; no rows is 0, as KEDA reads sql.ErrNoRows. */
  async firstValue(query: string, signal: AbortSignal): Promise<number> {
    this.#client ??= this.#connect();
    const client = await this.#client;
    let rows: unknown[][];
    try {
      const result = await client.query({ query, format: "JSONCompact", abort_signal: signal });
      rows = (await result.json<unknown[]>()).data;
    } catch (error) {
      if (signal.aborted) throw error;
      throw new Error(`could not query ClickHouse database: ${describe(error, this.#options.origin)}`, {
        cause: error,
      });
    }
    if (rows.length === 0) return 0;
    return firstCellAsNumber(rows);
  }

  async close(): Promise<void> {
    const client = await this.#client?.catch(() => undefined);
    await client?.close();
    this.#agent.destroy();
  }
}

/** ClickHouse's exception text (`Code: 193 … Wrong password …`), or how the server could not be reached. */
function describe(error: unknown, origin: string): string {
  const message = messageOf(error);
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return `cannot reach ${origin}: ${message}`;
  return message.replace(/\s+/g, " ").trim();
}
