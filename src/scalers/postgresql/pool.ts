import type pg from "pg";
import { messageOf } from "../../util/errors.ts";
import { fallbackTls, sslOptions, startsWithTls, type PostgresTarget } from "./target.ts";

/**
 * A node-postgres pool (at most 2 connections) that runs one query with a deadline: the server
 * cancels it after `statement_timeout`, and an aborted measurement closes its connection. With
 * sslmode prefer it tries TLS first and stays in plain text once the server says it has no TLS;
 * with allow it tries plain text first and TLS once the server refuses it, as libpq does.
 */
export class PostgresPool {
  readonly #target: PostgresTarget;
  readonly #timeoutMs: number;
  #pool: pg.Pool | undefined;
  #useTls: boolean;
  readonly #password: (() => Promise<string>) | undefined;

  /** `password`, when given, is asked for each new connection's password (a token that renews). */
  constructor(target: PostgresTarget, timeoutMs: number, password?: () => Promise<string>) {
    this.#target = target;
    this.#timeoutMs = timeoutMs;
    this.#password = password;
    this.#useTls = startsWithTls(target.tls);
  }

  async query(text: string, signal: AbortSignal): Promise<unknown[][]> {
    const client = await this.#connect();
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      client.release(new Error("measurement deadline passed"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const result = await client.query<unknown[]>({ text, rowMode: "array" });
      return result.rows;
    } catch (error) {
      throw new Error(`query failed: ${messageOf(error)}`, { cause: error });
    } finally {
      signal.removeEventListener("abort", onAbort);
      if (!aborted) client.release();
    }
  }

  async #connect(): Promise<pg.PoolClient> {
    const pool = this.#currentPool((await import("pg")).default);
    try {
      return await pool.connect();
    } catch (error) {
      const fallback = fallbackTls(this.#target.tls, this.#useTls, error);
      if (fallback !== undefined) {
        this.#useTls = fallback;
        this.#pool = undefined;
        void pool.end().catch(() => undefined);
        return this.#connect();
      }
      throw new Error(`cannot connect to PostgreSQL at ${this.#target.endpoint}: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }

  /** node-postgres is loaded (`library`) only when a PostgreSQL trigger connects. */
  #currentPool(library: typeof pg): pg.Pool {
    if (this.#pool) return this.#pool;
    const pool = new library.Pool({
      ...this.#target.config,
      ...(this.#password ? { password: this.#password } : {}),
      ssl: this.#useTls ? sslOptions(this.#target.tls) : false,
      max: 2,
      connectionTimeoutMillis: this.#timeoutMs,
      statement_timeout: this.#timeoutMs,
      // Polls come every few seconds; keep the connections between them.
      idleTimeoutMillis: 300_000,
      allowExitOnIdle: true,
    });
    // An idle connection that breaks is dropped by the pool; without a listener the process would exit.
    pool.on("error", () => undefined);
    this.#pool = pool;
    return pool;
  }

  async end(): Promise<void> {
    await this.#pool?.end();
    this.#pool = undefined;
  }
}
