import { Agent, createServer, type Server as HttpServer } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import { createServer as createTlsServer, type SecureContextOptions } from "node:tls";
import { silentLogger } from "../observability/logger.ts";
import type { Logger } from "../observability/logger.ts";
import { EndpointLoad } from "./endpoint-load.ts";
import type { Endpoint } from "./endpoint-load.ts";
import { FastConnection, type FastPathContext } from "./fast-path.ts";
import { headerValue, type RequestHead } from "./http1.ts";
import { replyPlainText } from "./plain-text-reply.ts";
import { ProxyExchange } from "./proxy-exchange.ts";
import type { ActiveRoute, ExchangeContext } from "./proxy-exchange.ts";
import { RoutingTable } from "./routing-table.ts";
import type { HeaderLookup, HttpRoute, RouteHeader } from "./routing-table.ts";
import { UpstreamPool } from "./upstream-pool.ts";
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
   * is closed (slow-header clients must not hold connections). Default 60 s, as Node's. A request
   * whose headers have arrived is not limited by it (a request held from zero waits conditionWait).
   */
  headersTimeoutMs?: number;
  /** How long a keep-alive connection may sit idle between requests. Default 5 s, as Node's. */
  keepAliveTimeoutMs?: number;
  /**
   * Connections open at once, over all listening ports; further ones are closed as they arrive.
   * Default 10,000.
   */
  maxConnections?: number;
  logger?: Logger;
  /** Milliseconds, never going backwards, for the request-rate windows. Default performance.now. */
  clock?: Clock;
  /** Add X-KEDA-HTTP-Cold-Start to responses (the add-on's KEDA_HTTP_ENABLE_COLD_START_HEADER). Default true. */
  coldStartHeader?: boolean;
}

/** The protections of the proxy's client connections, as `tidal run` and `tidal interceptor` set them. */
export type HttpProxyLimits = Pick<
  HttpProxyOptions,
  "headersTimeoutMs" | "keepAliveTimeoutMs" | "maxConnections"
>;

/** The answer to a client whose request headers did not arrive in time, as Node's server words it. */
const REQUEST_TIMEOUT_RESPONSE = "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n";

/** A route as the proxy serves it now, for status pages and `tidal explain`. */
export interface RouteStatus {
  key: string;
  hosts: readonly string[];
  pathPrefixes: readonly string[];
  headers: readonly RouteHeader[];
  conditionWaitMs: number;
  responseHeaderTimeoutMs: number;
  concurrency: number;
  requestRate: number;
  /** Requests waiting for a ready worker now, and how long the longest of them has waited. */
  held: number;
  heldForMs?: number;
  /** Time since a request last found no ready worker. */
  lastDemandAgoMs?: number;
}

/** A certificate and key (PEM) for a TLS listener. */
export type TlsOptions = Pick<SecureContextOptions, "cert" | "key">;

export interface HttpProxy {
  /** Starts listening (HTTPS when `tls` is given); `port` 0 picks a free one. Call once per port. */
  listen(port: number, host?: string, tls?: TlsOptions): Promise<{ port: number }>;
  /** Stops accepting, answers held requests 503, lets forwarded ones finish. */
  close(): Promise<void>;
  /** Replaces the certificate of the TLS listeners (a renewed certificate). */
  setTlsCertificate(tls: TlsOptions): void;
  /** Concurrency and request rate of a route; zeros for an unknown one. */
  metrics(routeKey: string): RouteMetrics;
  /** Every route with its settings, counts and held requests. */
  routes(): RouteStatus[];
  /** The route a request would take, and which of its claims matched; undefined for a 404. */
  explain(
    host: string | undefined,
    target: string,
    headers?: Readonly<Record<string, string>>,
  ):
    | { route: RouteStatus; match: { host: string; pathPrefix: string; headers: readonly RouteHeader[] } }
    | undefined;
  /** Replaces the routes; meters of routes that stay keep counting. */
  updateRoutes(routes: readonly HttpProxyRoute[]): void;
}

/** Up to this many connections per worker; further requests queue. */
const MAX_SOCKETS_PER_WORKER = 256;
const MAX_IDLE_SOCKETS_PER_WORKER = 64;

/**
 * The HTTP proxy in front of a set of scaled-to-zero-capable worker pools. HTTP/1.1 requests take
 * the fast path (fast-path.ts) over raw sockets; a connection whose request it does not take
 * (HTTP/1.0, Upgrade, Expect: 100-continue, malformed input) moves to Node's HTTP server and is
 * served by ProxyExchange. Both share the routes, meters, balancing and the hold from zero.
 */
