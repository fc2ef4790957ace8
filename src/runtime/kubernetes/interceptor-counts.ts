import { request, type ClientRequest } from "node:http";
import type { Logger } from "../../observability/logger.ts";
import { messageOf } from "../../util/errors.ts";
import {
  GRACE_AFTER_DISCONNECT_MS,
  QUEUE_PATH,
  STALE_AFTER_MS,
  ZERO_COUNTS,
  type QueueSnapshot,
  type RouteCounts,
} from "./interceptor-protocol.ts";
import type { EndpointSliceObject } from "./service-endpoints.ts";

const RECONNECT_INITIAL_MS = 250;
const RECONNECT_MAX_MS = 5000;

/** One interceptor replica's stream of snapshots. */
class ReplicaStream {
  readonly url: string;
  instance: string | undefined;
  routes: Record<string, RouteCounts> | undefined;
  connected = false;
  receivedAt = 0;
  disconnectedAt = 0;
  #request: ClientRequest | undefined;
  #timer: NodeJS.Timeout | undefined;
  #delayMs = RECONNECT_INITIAL_MS;
  #closed = false;
  readonly #onSnapshot: (replica: ReplicaStream, snapshot: QueueSnapshot) => void;
  readonly #logger: Logger;
  readonly #now: () => number;

  constructor(
    url: string,
    onSnapshot: (replica: ReplicaStream, snapshot: QueueSnapshot) => void,
    logger: Logger,
    now: () => number,
  ) {
    this.url = url;
    this.#onSnapshot = onSnapshot;
    this.#logger = logger;
    this.#now = now;
    this.#connect();
  }

  /** Drops a stream that has been silent too long, and a snapshot kept too long after a break. */
  check(now: number): void {
    if (this.connected && now - this.receivedAt > STALE_AFTER_MS) {
      this.#logger.warn("interceptor replica stopped reporting; reconnecting", { replica: this.url });
      this.#request?.destroy();
    }
    if (
      !this.connected &&
      this.routes !== undefined &&
      now - this.disconnectedAt > GRACE_AFTER_DISCONNECT_MS
    ) {
      this.routes = undefined;
    }
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#request?.destroy();
  }

  #connect(): void {
    if (this.#closed) return;
    const url = new URL(`${QUEUE_PATH}?watch=1`, this.url);
    let buffered = "";
    let failed = false;
    const fail = (reason: string): void => {
      if (failed) return;
      failed = true;
      if (this.connected) {
        this.connected = false;
        this.disconnectedAt = this.#now();
      } else if (this.disconnectedAt === 0) this.disconnectedAt = this.#now();
      if (this.#closed) return;
      this.#logger.debug("interceptor replica stream ended", { replica: this.url, reason });
      this.#timer = setTimeout(() => this.#connect(), this.#delayMs);
      this.#delayMs = Math.min(this.#delayMs * 2, RECONNECT_MAX_MS);
    };
    const outgoing = request(url, { agent: false, timeout: 5000 }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        fail(`HTTP ${response.statusCode}`);
        return;
      }
      outgoing.setTimeout(0);
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        buffered += chunk;
        for (let newline = buffered.indexOf("\n"); newline !== -1; newline = buffered.indexOf("\n")) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim() === "") continue;
          let snapshot: QueueSnapshot;
          try {
            snapshot = JSON.parse(line) as QueueSnapshot;
          } catch {
            outgoing.destroy();
            fail("not a snapshot");
            return;
          }
          this.connected = true;
          this.#delayMs = RECONNECT_INITIAL_MS;
          this.receivedAt = this.#now();
          this.instance = snapshot.instance;
          this.routes = snapshot.routes ?? {};
          this.#onSnapshot(this, snapshot);
        }
      });
      response.on("end", () => fail("ended"));
      response.on("error", (error) => fail(messageOf(error)));
      response.on("close", () => fail("closed"));
    });
    outgoing.on("timeout", () => outgoing.destroy(new Error("no answer within 5 s")));
    outgoing.on("error", (error) => fail(messageOf(error)));
    outgoing.end();
    this.#request = outgoing;
  }
}

