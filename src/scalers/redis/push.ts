/**
 * The push path of the redis scaler, switched on by Tidal's own `tidalPush: "true"` (not a KEDA
 * option): Redis keyspace notifications for the measured key wake the trigger's object at once,
 * so a burst is seen in milliseconds instead of at the next poll. Polling goes on unchanged.
 *
 * - One subscriber connection per server, database and credentials, shared by every pushing
 *   trigger (a connection in subscriber mode can run nothing else), subscribed to
 *   `__keyspace@<db>__:<listName>` for each watched key.
 * - Redis publishes keyspace events only when `notify-keyspace-events` has `K` and the key's type
 *   class (`l` list, `s` set, `z` sorted set, `h` hash). When they are missing Tidal adds them with
 *   CONFIG SET, keeping the flags already set; when that is not allowed (ACL without +config, a
 *   managed server) the trigger reports a clear error through onError and keeps polling.
 * - The check runs again after a reconnect (a restarted server forgets a CONFIG SET), and a
 *   reconnect wakes the object once, since events during the outage were lost.
 * - Events that only shrink or keep the key (pops, removals, DEL, expiry) do not wake: scaling
 *   down is not urgent. Wakes of one trigger are at least MIN_WAKE_INTERVAL_MS apart, so a busy
 *   list costs a few evaluations per second, not one per item.
 */
import type { Redis } from "ioredis";
import { messageOf } from "../../util/errors.ts";
import type { ScalerContext } from "../types.ts";
import {
  newRedisClient,
  redisClientSettings,
  type RedisConnection,
  type RedisConnectionParams,
} from "./connection.ts";
import { throttle } from "../shared/throttle.ts";

/** Least time between two wakes of one trigger; the first event of a burst wakes at once. */
export const MIN_WAKE_INTERVAL_MS = 100;

/** Keyspace events after which the key is no longer than before. */
const NOT_GROWING = new Set([
  "lpop",
  "rpop",
  "lrem",
  "ltrim",
  "lset",
  "srem",
  "spop",
  "zrem",
  "zremrangebyscore",
  "zremrangebyrank",
  "zremrangebylex",
  "zpopmin",
  "zpopmax",
  "hdel",
  "hexpired",
  "del",
  "expire",
  "expired",
  "evicted",
  "persist",
  "rename_from",
  "move_from",
]);

const TYPE_CLASS: Record<string, string> = { list: "l", none: "l", set: "s", zset: "z", hash: "h" };

/** The flags to add to `current` so that keyspace events of `typeClass` are published ("" when none). */
export function missingKeyspaceFlags(current: string, typeClass: string): string {
  const has = (flag: string) => current.includes(flag) || ("lszh".includes(flag) && current.includes("A"));
  return ["K", typeClass].filter((flag) => !has(flag)).join("");
}

interface Listener {
  onEvent(): void;
  onError(error: Error): void;
  onReconnect(): void;
}

/** A subscriber connection shared by the pushing triggers of one server, database and user. */
class KeyspaceSubscriber {
  readonly #client: Redis;
  readonly #channels = new Map<string, Set<Listener>>();
  #outage = false;

  constructor(client: Redis) {
    this.#client = client;
    this.#client.on("message", (channel: string, event: string) => {
      if (NOT_GROWING.has(event)) return;
      for (const listener of this.#channels.get(channel) ?? []) listener.onEvent();
    });
    this.#client.on("error", (error: Error) => {
      if (this.#outage) return;
      this.#outage = true;
      const lost = new Error(
        `push: keyspace subscription to Redis failed (${messageOf(error)}); reconnecting, polling continues`,
      );
      for (const listener of this.#all()) listener.onError(lost);
    });
    this.#client.on("ready", () => {
      if (!this.#outage) return;
      this.#outage = false;
      for (const listener of this.#all()) listener.onReconnect();
    });
  }

  subscribe(channel: string, listener: Listener): () => void {
    let listeners = this.#channels.get(channel);
    if (listeners === undefined) {
      listeners = new Set();
      this.#channels.set(channel, listeners);
      this.#client.subscribe(channel).catch((error: unknown) => {
        listener.onError(new Error(`push: cannot subscribe to ${channel}: ${messageOf(error)}`));
      });
    }
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0 || this.#channels.get(channel) !== listeners) return;
      this.#channels.delete(channel);
      this.#client.unsubscribe(channel).catch(() => undefined);
    };
  }

  #all(): Listener[] {
    return [...this.#channels.values()].flatMap((listeners) => [...listeners]);
  }

  close(): void {
    this.#client.disconnect();
  }
}