export function createHttpProxy(options: HttpProxyOptions): HttpProxy {
  const conditionWaitMs = options.conditionWaitMs ?? DEFAULT_CONDITION_WAIT_MS;
  const responseHeaderTimeoutMs = options.responseHeaderTimeoutMs ?? DEFAULT_RESPONSE_HEADER_TIMEOUT_MS;
  const clock = options.clock ?? (() => performance.now());
  const meters = new TrafficMeters(clock);
  // The slow path's agent pools keep-alive connections per worker address (host:port).
  const agent = new Agent({
    keepAlive: true,
    maxSockets: MAX_SOCKETS_PER_WORKER,
    maxFreeSockets: MAX_IDLE_SOCKETS_PER_WORKER,
    scheduling: "lifo",
  });
  const pool = new UpstreamPool({ maxSockets: MAX_SOCKETS_PER_WORKER, maxIdle: MAX_IDLE_SOCKETS_PER_WORKER });
  const shutdown = new AbortController();
  const base: ExchangeContext = {
    agent,
    load: new EndpointLoad(),
    source: { endpoints: options.endpoints, waitForEndpoints: options.waitForEndpoints },
    onDemand: options.onDemand,
    logger: options.logger ?? silentLogger,
    shutdown: shutdown.signal,
    protocol: "http",
    coldStartHeader: options.coldStartHeader ?? true,
  };

  let table = new RoutingTable<ActiveRoute>([]);
  let active: ActiveRoute[] = [];
  const updateRoutes = (routes: readonly HttpProxyRoute[]): void => {
    meters.retain(new Set(routes.map((route) => route.key)));
    active = routes.map((route) => ({
      key: route.key,
      hosts: route.hosts,
      pathPrefixes: route.pathPrefixes,
      headers: route.headers,
      conditionWaitMs: route.conditionWaitMs || conditionWaitMs,
      responseHeaderTimeoutMs: route.responseHeaderTimeoutMs || responseHeaderTimeoutMs,
      meter: meters.meterFor(route),
      rotation: 0,
    }));
    table = new RoutingTable(active);
  };
  const statusOf = (route: ActiveRoute): RouteStatus => {
    const now = clock();
    const { held, heldSince, lastDemandAt } = route.meter.holding();
    return {
      key: route.key,
      hosts: route.hosts?.length ? route.hosts : ["*"],
      pathPrefixes: route.pathPrefixes?.length ? route.pathPrefixes : ["/"],
      headers: route.headers ?? [],
      conditionWaitMs: route.conditionWaitMs,
      responseHeaderTimeoutMs: route.responseHeaderTimeoutMs,
      ...route.meter.metrics(),
      held,
      ...(heldSince === undefined ? {} : { heldForMs: Math.round(now - heldSince) }),
      ...(lastDemandAt === undefined ? {} : { lastDemandAgoMs: Math.round(now - lastDemandAt) }),
    };
  };
  updateRoutes(options.routes);

  // No overall request deadline (the add-on has none by default): uploads may stream for long,
  // and a request held while its pool scales from zero waits up to conditionWait. But the headers
  // must arrive in time, and idle keep-alive connections and the number of connections are
  // bounded, on the fast path (FastConnection) and on Node's server alike.
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  // Expired headers are looked for every checkInterval (as Node's server does), so that follows
  // the timeout.
  const checkInterval = Math.max(50, Math.min(30_000, Math.floor(headersTimeoutMs / 4)));

  let closing = false;
  /** Connections handed to Node's HTTP server, with their requests in flight. */
  const handedOff = new Map<Socket, number>();
  const slowServers: HttpServer[] = [];
  /** Node's HTTP server for the connections the fast path hands over; it never listens itself. */
  const slowServer = (context: ExchangeContext): HttpServer => {
    const server = createServer(
      {
        requestTimeout: 0,
        headersTimeout: headersTimeoutMs,
        keepAliveTimeout: keepAliveTimeoutMs,
        connectionsCheckingInterval: checkInterval,
      },
      (request, response) => {
        const socket = request.socket;
        handedOff.set(socket, (handedOff.get(socket) ?? 0) + 1);
        if (closing) response.shouldKeepAlive = false;
        response.once("close", () => {
          const inFlight = (handedOff.get(socket) ?? 1) - 1;
          if (handedOff.has(socket)) handedOff.set(socket, inFlight);
          if (closing && inFlight === 0) socket.destroySoon();
        });
        const target = request.url ?? "/";
        const route = table.match(request.headers.host, target, (name) => {
          const value = request.headers[name];
          return Array.isArray(value) ? value.join(", ") : value;
        });
        if (route) {
          new ProxyExchange(request, response, route, context).start();
          return;
        }
        replyPlainText(response, 404, notFoundMessage(request.headers.host, target));
      },
    );
    // Node's server tracks its connections' headers and keep-alive deadlines from its "listening"
    // event on; this one is given connections without listening, so it is told to start now.
    server.emit("listening");
    slowServers.push(server);
    return server;
  };

  const fastConnections = new Set<FastConnection>();
  const listeners: Server[] = [];
  const tlsListeners: ReturnType<typeof createTlsServer>[] = [];
  const fastContext = (protocol: "http" | "https"): FastPathContext => {
    const context: ExchangeContext = { ...base, protocol };
    const slow = slowServer(context);
    const fast: FastPathContext = {
      ...context,
      pool,
      route: (head: RequestHead) => {
        const lookup: HeaderLookup = (name) => headerValue(head, name);
        return table.match(headerValue(head, "host"), head.target, lookup);
      },
      handoff: (socket: Socket, buffered: Buffer | undefined) => {
        handedOff.set(socket, 0);
        socket.once("close", () => handedOff.delete(socket));
        slow.emit("connection", socket);
        // Node's server now reads the socket; the bytes already read go first, synchronously, so
        // nothing that arrives later can overtake them.
        if (buffered !== undefined && buffered.length > 0) socket.emit("data", buffered);
      },
      connections: fastConnections,
      keepAliveTimeoutMs,
      get closing() {
        return closing;
      },
    };
    return fast;
  };

  /** Connections open now, over all listeners; counted from accept to close. */
  let open = 0;
  /** Counts a new connection in, or closes it when the proxy closes or is at its cap. */
  const admit = (socket: Socket): boolean => {
    if (closing || open >= maxConnections) {
      socket.destroy();
      return false;
    }
    open++;
    socket.once("close", () => open--);
    return true;
  };
  /** The fast-path connections whose request headers are overdue get a 408 and are closed. */
  let headersCheck: NodeJS.Timeout | undefined;
  const checkHeaders = (): void => {
    const startedBefore = performance.now() - headersTimeoutMs;
    for (const connection of fastConnections)
      connection.expireHeaders(startedBefore, REQUEST_TIMEOUT_RESPONSE);
  };

  return {
    listen(port, host = "127.0.0.1", tls) {
      const context = fastContext(tls ? "https" : "http");
      if (headersCheck === undefined && headersTimeoutMs > 0) {
        headersCheck = setInterval(checkHeaders, checkInterval).unref();
      }
      let server: Server;
      if (tls) {
        // Counted as TCP connections, so those still in their TLS handshake count too.
        const tlsServer = createTlsServer({ ...tls, ALPNProtocols: ["http/1.1"] }, (socket) => {
          if (closing) socket.destroy();
          else new FastConnection(socket, context);
        });
        tlsServer.on("connection", admit);
        tlsListeners.push(tlsServer);
        server = tlsServer;
      } else {
        server = createNetServer({ noDelay: true }, (socket) => {
          if (admit(socket)) new FastConnection(socket, context);
        });
      }
      listeners.push(server);
      return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
          server.off("error", reject);
          resolve({ port: (server.address() as AddressInfo).port });
        });
      });
    },
    setTlsCertificate(tls) {
      for (const server of tlsListeners) server.setSecureContext(tls);
    },
    async close() {
      closing = true;
      shutdown.abort();
      const closed = Promise.all(
        listeners.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
      for (const connection of [...fastConnections]) connection.closeWhenIdle();
      // Handed-over connections between requests close now; the others after their response.
      for (const [socket, inFlight] of handedOff) if (inFlight === 0) socket.destroySoon();
      clearInterval(headersCheck);
      // Stops the servers' deadline checks; they were never listening, so they report just that.
      for (const server of slowServers) server.close(() => {});
      await closed;
      agent.destroy();
      pool.destroy();
    },
    metrics: (routeKey) => meters.metrics(routeKey),
    routes: () => active.map(statusOf),
    explain(host, target, headers = {}) {
      const lower = Object.fromEntries(
        Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
      );
      const found = table.explain(host, target, (name) => lower[name]);
      if (found === undefined) return undefined;
      return {
        route: statusOf(found.route),
        match: { host: found.host, pathPrefix: found.pathPrefix, headers: found.headers },
      };
    },
    updateRoutes,
  };
}

function notFoundMessage(host: string | undefined, target: string): string {
  const path = target.split("?", 1)[0];
  return `no HTTPScaledObject route matches host "${host ?? ""}" and path "${path}"`;
}