export interface ReplicaStatus {
  url: string;
  instance?: string;
  connected: boolean;
  /** Time since its last snapshot. */
  lastSnapshotAgoMs?: number;
  routes: number;
}

/**
 * The operator's side of the queue protocol (interceptor-protocol.ts): one stream per interceptor
 * replica, their counts summed per route, and the routes whose requests are being held.
 */
export class InterceptorCounts {
  readonly #replicas = new Map<string, ReplicaStream>();
  readonly #listeners = new Set<(routeKeys: readonly string[]) => void>();
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #watchdog: NodeJS.Timeout;

  constructor(options: { logger: Logger; now?: () => number; checkIntervalMs?: number }) {
    this.#logger = options.logger;
    this.#now = options.now ?? (() => performance.now());
    this.#watchdog = setInterval(() => {
      const now = this.#now();
      for (const replica of this.#replicas.values()) replica.check(now);
    }, options.checkIntervalMs ?? 1000);
    this.#watchdog.unref();
  }

  /** The replicas to follow (admin base URLs such as `http://10.0.0.7:9090`). */
  setReplicas(urls: Iterable<string>): void {
    const wanted = new Set(urls);
    for (const [url, replica] of this.#replicas) {
      if (wanted.has(url)) continue;
      replica.close();
      this.#replicas.delete(url);
    }
    for (const url of wanted) {
      if (this.#replicas.has(url)) continue;
      this.#replicas.set(
        url,
        new ReplicaStream(url, (_replica, snapshot) => this.#snapshot(snapshot), this.#logger, this.#now),
      );
    }
  }

  /** A route's counts, summed over the replicas. */
  counts(routeKey: string): RouteCounts {
    let concurrency = 0;
    let requestRate = 0;
    let held = 0;
    for (const replica of this.#replicas.values()) {
      const counts = replica.routes?.[routeKey];
      if (counts === undefined) continue;
      concurrency += counts.concurrency;
      requestRate += counts.requestRate;
      held += counts.held;
    }
    return concurrency === 0 && requestRate === 0 && held === 0
      ? ZERO_COUNTS
      : { concurrency, requestRate: Math.round(requestRate * 1000) / 1000, held };
  }

  /** Calls `listener` with the routes of every snapshot that reports held requests. */
  onDemand(listener: (routeKeys: readonly string[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  replicas(): ReplicaStatus[] {
    const now = this.#now();
    return [...this.#replicas.values()].map((replica) => ({
      url: replica.url,
      ...(replica.instance === undefined ? {} : { instance: replica.instance }),
      connected: replica.connected,
      ...(replica.receivedAt === 0 ? {} : { lastSnapshotAgoMs: Math.round(now - replica.receivedAt) }),
      routes: Object.keys(replica.routes ?? {}).length,
    }));
  }

  close(): void {
    clearInterval(this.#watchdog);
    for (const replica of this.#replicas.values()) replica.close();
    this.#replicas.clear();
    this.#listeners.clear();
  }

  #snapshot(snapshot: QueueSnapshot): void {
    const held = Object.entries(snapshot.routes ?? {})
      .filter(([, counts]) => counts.held > 0)
      .map(([key]) => key);
    const keys = [...new Set([...(snapshot.demand ?? []), ...held])];
    if (keys.length === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(keys);
      } catch (error) {
        this.#logger.warn("demand listener failed", { error: messageOf(error) });
      }
    }
  }
}

/**
 * Admin URLs of the ready interceptor replicas in the EndpointSlices of their admin Service: the
 * port named `admin`, or the slice's only port.
 */
export function replicaUrls(slices: Iterable<EndpointSliceObject>): Set<string> {
  const urls = new Set<string>();
  for (const slice of slices) {
    if (slice.addressType === "FQDN") continue;
    const ports = slice.ports ?? [];
    const port = (
      ports.find((candidate) => candidate.name === "admin") ?? (ports.length === 1 ? ports[0] : undefined)
    )?.port;
    if (port === undefined || port === null) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      for (const address of endpoint.addresses ?? []) {
        const host = address.includes(":") ? `[${address}]` : address;
        urls.add(`http://${host}:${port}`);
      }
    }
  }
  return urls;
}
