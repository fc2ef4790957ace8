/**
 * The push path of the postgresql scaler, switched on by Tidal's own `tidalPush: "true"` with
 * `tidalPushChannel` (not KEDA options): Tidal runs `LISTEN <channel>` and every notification on
 * it wakes the trigger's object at once. The producer sends them — `NOTIFY jobs` after an insert,
 * or `pg_notify('jobs', '')` in a trigger function; PostgreSQL delivers a notification only when
 * its transaction commits, so the next query sees the new rows. Polling goes on unchanged.
 *
 * - One dedicated connection per server, database and user, shared by every pushing trigger
 *   (pooled query connections cannot hold a LISTEN), listening on each watched channel.
 * - A lost connection is reported once through onError and retried with back-off (1 s doubling to
 *   30 s); once back it listens again and wakes every trigger once, since notifications sent
 *   meanwhile were lost.
 * - Wakes of one trigger are at least MIN_WAKE_INTERVAL_MS apart, so a producer that notifies per
 *   row costs a few evaluations per second, not one per row.
 */
import type pg from "pg";
import { messageOf } from "../../util/errors.ts";
import { poolKey } from "../connection-pool.ts";
import type { ScalerContext } from "../types.ts";
import { fallbackTls, sslOptions, startsWithTls, type PostgresTarget } from "./target.ts";
import { throttle } from "../shared/throttle.ts";

/** Least time between two wakes of one trigger; the first notification of a burst wakes at once. */
export const MIN_WAKE_INTERVAL_MS = 100;
const MAX_RETRY_MS = 30_000;

interface Listener {
  onNotification(): void;
  onError(error: Error): void;
  onReconnect(): void;
}

/** A LISTEN connection shared by the pushing triggers of one server, database and user. */
class NotificationListener {
  readonly #target: PostgresTarget;
  readonly #timeoutMs: number;
  readonly #channels = new Map<string, Set<Listener>>();
  #client: pg.Client | undefined;
  #useTls: boolean;
  #attempt = 0;
  #outage = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;

  constructor(target: PostgresTarget, timeoutMs: number) {
    this.#target = target;
    this.#timeoutMs = timeoutMs;
    this.#useTls = startsWithTls(target.tls);
    void this.#connect();
  }

  listen(channel: string, listener: Listener): () => void {
    let listeners = this.#channels.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#channels.set(channel, listeners);
      const client = this.#client;
      if (client)
        client
          .query(`LISTEN ${client.escapeIdentifier(channel)}`)
          .catch((error: unknown) => this.#lost(client, error));
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.#channels.get(channel) !== listeners) return;
      this.#channels.delete(channel);
      const client = this.#client;
      client?.query(`UNLISTEN ${client.escapeIdentifier(channel)}`).catch(() => undefined);
    };
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    const { Client } = (await import("pg")).default;
    if (this.#closed) return;
    const client = new Client({
      ...this.#target.config,
      ssl: this.#useTls ? sslOptions(this.#target.tls) : false,
      connectionTimeoutMillis: this.#timeoutMs,
      keepAlive: true,
    });
    client.on("notification", (message) => {
      for (const listener of this.#channels.get(message.channel) ?? []) listener.onNotification();
    });
    // Until it is connected, failures arrive as the rejection of connect() or of a LISTEN.
    client.on("error", () => undefined);
    try {
      await client.connect();
      for (const channel of this.#channels.keys())
        await client.query(`LISTEN ${client.escapeIdentifier(channel)}`);
    } catch (error) {
      const fallback = fallbackTls(this.#target.tls, this.#useTls, error);
      if (fallback !== undefined) {
        this.#useTls = fallback;
        void client.end().catch(() => undefined);
        return this.#connect();
      }
      this.#lost(client, error);
      return;
    }
    if (this.#closed) {
      void client.end().catch(() => undefined);
      return;
    }
    client.removeAllListeners("error");
    client.on("error", (error) => this.#lost(client, error));
    client.on("end", () => this.#lost(client, new Error("the server closed the connection")));
    this.#client = client;
    this.#attempt = 0;
    if (this.#outage) {
      this.#outage = false;
      for (const listener of this.#all()) listener.onReconnect();
    }
  }

  /** Reports a lost (or never made) connection once, and tries again later. */
  #lost(client: pg.Client, error: unknown): void {
    if (this.#closed || (this.#client !== undefined && this.#client !== client) || this.#retry !== undefined)
      return;
    this.#client = undefined;
    client.removeAllListeners("end");
    client.removeAllListeners("error");
    client.on("error", () => undefined);
    void client.end().catch(() => undefined);
    if (!this.#outage) {
      this.#outage = true;
      const reported = new Error(
        `push: LISTEN connection to PostgreSQL at ${this.#target.endpoint} failed (${messageOf(error)}); reconnecting, polling continues`,
      );
      for (const listener of this.#all()) listener.onError(reported);
    }
    const delay = Math.min(1000 * 2 ** this.#attempt, MAX_RETRY_MS);
    this.#attempt += 1;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      void this.#connect();
    }, delay);
    this.#retry.unref();
  }

  #all(): Listener[] {
    return [...this.#channels.values()].flatMap((listeners) => [...listeners]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    client?.removeAllListeners("end");
    await client?.end().catch(() => undefined);
  }
}

export interface NotificationWatch {
  target: PostgresTarget;
  channel: string;
  context: ScalerContext;
  wake: () => void;
  onError: (error: Error) => void;
}

/** Starts the push path of one trigger; returns what stops it. */
export function watchNotifications(watch: NotificationWatch): () => void {
  const { target, channel, context, wake, onError } = watch;
  const lease = context.pool.acquire(
    poolKey("postgresql-listen", JSON.stringify(target), context.timeoutMs),
    async () => new NotificationListener(target, context.timeoutMs),
    (listener) => listener.close(),
  );
  const wakes = throttle(wake, MIN_WAKE_INTERVAL_MS);
  let stopped = false;
  let unlisten: (() => void) | undefined;
  void lease.client.then((listener) => {
    if (stopped) return;
    unlisten = listener.listen(channel, {
      onNotification: () => wakes.call(),
      onError: (error) => {
        if (!stopped) onError(error);
      },
      onReconnect: () => wakes.call(),
    });
  });
  return () => {
    stopped = true;
    wakes.cancel();
    unlisten?.();
    void lease.release();
  };
}
