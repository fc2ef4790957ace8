import { stableJson } from "../../util/stable-json.ts";
import {
  BUSY_INTERVAL_MS,
  CHANGE_INTERVAL_MS,
  HEARTBEAT_INTERVAL_MS,
  type QueueSnapshot,
  type RouteCounts,
} from "./interceptor-protocol.ts";

/**
 * The interceptor's side of the queue protocol (interceptor-protocol.ts): snapshots of its routes'
 * counts for `GET /queue`, and the stream of them for every operator watching.
 */
export class QueueReporter {
  readonly #instance: string;
  readonly #counts: () => Record<string, RouteCounts>;
  readonly #now: () => number;
  readonly #subscribers = new Set<(line: string) => void>();
  #demand = new Set<string>();
  #sequence = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushScheduled = false;
  #lastRoutes = "";
  #lastSentAt = 0;

  constructor(options: { instance: string; counts: () => Record<string, RouteCounts>; now?: () => number }) {
    this.#instance = options.instance;
    this.#counts = options.counts;
    this.#now = options.now ?? (() => performance.now());
  }

  /** A request was held for `routeKey`: watchers hear of it in the same turn of the event loop. */
  demand(routeKey: string): void {
    this.#demand.add(routeKey);
    if (this.#subscribers.size === 0 || this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      this.#send(true);
    });
  }

  /** The current snapshot (routes with a non-zero count). */
  snapshot(): QueueSnapshot {
    return { instance: this.#instance, sequence: this.#sequence, routes: this.#routes(), demand: [] };
  }

  /** Streams snapshots to `write` (one JSON line each), starting now; returns the unsubscribe. */
  subscribe(write: (line: string) => void): () => void {
    this.#subscribers.add(write);
    write(this.#line(this.#routes(), []));
    this.#timer ??= setInterval(() => this.#send(false), CHANGE_INTERVAL_MS);
    return () => {
      this.#subscribers.delete(write);
      if (this.#subscribers.size === 0) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    };
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#subscribers.clear();
  }

  #routes(): Record<string, RouteCounts> {
    const routes: Record<string, RouteCounts> = {};
    for (const [key, counts] of Object.entries(this.#counts())) {
      if (counts.concurrency !== 0 || counts.requestRate !== 0 || counts.held !== 0) routes[key] = counts;
    }
    return routes;
  }

  /** Sends a snapshot when there is demand, a change, or it is time for one. */
  #send(forDemand: boolean): void {
    if (this.#subscribers.size === 0) return;
    const routes = this.#routes();
    const text = stableJson(routes);
    const quiet = text === "{}";
    const since = this.#now() - this.#lastSentAt;
    const due =
      forDemand ||
      this.#demand.size > 0 ||
      text !== this.#lastRoutes ||
      since >= (quiet ? HEARTBEAT_INTERVAL_MS : BUSY_INTERVAL_MS);
    if (!due) return;
    const demand = [...this.#demand];
    this.#demand = new Set();
    const line = this.#line(routes, demand);
    this.#lastRoutes = text;
    for (const write of this.#subscribers) write(line);
  }

  #line(routes: Record<string, RouteCounts>, demand: string[]): string {
    this.#sequence++;
    this.#lastSentAt = this.#now();
    const snapshot: QueueSnapshot = { instance: this.#instance, sequence: this.#sequence, routes, demand };
    return `${JSON.stringify(snapshot)}\n`;
  }
}