/**
 * Makes sure Redis publishes keyspace events for a key of this type: reads notify-keyspace-events
 * and adds what is missing. Throws an error that says what to do when it cannot.
 */
async function ensureKeyspaceEvents(connection: RedisConnection, listName: string): Promise<void> {
  const type = String(await connection.run((client) => client.type(listName)));
  const typeClass = TYPE_CLASS[type];
  if (typeClass === undefined) return; // measure() reports a key of the wrong type
  let current: string;
  try {
    const reply = (await connection.run((client) =>
      client.call("CONFIG", "GET", "notify-keyspace-events"),
    )) as string[];
    current = String(reply[1] ?? "");
  } catch (error) {
    throw new Error(
      `push: cannot read notify-keyspace-events (${messageOf(error)}); push works only if keyspace notifications ` +
        `include K${typeClass} (CONFIG SET notify-keyspace-events K${typeClass}); polling continues`,
      { cause: error },
    );
  }
  const missing = missingKeyspaceFlags(current, typeClass);
  if (missing === "") return;
  try {
    await connection.run((client) =>
      client.call("CONFIG", "SET", "notify-keyspace-events", `${current}${missing}`),
    );
  } catch (error) {
    throw new Error(
      `push: Redis keyspace notifications are off for this key (notify-keyspace-events is "${current}") and ` +
        `Tidal may not enable them: ${messageOf(error)}. Have an administrator run ` +
        `CONFIG SET notify-keyspace-events ${current}${missing} (or set it in redis.conf), or remove tidalPush; ` +
        `the trigger keeps polling every pollingInterval`,
      { cause: error },
    );
  }
}

export interface KeyspaceWatch {
  params: RedisConnectionParams;
  context: ScalerContext;
  listName: string;
  /** The scaler's command connection (for TYPE and CONFIG). */
  commands: Promise<RedisConnection>;
  wake: () => void;
  onError: (error: Error) => void;
}

/** Starts the push path of one trigger; returns what stops it. */
export function watchKeyspace(watch: KeyspaceWatch): () => void {
  const { params, context, listName, wake, onError } = watch;
  const { key, options } = redisClientSettings(params, context);
  const lease = context.pool.acquire(
    `${key}:keyspace`,
    // Subscriptions wait for the connection instead of failing, and come back after a reconnect.
    async () =>
      new KeyspaceSubscriber(
        await newRedisClient({ ...options, maxRetriesPerRequest: null, autoResubscribe: true }),
      ),
    async (subscriber) => subscriber.close(),
  );
  const wakes = throttle(wake, MIN_WAKE_INTERVAL_MS);
  let stopped = false;
  let unsubscribe: (() => void) | undefined;
  const report = (error: unknown) => {
    if (!stopped) onError(error instanceof Error ? error : new Error(String(error)));
  };
  const check = () =>
    watch.commands.then((connection) => ensureKeyspaceEvents(connection, listName)).catch(report);
  void check();
  void lease.client.then((subscriber) => {
    if (stopped) return;
    unsubscribe = subscriber.subscribe(`__keyspace@${params.databaseIndex}__:${listName}`, {
      onEvent: () => wakes.call(),
      onError: report,
      onReconnect: () => {
        void check();
        wakes.call();
      },
    });
  }, report);
  return () => {
    stopped = true;
    wakes.cancel();
    unsubscribe?.();
    void lease.release();
  };
}
