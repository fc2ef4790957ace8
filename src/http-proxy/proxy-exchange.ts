import { request as upstreamRequest } from "node:http";
import type { Agent, ClientRequest, IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../observability/logger.ts";
import type { Endpoint, EndpointLoad } from "./endpoint-load.ts";
import { clientResponseHeaders, upstreamRequestHeaders } from "./forwarded-headers.ts";
import { holdForEndpoints } from "./hold-for-endpoints.ts";
import type { EndpointSource } from "./hold-for-endpoints.ts";
import { replyPlainText } from "./plain-text-reply.ts";
import type { HttpRoute } from "./routing-table.ts";
import type { TrafficMeter } from "./traffic-meter.ts";

/** A route as the proxy serves it: timeouts resolved, its meter and its round-robin position. */
export interface ActiveRoute extends HttpRoute {
  conditionWaitMs: number;
  /** 0 disables the timeout. */
  responseHeaderTimeoutMs: number;
  meter: TrafficMeter;
  rotation: number;
}

/** What every exchange shares. */
export interface ExchangeContext {
  agent: Agent;
  load: EndpointLoad;
  source: EndpointSource;
  onDemand: (routeKey: string) => void;
  logger: Logger;
  /** Aborts when the proxy closes: held requests stop waiting. */
  shutdown: AbortSignal;
  /** The scheme clients used, for X-Forwarded-Proto. */
  protocol: "http" | "https";
  /** Whether responses carry X-KEDA-HTTP-Cold-Start (KEDA_HTTP_ENABLE_COLD_START_HEADER). */
  coldStartHeader: boolean;
}

type Attempt =
  | { outcome: "responded" }
  | { outcome: "timed-out" }
  /** unreachable: no connection was made; dropped: a reused keep-alive connection closed under a
   * request without body. Both can be retried; failed: the request body had started to flow. */
  | { outcome: "unreachable" | "dropped" | "failed"; error: Error };

const RESPONDED: Attempt = { outcome: "responded" };

/**
 * One client request on its way to a worker: held while the route has no ready worker, sent to
 * the least loaded worker (once more to another one if the connection fails), streamed back.
 */
export class ProxyExchange {
  readonly #request: IncomingMessage;
  readonly #response: ServerResponse;
  readonly #route: ActiveRoute;
  readonly #context: ExchangeContext;
  #endpoint: Endpoint | undefined;
  #upstream: ClientRequest | undefined;
  #hold: AbortController | undefined;
  #clientGone = false;

  constructor(
    request: IncomingMessage,
    response: ServerResponse,
    route: ActiveRoute,
    context: ExchangeContext,
  ) {
    this.#request = request;
    this.#response = response;
    this.#route = route;
    this.#context = context;
  }

  start(): void {
    this.#route.meter.arrive();
    this.#response.once("close", () => this.#finish());
    const ready = this.#context.source.endpoints(this.#route.key);
    if (ready.length > 0) void this.#forward(ready, false);
    else void this.#holdThenForward();
  }

  #finish(): void {
    this.#route.meter.depart();
    this.#releaseEndpoint();
    if (this.#response.writableFinished) return;
    this.#clientGone = true;
    this.#hold?.abort();
    this.#upstream?.destroy();
  }

  async #holdThenForward(): Promise<void> {
    const { key, conditionWaitMs } = this.#route;
    const { source, onDemand, logger, shutdown } = this.#context;
    try {
      onDemand(key);
    } catch (error) {
      logger.warn("http proxy: onDemand failed", { route: key, error: String(error) });
    }
    this.#hold = new AbortController();
    this.#route.meter.holdStart();
    const held = await holdForEndpoints(
      source,
      key,
      conditionWaitMs,
      AbortSignal.any([this.#hold.signal, shutdown]),
    );
    this.#route.meter.holdEnd();
    this.#hold = undefined;
    if ("ready" in held) return this.#forward(held.ready, true);
    if ("timedOut" in held) {
      return this.#fail(502, `no worker became ready within ${conditionWaitMs}ms (conditionWait)`);
    }
    if ("failed" in held) return this.#fail(502, "waiting for a ready worker failed", held.failed);
    this.#fail(503, "the proxy is shutting down"); // or the client left, and #fail stays quiet
  }

  async #forward(ready: readonly Endpoint[], coldStart: boolean): Promise<void> {
    const headers = upstreamRequestHeaders(this.#request, this.#context.protocol);
    let endpoint = this.#take(ready);
    if (!endpoint) return this.#fail(502, "no ready worker");
    let attempt = await this.#attempt(endpoint, headers, coldStart);
    if ((attempt.outcome === "unreachable" || attempt.outcome === "dropped") && !this.#clientGone) {
      const avoid = attempt.outcome === "unreachable" ? endpoint : undefined;
      const retry = this.#take(this.#context.source.endpoints(this.#route.key), avoid);
      if (retry) {
        endpoint = retry;
        attempt = await this.#attempt(retry, headers, coldStart);
      }
    }
    if (attempt.outcome === "responded") return;
    const worker = `${endpoint.host}:${endpoint.port}`;
    if (attempt.outcome === "timed-out") {
      const limit = this.#route.responseHeaderTimeoutMs;
      this.#fail(504, `worker ${worker} sent no response headers within ${limit}ms (responseHeader)`);
    } else {
      this.#fail(502, `worker ${worker} failed: ${errorCode(attempt.error)}`, attempt.error);
    }
  }

  /** Picks the least loaded endpoint and counts the request against it instead of the previous one. */
  #take(endpoints: readonly Endpoint[], avoid?: Endpoint): Endpoint | undefined {
    this.#releaseEndpoint();
    const endpoint = this.#context.load.pick(endpoints, this.#route.rotation++, avoid);
    if (endpoint) this.#context.load.acquire(endpoint);
    this.#endpoint = endpoint;
    return endpoint;
  }

  #releaseEndpoint(): void {
    if (this.#endpoint) this.#context.load.release(this.#endpoint);
    this.#endpoint = undefined;
  }

  #attempt(endpoint: Endpoint, headers: string[], coldStart: boolean): Promise<Attempt> {
    const request = this.#request;
    const response = this.#response;
    const timeoutMs = this.#route.responseHeaderTimeoutMs;
    return new Promise((resolve) => {
      let sending = false;
      let responded = false;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      const upstream = upstreamRequest({
        agent: this.#context.agent,
        host: endpoint.host,
        port: endpoint.port,
        method: request.method,
        path: request.url,
        // HTTP/1.1 requires a Host; a client without one (HTTP/1.0) gets the worker's address.
        headers:
          request.headers.host === undefined
            ? ["Host", `${endpoint.host}:${endpoint.port}`, ...headers]
            : headers,
        setHost: false,
      });
      this.#upstream = upstream;
      // The body flows only once connected, so a refused connection leaves it unread for a retry.
      const send = (): void => {
        sending = true;
        request.pipe(upstream);
      };
      upstream.once("socket", (socket) => {
        if (socket.connecting) socket.once("connect", send);
        else send();
      });
      upstream.once("finish", () => {
        if (responded || timeoutMs <= 0) return;
        timer = setTimeout(() => {
          timedOut = true;
          upstream.destroy();
        }, timeoutMs);
      });
      upstream.once("response", (reply) => {
        responded = true;
        clearTimeout(timer);
        response.writeHead(
          reply.statusCode ?? 502,
          reply.statusMessage,
          clientResponseHeaders(reply, this.#context.coldStartHeader ? coldStart : undefined),
        );
        // A worker failing mid-body can only be passed on by cutting the client's connection too.
        reply.once("error", () => response.destroy());
        reply.pipe(response);
        resolve(RESPONDED);
      });
      upstream.on("error", (error) => {
        clearTimeout(timer);
        if (responded) return;
        request.unpipe(upstream);
        if (timedOut) resolve({ outcome: "timed-out" });
        else if (!sending) resolve({ outcome: "unreachable", error });
        else if (upstream.reusedSocket && !hasBody(request)) resolve({ outcome: "dropped", error });
        else resolve({ outcome: "failed", error });
      });
    });
  }

  #fail(status: number, reason: string, error?: unknown): void {
    if (this.#clientGone) return;
    const key = this.#route.key;
    this.#context.logger.warn("http proxy: request failed", {
      route: key,
      status,
      reason,
      ...(error === undefined ? {} : { error: String(error) }),
    });
    replyPlainText(this.#response, status, `route ${key}: ${reason}`);
  }
}

function hasBody(request: IncomingMessage): boolean {
  const length = request.headers["content-length"];
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

function errorCode(error: Error): string {
  return (error as NodeJS.ErrnoException).code ?? error.message;
}
