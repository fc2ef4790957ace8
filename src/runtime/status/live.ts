import type { ServerResponse } from "node:http";
import type { RuntimeEvent } from "../events.ts";
import {
  explainText,
  findObject,
  keyOf,
  objectDetail,
  overviewRow,
  poolOf,
  type Overview,
} from "./dashboard.ts";
import type { DashboardSource } from "./source.ts";

/** A client that has this much unsent is dropped; its browser reconnects and starts afresh. */
const MAX_BUFFERED_BYTES = 4 * 2 ** 20;
const PING_MS = 15_000;
/** How often the object view asks the cluster for its target's events (operator). */
const CLUSTER_EVENTS_MS = 10_000;

interface Client {
  response: ServerResponse;
  /** The object this client views; the overview when absent. */
  object?: string;
  lastPointAt: number;
  lastPools: string;
  lastClusterEventsAt: number;
  lastKeys: string;
}

/**
 * The dashboard's live updates, as Server-Sent Events. A client first gets the whole view
 * (`overview`, or `object` for `?object=KIND/NAMESPACE/NAME`), then once per tick only what
 * changed: `rows` (overview lines of objects that were evaluated), `points` (new points of the
 * viewed object, with its line, pool and decision), `pools` and `events`. Nothing runs while
 * nobody watches.
 */
export class LiveUpdates {
  readonly #source: DashboardSource;
  readonly #tickMs: number;
  readonly #clients = new Set<Client>();
  readonly #dirty = new Set<string>();
  #pending: RuntimeEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #lastPing = Date.now();

  constructor(source: DashboardSource, options: { tickMs?: number } = {}) {
    this.#source = source;
    this.#tickMs = options.tickMs ?? 1000;
    source.history.onRecord((object) => {
      if (this.#clients.size > 0) this.#dirty.add(keyOf(object));
    });
    source.onEvent((event) => {
      if (this.#clients.size > 0) this.#pending.push(event);
    });
  }

  /** The whole overview, as `GET /api/v1/dashboard/overview` answers and a new client first gets. */
  overview(): Overview {
    return {
      title: this.#source.title,
      now: new Date().toISOString(),
      objects: this.#source.objects().map((object) => overviewRow(object, this.#source)),
      pools: this.#source.processPools?.() ?? [],
      events: this.#source.recentEvents(),
    };
  }

  async attach(response: ServerResponse, objectKey: string | undefined): Promise<void> {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const client: Client = {
      response,
      ...(objectKey === undefined ? {} : { object: objectKey }),
      lastPointAt: 0,
      lastPools: "",
      lastClusterEventsAt: Date.now(),
      lastKeys: this.#keys(),
    };
    response.write(`retry: 2000\n\n`);
    if (objectKey === undefined) {
      const overview = this.overview();
      client.lastPools = JSON.stringify(overview.pools);
      send(client, "overview", overview);
    } else {
      const object = findObject(this.#source, objectKey);
      if (object === undefined) {
        send(client, "missing", { key: objectKey });
      } else {
        const detail = await objectDetail(object, this.#source);
        client.lastPointAt = detail.history?.t.at(-1) ?? 0;
        client.lastPools = JSON.stringify(detail.pool);
        send(client, "object", { ...detail, title: this.#source.title });
      }
    }
    this.#clients.add(client);
    response.on("close", () => {
      this.#clients.delete(client);
      if (this.#clients.size === 0) this.#stop();
    });
    this.#start();
  }

  #keys(): string {
    return this.#source
      .objects()
      .map((object) => keyOf(object.ref))
      .join(",");
  }

  #start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.#tick(), this.#tickMs);
    this.#timer.unref();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#dirty.clear();
    this.#pending = [];
  }

  async #tick(): Promise<void> {
    const dirty = new Set(this.#dirty);
    this.#dirty.clear();
    const events = this.#pending;
    this.#pending = [];
    const objects = this.#source.objects();
    const keys = objects.map((object) => keyOf(object.ref)).join(",");
    const pools = this.#source.processPools?.() ?? [];
    const poolsJson = JSON.stringify(pools);
    let rows: ReturnType<typeof overviewRow>[] | undefined;
    for (const client of this.#clients) {
      if (client.response.writableLength > MAX_BUFFERED_BYTES) {
        client.response.destroy();
        continue;
      }
      if (client.object === undefined) {
        if (keys !== client.lastKeys) {
          client.lastKeys = keys;
          client.lastPools = poolsJson;
          send(client, "overview", this.overview());
          continue;
        }
        if (dirty.size > 0) {
          rows ??= objects
            .filter((object) => dirty.has(keyOf(object.ref)))
            .map((object) => overviewRow(object, this.#source));
          if (rows.length > 0) send(client, "rows", rows);
        }
        if (poolsJson !== client.lastPools) {
          client.lastPools = poolsJson;
          send(client, "pools", pools);
        }
      } else {
        await this.#tickObject(client, dirty);
      }
      if (events.length > 0) send(client, "events", events);
    }
    if (Date.now() - this.#lastPing >= PING_MS) {
      this.#lastPing = Date.now();
      for (const client of this.#clients) client.response.write(": ping\n\n");
    }
  }

  async #tickObject(client: Client, dirty: ReadonlySet<string>): Promise<void> {
    const key = client.object as string;
    const object = findObject(this.#source, key);
    if (object === undefined) return;
    const pool = poolOf(object, this.#source);
    const poolJson = JSON.stringify(pool);
    const clusterDue =
      this.#source.clusterEvents !== undefined &&
      Date.now() - client.lastClusterEventsAt >= CLUSTER_EVENTS_MS;
    if (!dirty.has(key) && poolJson === client.lastPools && !clusterDue) return;
    const history = this.#source.history.get(object.ref, client.lastPointAt);
    client.lastPointAt = history?.t.at(-1) ?? client.lastPointAt;
    client.lastPools = poolJson;
    let clusterEvents: RuntimeEvent[] | undefined;
    if (clusterDue) {
      client.lastClusterEventsAt = Date.now();
      clusterEvents = await this.#source.clusterEvents?.(object).catch(() => undefined);
    }
    send(client, "points", {
      row: overviewRow(object, this.#source),
      history,
      explain: explainText(object),
      pool,
      forecast: this.#source.forecast?.(object.ref) ?? [],
      ...(clusterEvents === undefined ? {} : { clusterEvents }),
    });
  }

  close(): void {
    for (const client of this.#clients) client.response.end();
    this.#clients.clear();
    this.#stop();
  }
}

function send(client: Client, event: string, data: unknown): void {
  client.response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}
