import type { ManifestSet } from "../../api/resources.ts";
import {
  createHttpProxy,
  httpScaledObjectRoute,
  type HttpProxy,
  type HttpProxyLimits,
} from "../../http-proxy/index.ts";
import type { Logger } from "../../observability/logger.ts";
import type { RouteMeter } from "./http-scaling.ts";
import { poolKeyOf, type ProcessPools } from "./process-pools.ts";

/** How long clients may take and how many may connect (see HttpProxyOptions). */
export type { HttpProxyLimits };

/**
 * The HTTP proxy in front of the HTTPScaledObjects' pools. It starts with the first
 * HTTPScaledObject and keeps running across reloads, which only change its routes; its per-route
 * meters feed the HTTPScaledObjects' triggers, and a request that finds no ready worker wakes them.
 */
export class HttpRouting implements RouteMeter {
  readonly #pools: ProcessPools;
  readonly #logger: Logger;
  readonly #port: number;
  readonly #limits: HttpProxyLimits;
  readonly #demand = new Map<string, Set<() => void>>();
  /** Route key (namespace/name of the HTTPScaledObject) → key of the pool it scales. */
  #poolOfRoute = new Map<string, string>();
  #proxy: HttpProxy | undefined;
  #boundPort: number | undefined;

  constructor(options: { pools: ProcessPools; logger: Logger; port: number; limits: HttpProxyLimits }) {
    this.#pools = options.pools;
    this.#logger = options.logger;
    this.#port = options.port;
    this.#limits = options.limits;
  }

  /** Where the proxy listens, once started. */
  get port(): number | undefined {
    return this.#boundPort;
  }

  metrics(routeKey: string): { concurrency: number; requestRate: number } {
    return this.#proxy?.metrics(routeKey) ?? { concurrency: 0, requestRate: 0 };
  }

  onDemand(routeKey: string, wake: () => void): () => void {
    const listeners = this.#demand.get(routeKey) ?? new Set();
    listeners.add(wake);
    this.#demand.set(routeKey, listeners);
    return () => listeners.delete(wake);
  }

  async apply(set: ManifestSet): Promise<void> {
    this.#poolOfRoute = new Map(
      set.httpScaledObjects.map((loaded) => [
        poolKeyOf(loaded.object),
        `${loaded.object.metadata.namespace ?? "default"}/${loaded.object.spec.scaleTargetRef.name}`,
      ]),
    );
    const routes = set.httpScaledObjects.map((loaded) => httpScaledObjectRoute(loaded.object));
    if (this.#proxy) {
      this.#proxy.updateRoutes(routes);
      return;
    }
    if (routes.length === 0) return;
    const poolOf = (routeKey: string) => {
      const key = this.#poolOfRoute.get(routeKey);
      return key === undefined ? undefined : this.#pools.get(key)?.target;
    };
    this.#proxy = createHttpProxy({
      ...this.#limits,
      routes,
      endpoints: (routeKey) =>
        poolOf(routeKey)
          ?.readyEndpoints()
          .map(({ port }) => ({ host: "127.0.0.1", port })) ?? [],
      onDemand: (routeKey) => {
        for (const wake of this.#demand.get(routeKey) ?? []) wake();
      },
      waitForEndpoints: async (routeKey, signal) => {
        while (!signal.aborted) {
          const pool = poolOf(routeKey);
          if (pool && (await pool.whenReady(250))) return;
          if (!pool) await new Promise((resolve) => setTimeout(resolve, 250));
        }
      },
      // Local workers may be slow to answer; the add-on's current default is five minutes.
      responseHeaderTimeoutMs: 300_000,
      logger: this.#logger.child({ component: "http-proxy" }),
    });
    this.#boundPort = (await this.#proxy.listen(this.#port)).port;
    this.#logger.info("HTTP proxy listening", { url: `http://127.0.0.1:${this.#boundPort}` });
  }

  async close(): Promise<void> {
    await this.#proxy?.close();
  }
}
