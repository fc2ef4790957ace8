import { Agent, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { silentLogger } from "../observability/logger.ts";
import type { Logger } from "../observability/logger.ts";
import { EndpointLoad } from "./endpoint-load.ts";
import type { Endpoint } from "./endpoint-load.ts";
import { replyPlainText } from "./plain-text-reply.ts";
import { ProxyExchange } from "./proxy-exchange.ts";
import type { ActiveRoute, ExchangeContext } from "./proxy-exchange.ts";
import { RoutingTable } from "./routing-table.ts";
import type { HttpRoute } from "./routing-table.ts";
import { TrafficMeters } from "./traffic-meter.ts";
import type { Clock, RequestRateSettings, RouteMetrics } from "./traffic-meter.ts";

/** The interceptor's KEDA_CONDITION_WAIT_TIMEOUT default (HTTP add-on v0.10–v0.13). */
export const DEFAULT_CONDITION_WAIT_MS = 20_000;
/** The interceptor's KEDA_RESPONSE_HEADER_TIMEOUT default (HTTP add-on v0.10–v0.13). */
export const DEFAULT_RESPONSE_HEADER_TIMEOUT_MS = 500;

/** How long a client may take to send a request's headers before a 408 (Node's default). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
/** How long a keep-alive connection may sit idle between requests (Node's default). */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Connections open at once; further ones are closed as they arrive. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** A route with the per-HTTPScaledObject settings the proxy applies. */
export interface HttpProxyRoute extends HttpRoute {
  /** `timeouts.conditionWait`; absent or 0: the proxy-wide value. */
  conditionWaitMs?: number;
  /** `timeouts.responseHeader`; absent or 0: the proxy-wide value. */
  responseHeaderTimeoutMs?: number;
  /** `scalingMetric.requestRate` window and granularity; absent: 1m and 1s. */
  requestRate?: RequestRateSettings;
}

export interface HttpProxyOptions {
  routes: readonly HttpProxyRoute[];
  /** The route's workers that are ready now. Called for every request: keep it cheap. */
  endpoints: (routeKey: string) => readonly Endpoint[];
  /** Called when a request finds the route without a ready worker and is held (scale from zero). */
  onDemand: (routeKey: string) => void;
  /** Resolves once the route has a ready worker; must stop waiting when `signal` aborts. */
  waitForEndpoints: (routeKey: string, signal: AbortSignal) => Promise<void>;
  /** How long a request is held for a ready worker before a 502. Default 20s. */
  conditionWaitMs?: number;
  /** How long a worker may take to send response headers before a 504; 0 disables. Default 500ms. */
  responseHeaderTimeoutMs?: number;
  /**
   * How long a client may take to send a request's headers; the connection then gets a 408 and
   * is closed (slow-header clients must not hold connections). Default 60 s, as Node's.
   */
  headersTimeoutMs?: number;
  /** How long a keep-alive connection may sit idle between requests. Default 5 s, as Node's. */
  keepAliveTimeoutMs?: number;
  /** Connections open at once; further ones are closed as they arrive. Default 10,000. */
  maxConnections?: number;
  logger?: Logger;
  /** Milliseconds, never going backwards, for the request-rate windows. Default performance.now. */
  clock?: Clock;
}

export interface HttpProxy {
  /** Starts listening; `port` 0 picks a free one. */
  listen(port: number, host?: string): Promise<{ port: number }>;
  /** Stops accepting, answers held requests 503, lets forwarded ones finish. */
  close(): Promise<void>;
  /** Concurrency and request rate of a route; zeros for an unknown one. */
  metrics(routeKey: string): RouteMetrics;
  /** Replaces the routes; meters of routes that stay keep counting. */
  updateRoutes(routes: readonly HttpProxyRoute[]): void;
}

/** Up to this many connections per worker; further requests queue in the agent. */
const MAX_SOCKETS_PER_WORKER = 256;
const MAX_IDLE_SOCKETS_PER_WORKER = 64;

/** The HTTP proxy in front of a set of scaled-to-zero-capable worker pools. */
export function createHttpProxy(options: HttpProxyOptions): HttpProxy {
  const conditionWaitMs = options.conditionWaitMs ?? DEFAULT_CONDITION_WAIT_MS;
  const responseHeaderTimeoutMs = options.responseHeaderTimeoutMs ?? DEFAULT_RESPONSE_HEADER_TIMEOUT_MS;
  const meters = new TrafficMeters(options.clock ?? (() => performance.now()));
  // One agent pools keep-alive connections per worker address (host:port).
  const agent = new Agent({
    keepAlive: true,
    maxSockets: MAX_SOCKETS_PER_WORKER,
    maxFreeSockets: MAX_IDLE_SOCKETS_PER_WORKER,
    scheduling: "lifo",
  });
  const shutdown = new AbortController();
  const context: ExchangeContext = {
    agent,
    load: new EndpointLoad(),
    source: { endpoints: options.endpoints, waitForEndpoints: options.waitForEndpoints },
    onDemand: options.onDemand,
    logger: options.logger ?? silentLogger,
    shutdown: shutdown.signal,
  };

  let table = new RoutingTable<ActiveRoute>([]);
  const updateRoutes = (routes: readonly HttpProxyRoute[]): void => {
    meters.retain(new Set(routes.map((route) => route.key)));
    table = new RoutingTable(
      routes.map((route) => ({
        key: route.key,
        hosts: route.hosts,
        pathPrefixes: route.pathPrefixes,
        conditionWaitMs: route.conditionWaitMs || conditionWaitMs,
        responseHeaderTimeoutMs: route.responseHeaderTimeoutMs || responseHeaderTimeoutMs,
        meter: meters.meterFor(route),
        rotation: 0,
      })),
    );
  };
  updateRoutes(options.routes);

  // No overall request deadline (the add-on has none by default): uploads may stream for long,
  // and a request held while its pool scales from zero waits up to conditionWait. But the headers
  // must arrive in time: with requestTimeout 0 Node would wait for them forever as well. Node
  // looks for expired headers every connectionsCheckingInterval, so that follows the timeout.
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const server = createServer(
    {
      requestTimeout: 0,
      headersTimeout,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(headersTimeout / 4))),
    },
    (request, response) => {
      const target = request.url ?? "/";
      const route = table.match(request.headers.host, target);
      if (route) {
        new ProxyExchange(request, response, route, context).start();
        return;
      }
      const path = target.split("?", 1)[0];
      replyPlainText(
        response,
        404,
        `no HTTPScaledObject route matches host "${request.headers.host ?? ""}" and path "${path}"`,
      );
    },
  );

  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;

  return {
    listen(port, host = "127.0.0.1") {
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve({ port: (server.address() as AddressInfo).port });
        });
      });
    },
    async close() {
      shutdown.abort();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      agent.destroy();
    },
    metrics: (routeKey) => meters.metrics(routeKey),
    updateRoutes,
  };
}
