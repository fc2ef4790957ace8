import type { Pool, PoolConnection } from "mysql2/promise";
import { messageOf } from "../../util/errors.ts";

/** Go driver `tls` values KEDA users can give: TLS off, verified, unverified, or used when offered. */
export type MySqlTls = "false" | "true" | "skip-verify" | "preferred";

export interface MySqlTarget {
  /** A TCP server, or a Unix socket path. */
  server: { host: string; port: number } | { socketPath: string };
  user: string;
  password: string;
  database: string;
  tls: MySqlTls;
}

/**
 * A mysql2 pool (at most 2 connections) that runs one query with a deadline: an aborted
 * measurement destroys its connection. With tls=preferred it tries TLS first and stays in plain
 * text once the server says it has none, as the Go driver does.
 */
export class MySqlPool {
  readonly #target: MySqlTarget;
  readonly #timeoutMs: number;
  #pool: Pool | undefined;
  #useTls: boolean;

  constructor(target: MySqlTarget, timeoutMs: number) {
    this.#target = target;
    this.#timeoutMs = timeoutMs;
    this.#useTls = target.tls !== "false";
  }

  async query(sql: string, signal: AbortSignal): Promise<unknown[][]> {
    const connection = await this.#connect();
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      connection.destroy();
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const [rows] = await connection.query({ sql, rowsAsArray: true, timeout: this.#timeoutMs });
      if (!Array.isArray(rows)) throw new Error("the statement returned no result set; use a SELECT");
      return rows as unknown[][];
    } catch (error) {
      throw new Error(`query failed: ${messageOf(error)}`, { cause: error });
    } finally {
      signal.removeEventListener("abort", onAbort);
      if (!aborted) connection.release();
    }
  }

  async #connect(): Promise<PoolConnection> {
    const pool = await this.#currentPool();
    try {
      return await pool.getConnection();
    } catch (error) {
      if (
        this.#useTls &&
        this.#target.tls === "preferred" &&
        /does not support secure connection/i.test(messageOf(error))
      ) {
        this.#useTls = false;
        this.#pool = undefined;
        void pool.end().catch(() => undefined);
        return this.#connect();
      }
      const where =
        "socketPath" in this.#target.server
          ? this.#target.server.socketPath
          : `${this.#target.server.host}:${this.#target.server.port}`;
      throw new Error(`cannot connect to MySQL at ${where}: ${messageOf(error)}`, { cause: error });
    }
  }

  async #currentPool(): Promise<Pool> {
    // mysql2 is loaded only when a mysql trigger connects.
    const { createPool } = await import("mysql2/promise");
    this.#pool ??= createPool({
      ...this.#target.server,
      user: this.#target.user,
      password: this.#target.password,
      database: this.#target.database,
      ...(this.#useTls ? { ssl: { rejectUnauthorized: this.#target.tls === "true" } } : {}),
      connectTimeout: this.#timeoutMs,
      connectionLimit: 2,
      maxIdle: 2,
      // Polls come every few seconds; keep the connections between them.
      idleTimeout: 300_000,
    });
    return this.#pool;
  }

  async end(): Promise<void> {
    await this.#pool?.end();
    this.#pool = undefined;
  }
}
