import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { Endpoint } from "./endpoint-load.ts";
import { holdForEndpoints } from "./hold-for-endpoints.ts";
import {
  BodyTracker,
  headEnd,
  headerTokens,
  headerValue,
  parseRequestHead,
  parseResponseHead,
  requestFraming,
  responseFraming,
  type Framing,
  type HeaderList,
  type RequestHead,
  type ResponseHead,
} from "./http1.ts";
import type { ActiveRoute, ExchangeContext } from "./proxy-exchange.ts";
import type { UpstreamConnection, UpstreamPool, UpstreamUser } from "./upstream-pool.ts";

/**
 * The proxy's fast path: HTTP/1.1 over plain sockets. Request and response heads are parsed and
 * rewritten (hop-by-hop headers dropped, X-Forwarded-* and X-KEDA-HTTP-Cold-Start added); bodies
 * are relayed byte for byte while their framing is followed, so each keep-alive connection to a
 * client and to a worker carries one exchange after another. This is several times cheaper than
 * Node's HTTP server and client objects. Requests the fast path does not take (HTTP/1.0,
 * Upgrade, Expect, unusual framing, malformed or oversized heads) go with their connection to
 * Node's HTTP server and the exchange in proxy-exchange.ts.
 */

export interface FastPathContext extends ExchangeContext {
  pool: UpstreamPool;
  /** The route of a request, or undefined (404). */
  route(head: RequestHead): ActiveRoute | undefined;
  /** Gives the connection, with the bytes read but not handled, to Node's HTTP server. */
  handoff(socket: Socket, buffered: Buffer | undefined): void;
  /** Connections being served, so close() can end them and overdue request heads be found. */
  connections: Set<FastConnection>;
  /** How long a connection may sit idle between requests before it is closed; 0: no limit. */
  keepAliveTimeoutMs: number;
  /** Set while the proxy closes: connections end after their current exchange. */
  closing: boolean;
}

/** Node's default limit on a head (--max-http-header-size); larger heads get Node's 431. */
const MAX_HEAD_BYTES = 16 * 1024;
/**
 * Bodies up to this size go out in one write with their head as a latin1 string (bytes 0–255 map
 * one to one), which costs less than making and joining Buffers.
 */
const SMALL_BODY_BYTES = 4096;
/** Request bytes held in memory before reading from the client pauses. */
const MAX_BUFFERED_BYTES = 64 * 1024;

/** Headers that describe one connection (RFC 9110 §7.6.1). Transfer-Encoding and Trailer stay:
 * bodies are relayed with the framing they came with. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "upgrade",
]);

const ignore = (): void => {};

/** The framing of a request the fast path serves, or undefined to hand the connection over. */
function fastPathFraming(head: RequestHead): Framing | undefined {
  if (head.version !== "1.1" || head.method === "CONNECT") return undefined;
  let host = 0;
  for (const lower of head.lower) {
    if (lower === "host") host++;
    else if (lower === "upgrade" || lower === "expect") return undefined;
  }
  if (host !== 1) return undefined;
  return requestFraming(head);
}

/** One client connection on the fast path. */
export class FastConnection {
  readonly socket: Socket;
  readonly context: FastPathContext;
  #buffer: Buffer | undefined;
  #exchange: FastExchange | undefined;
  #parsing = false;
  #ended = false;
  #closing = false;
  /**
   * When the proxy began waiting for the head of the next request (performance.now()): at accept,
   * or when the first bytes of a request arrive after an idle keep-alive; 0 while a request is
   * served or the connection is idle between requests.
   */
  #headStarted: number;

  constructor(socket: Socket, context: FastPathContext) {
    this.socket = socket;
    this.context = context;
    this.#headStarted = performance.now();
    socket.setNoDelay(true);
    socket.on("data", this.#onData);
    socket.on("error", ignore);
    socket.on("close", this.#onClose);
    socket.on("drain", this.#onDrain);
    socket.on("timeout", this.#onTimeout);
    // An inactivity timeout: it only closes the connection when it finds it idle between requests
    // (a held request, a slow head or a quiet stream are not idle); each read or write restarts it.
    if (context.keepAliveTimeoutMs > 0) socket.setTimeout(context.keepAliveTimeoutMs);
    context.connections.add(this);
  }

  /**
   * Answers `response` (a 408) and closes the connection if it has been waiting for a request head
   * since before `startedBefore` (performance.now() time).
   */
  expireHeaders(startedBefore: number, response: string): void {
    if (this.#ended || this.#exchange !== undefined || this.#headStarted === 0) return;
    if (this.#headStarted > startedBefore) return;
    this.socket.write(response);
    this.#end();
  }

  /** Ends the connection now if it is between exchanges, else after the current one. */
  closeWhenIdle(): void {
    this.#closing = true;
    if (this.#exchange === undefined) this.#end();
  }

  /** Called by the exchange once its request and response are both complete. */
  finished(keepAlive: boolean): void {
    this.#exchange = undefined;
    if (!keepAlive || this.#closing || this.context.closing) {
      this.#end();
      return;
    }
    if (this.socket.isPaused()) this.socket.resume();
    if (!this.#parsing) this.#next();
  }

  /** Pauses reading from the client (the worker cannot take the body as fast). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    if (this.#buffer === undefined || this.#buffer.length <= MAX_BUFFERED_BYTES) this.socket.resume();
  }

  #onData = (chunk: Buffer): void => {
    if (this.#ended) return;
    const exchange = this.#exchange;
    if (exchange !== undefined && !exchange.requestComplete) {
      const used = exchange.requestBytes(chunk);
      if (used === chunk.length) return;
      chunk = chunk.subarray(used);
      if (this.#ended) return;
    }
    this.#buffer = this.#buffer === undefined ? chunk : Buffer.concat([this.#buffer, chunk]);
    if (this.#exchange !== undefined) {
      // A pipelined request waits for the current one; stop reading if the client runs ahead.
      if (this.#buffer.length > MAX_BUFFERED_BYTES) this.socket.pause();
      return;
    }
    this.#next();
  };

  /** Starts the exchanges of the requests buffered so far, one at a time. */
  #next(): void {
    this.#parsing = true;
    try {
      while (this.#buffer !== undefined && this.#exchange === undefined && !this.#ended) {
        const buffer = this.#buffer;
        const end = headEnd(buffer);
        if (end === -1) {
          if (buffer.length > MAX_HEAD_BYTES) this.#handoff();
          else if (this.#headStarted === 0) this.#headStarted = performance.now();
          return;
        }
        const head = parseRequestHead(buffer.toString("latin1", 0, end - 4));
        const framing = head && fastPathFraming(head);
        if (head === undefined || framing === undefined) {
          this.#handoff();
          return;
        }
        const rest = end < buffer.length ? buffer.subarray(end) : undefined;
        this.#buffer = undefined;
        this.#headStarted = 0;
        const exchange = new FastExchange(this, head, framing);
        this.#exchange = exchange;
        if (rest !== undefined) {
          const used = exchange.requestComplete ? 0 : exchange.requestBytes(rest);
          if (used < rest.length) this.#buffer = rest.subarray(used);
        }
        exchange.start();
      }
    } finally {
      this.#parsing = false;
    }
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#buffer = undefined;
    this.socket.end();
    // A client that does not close its side gets its connection closed after a grace period.
    this.socket.setTimeout(5000);
  }

  #onTimeout = (): void => {
    if (this.#ended) this.socket.destroy();
    else if (this.#exchange === undefined && this.#buffer === undefined && this.#headStarted === 0) {
      // Idle between requests for the keep-alive timeout.
      this.#end();
    }
  };

  #onClose = (): void => {
    this.context.connections.delete(this);
    this.#ended = true;
    this.#buffer = undefined;
    const exchange = this.#exchange;
    this.#exchange = undefined;
    exchange?.clientGone();
  };

  #onDrain = (): void => this.#exchange?.clientDrained();

  #handoff(): void {
    const socket = this.socket;
    this.context.connections.delete(this);
    socket.off("data", this.#onData);
    socket.off("error", ignore);
    socket.off("close", this.#onClose);
    socket.off("drain", this.#onDrain);
    socket.off("timeout", this.#onTimeout);
    // Node's server sets its own deadlines from here on.
    socket.setTimeout(0);
    const buffered = this.#buffer;
    this.#buffer = undefined;
    this.#ended = true;
    this.context.handoff(socket, buffered);
  }
}

type ResponseState = "waiting" | "body" | "done";

/** One request and its response on the fast path. */
class FastExchange implements UpstreamUser {
  readonly #connection: FastConnection;
  readonly #context: FastPathContext;
  readonly #head: RequestHead;
  readonly #request: BodyTracker;
  /** The request has arrived completely from the client. */
  requestComplete: boolean;
  #route: ActiveRoute | undefined;
  #arrived = false;
  #keepAlive: boolean;
  #coldStart = false;
  /** Request bytes (head, then body) not yet written to the worker. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The request head for the worker, made once (a retry sends it again). */
  #headText: string | undefined;
  #endpoint: Endpoint | undefined;
  #upstream: UpstreamConnection | undefined;
  #reused = false;
  #connected = false;
  /** Everything buffered so far went to the worker; the rest of the body goes straight there. */
  #flushed = false;
  #retried = false;
  #timer: NodeJS.Timeout | undefined;
  #timedOut = false;
  #hold: AbortController | undefined;
  #response: ResponseState = "waiting";
  #responseBuffer: Buffer | undefined;
  #responseBody: BodyTracker | undefined;
  #upstreamReusable = false;
  #pausedClient = false;
  #pausedUpstream = false;
  #over = false;

  constructor(connection: FastConnection, head: RequestHead, framing: Framing) {
    this.#connection = connection;
    this.#context = connection.context;
    this.#head = head;
    this.#request = new BodyTracker(framing);
    this.requestComplete = this.#request.done;
    this.#keepAlive = !headerTokens(headerValue(head, "connection")).includes("close");
  }

  start(): void {
    const route = this.#context.route(this.#head);
    if (route === undefined) {
      const host = headerValue(this.#head, "host") ?? "";
      const path = this.#head.target.split("?", 1)[0];
      this.#reply(404, `no HTTPScaledObject route matches host "${host}" and path "${path}"`);
      return;
    }
    this.#route = route;
    route.meter.arrive();
    this.#arrived = true;
    const ready = this.#context.source.endpoints(route.key);
    if (ready.length > 0) this.#forward(ready);
    else void this.#holdThenForward(route);
  }

  /** Request body bytes from the client; answers how many belong to this request. */
  requestBytes(chunk: Buffer): number {
    const used = this.#request.take(chunk, 0);
    if (this.#request.error !== undefined) {
      this.requestComplete = true;
      this.#keepAlive = false;
      this.#fail(400, `malformed request body: ${this.#request.error}`);
      return chunk.length;
    }
    if (used > 0) this.#sendBody(used === chunk.length ? chunk : chunk.subarray(0, used));
    if (this.#request.done) {
      this.requestComplete = true;
      this.#requestEnded();
    }
    return used;
  }

  /** The client connection closed. */
  clientGone(): void {
    this.#keepAlive = false;
    this.#hold?.abort();
    if (this.#response !== "done") {
      this.#response = "done";
      this.#dropUpstream();
    }
    this.#settle();
  }

  clientDrained(): void {
    if (this.#pausedUpstream) {
      this.#pausedUpstream = false;
      this.#upstream?.socket.resume();
    }
  }

  async #holdThenForward(route: ActiveRoute): Promise<void> {
    const { source, onDemand, logger, shutdown } = this.#context;
    try {
      onDemand(route.key);
    } catch (error) {
      logger.warn("http proxy: onDemand failed", { route: route.key, error: String(error) });
    }
    this.#hold = new AbortController();
    route.meter.holdStart();
    const held = await holdForEndpoints(
      source,
      route.key,
      route.conditionWaitMs,
      AbortSignal.any([this.#hold.signal, shutdown]),
    );
    route.meter.holdEnd();
    this.#hold = undefined;
    if (this.#response === "done") return;
    if ("ready" in held) {
      this.#coldStart = true;
      this.#forward(held.ready);
      return;
    }
    if ("timedOut" in held) {
      this.#fail(502, `no worker became ready within ${route.conditionWaitMs}ms (conditionWait)`);
    } else if ("failed" in held) {
      this.#fail(502, "waiting for a ready worker failed", held.failed);
    } else this.#fail(503, "the proxy is shutting down");
  }

  #forward(ready: readonly Endpoint[], avoid?: Endpoint): void {
    const endpoint = this.#take(ready, avoid);
    if (endpoint === undefined) {
      this.#fail(502, "no ready worker");
      return;
    }
    this.#flushed = false;
    this.#context.pool.acquire(endpoint, this, this.#attach, () => this.#response === "done");
  }

  #attach = (connection: UpstreamConnection): void => {
    this.#upstream = connection;
    this.#reused = connection.reused;
    this.#connected = !connection.socket.connecting;
    if (this.#connected) this.#flush();
  };

  upstreamConnected(): void {
    this.#connected = true;
    this.#flush();
  }

  /** Writes the head and the body received so far; later body bytes are written as they come. */
  #flush(): void {
    const socket = (this.#upstream as UpstreamConnection).socket;
    this.#headText ??= this.#upstreamHead();
    // One write (one system call) for the head and the body so far. The head goes as a latin1
    // string: Node copies it once into the write, with no Buffer made for it here.
    const writable =
      this.#pending.length === 0
        ? socket.write(this.#headText, "latin1")
        : this.#pendingBytes <= SMALL_BODY_BYTES
          ? socket.write(this.#headText + latin1(this.#pending), "latin1")
          : socket.write(Buffer.concat([Buffer.from(this.#headText, "latin1"), ...this.#pending]));
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#flushed = true;
    if (this.#pausedClient) {
      this.#pausedClient = false;
      this.#connection.resume();
    }
    if (!writable) this.#pauseClient();
    if (this.requestComplete) this.#startResponseTimer();
  }

  #sendBody(bytes: Buffer): void {
    if (this.#response === "done") return; // answered already: the rest of the body is dropped
    if (this.#flushed && this.#upstream !== undefined) {
      if (!this.#upstream.socket.write(bytes)) this.#pauseClient();
      return;
    }
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes > MAX_BUFFERED_BYTES) this.#pauseClient();
  }

  #pauseClient(): void {
    if (this.#pausedClient) return;
    this.#pausedClient = true;
    this.#connection.pause();
  }

  upstreamDrained(): void {
    if (this.#pausedClient && this.#flushed) {
      this.#pausedClient = false;
      this.#connection.resume();
    }
  }

  #requestEnded(): void {
    if (this.#response === "done") {
      this.#settle();
      return;
    }
    if (this.#flushed) this.#startResponseTimer();
  }

  #startResponseTimer(): void {
    const timeoutMs = this.#route?.responseHeaderTimeoutMs ?? 0;
    if (timeoutMs <= 0 || this.#response !== "waiting" || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timedOut = true;
      this.#upstream?.socket.destroy();
    }, timeoutMs);
  }

  upstreamData(chunk: Buffer): void {
    if (this.#response === "waiting") {
      const buffer =
        this.#responseBuffer === undefined ? chunk : Buffer.concat([this.#responseBuffer, chunk]);
      this.#responseBuffer = undefined;
      this.#responseHead(buffer);
      return;
    }
    if (this.#response !== "body") return;
    this.#responseBodyBytes(chunk, 0);
  }

  #responseHead(buffer: Buffer): void {
    const end = headEnd(buffer);
    if (end === -1) {
      if (buffer.length > MAX_HEAD_BYTES) this.#workerFailed("sent a response head that is too large");
      else this.#responseBuffer = buffer;
      return;
    }
    const head = parseResponseHead(buffer.toString("latin1", 0, end - 4));
    if (head === undefined) {
      this.#workerFailed("sent a malformed response");
      return;
    }
    if (head.status < 200) {
      if (head.status === 101) {
        this.#workerFailed("switched protocols without being asked");
        return;
      }
      // An interim response (103 Early Hints): pass it on and wait for the final one.
      this.#connection.socket.write(Buffer.from(responseHeadText(head, undefined, false), "latin1"));
      if (end < buffer.length) this.#responseHead(buffer.subarray(end));
      return;
    }
    const framing = responseFraming(head, this.#head.method);
    if (framing === undefined) {
      this.#workerFailed("sent a response with an invalid length");
      return;
    }
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#response = "body";
    this.#responseBody = new BodyTracker(framing);
    const workerCloses =
      framing.kind === "close" ||
      head.version !== "1.1" ||
      headerTokens(headerValue(head, "connection")).includes("close");
    this.#upstreamReusable = !workerCloses;
    if (framing.kind === "close" || this.#context.closing) this.#keepAlive = false;
    const headText = responseHeadText(
      head,
      this.#context.coldStartHeader ? this.#coldStart : undefined,
      !this.#keepAlive,
    );
    this.#responseBodyBytes(buffer, end, headText);
  }

  /** Relays the body bytes of `buffer` from `offset`, after `head` (the response head) if given. */
  #responseBodyBytes(buffer: Buffer, offset: number, head?: string): void {
    const body = this.#responseBody as BodyTracker;
    const used = body.take(buffer, offset);
    const client = this.#connection.socket;
    let writable = true;
    if (head !== undefined) {
      // Head and first body bytes in one write; a small body joins the head's latin1 string.
      writable =
        used === 0
          ? client.write(head, "latin1")
          : used <= SMALL_BODY_BYTES
            ? client.write(head + buffer.toString("latin1", offset, offset + used), "latin1")
            : client.write(
                Buffer.concat([Buffer.from(head, "latin1"), buffer.subarray(offset, offset + used)]),
              );
    } else if (used > 0) {
      writable = client.write(
        offset === 0 && used === buffer.length ? buffer : buffer.subarray(offset, offset + used),
      );
    }
    if (body.error !== undefined) {
      // The worker broke the chunked framing: nothing sensible can follow on either connection.
      this.#response = "done";
      this.#keepAlive = false;
      this.#dropUpstream();
      client.destroySoon();
      this.#settle();
      return;
    }
    if (!writable && !body.done) {
      this.#pausedUpstream = true;
      this.#upstream?.socket.pause();
    }
    // Bytes after the response: the worker's connection is out of step and cannot be reused.
    if (offset + used < buffer.length) this.#upstreamReusable = false;
    if (body.done) this.#responseEnded();
  }

  #responseEnded(): void {
    this.#response = "done";
    const connection = this.#upstream;
    if (connection !== undefined) {
      const reusable = this.#upstreamReusable && this.requestComplete && this.#flushed;
      if (this.#pausedUpstream) connection.socket.resume();
      this.#upstream = undefined;
      this.#context.pool.release(connection, reusable);
    }
    this.#settle();
  }

  upstreamClosed(error: Error | undefined): void {
    const connection = this.#upstream;
    if (connection === undefined) return;
    this.#upstream = undefined;
    // The pool still counts it as busy until it is released.
    this.#context.pool.release(connection, false);
    if (this.#response === "body") {
      if ((this.#responseBody as BodyTracker).end()) {
        this.#responseEnded();
        return;
      }
      // Cut in the middle of the body: the client can only learn it by losing its connection too.
      this.#response = "done";
      this.#keepAlive = false;
      this.#connection.socket.destroySoon();
      this.#settle();
      return;
    }
    if (this.#response !== "waiting") return;
    const endpoint = this.#endpoint as Endpoint;
    const worker = `${endpoint.host}:${endpoint.port}`;
    if (this.#timedOut) {
      const limit = this.#route?.responseHeaderTimeoutMs ?? 0;
      this.#fail(504, `worker ${worker} sent no response headers within ${limit}ms (responseHeader)`);
      return;
    }
    const unreachable = !this.#connected;
    // A kept-alive connection the worker closed just as the request went out: a request without a
    // body is sent again on another connection, as Node's client does.
    const dropped =
      this.#reused && this.#request.framing.kind === "none" && this.#responseBuffer === undefined;
    if (!this.#retried && (unreachable || dropped)) {
      const endpoints = this.#context.source.endpoints((this.#route as ActiveRoute).key);
      const avoid = unreachable ? endpoint : undefined;
      if (
        endpoints.some(
          (other) => avoid === undefined || other.host !== avoid.host || other.port !== avoid.port,
        )
      ) {
        this.#retried = true;
        this.#forward(endpoints, avoid);
        return;
      }
    }
    this.#fail(502, `worker ${worker} failed: ${errorCode(error)}`, error);
  }

  #workerFailed(reason: string): void {
    const endpoint = this.#endpoint as Endpoint;
    this.#dropUpstream();
    this.#fail(502, `worker ${endpoint.host}:${endpoint.port} ${reason}`);
  }

  #dropUpstream(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const connection = this.#upstream;
    if (connection === undefined) return;
    this.#upstream = undefined;
    this.#context.pool.release(connection, false);
  }

  /** Picks the least loaded endpoint and counts the request against it instead of the previous one. */
  #take(endpoints: readonly Endpoint[], avoid?: Endpoint): Endpoint | undefined {
    this.#releaseEndpoint();
    const route = this.#route as ActiveRoute;
    const endpoint = this.#context.load.pick(endpoints, route.rotation++, avoid);
    if (endpoint) this.#context.load.acquire(endpoint);
    this.#endpoint = endpoint;
    return endpoint;
  }

  #releaseEndpoint(): void {
    if (this.#endpoint) this.#context.load.release(this.#endpoint);
    this.#endpoint = undefined;
  }

  /** An error answer from the proxy itself, or a cut connection if the response already began. */
  #fail(status: number, reason: string, error?: unknown): void {
    if (this.#response === "done") return;
    if (this.#response === "body") {
      this.#response = "done";
      this.#dropUpstream();
      this.#keepAlive = false;
      this.#connection.socket.destroySoon();
      this.#settle();
      return;
    }
    const key = this.#route?.key ?? "?";
    this.#context.logger.warn("http proxy: request failed", {
      route: key,
      status,
      reason,
      ...(error === undefined ? {} : { error: String(error) }),
    });
    this.#dropUpstream();
    this.#reply(status, `route ${key}: ${reason}`);
  }

  /** Writes a one-line text answer; the rest of the request body, if any, is read and dropped. */
  #reply(status: number, message: string): void {
    this.#response = "done";
    this.#pending = [];
    this.#pendingBytes = 0;
    if (this.#pausedClient) {
      this.#pausedClient = false;
      this.#connection.resume();
    }
    if (this.#context.closing) this.#keepAlive = false;
    const body = `${message}\n`;
    const head =
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      (this.#keepAlive ? "" : "Connection: close\r\n") +
      "\r\n";
    this.#connection.socket.write(head + body);
    this.#settle();
  }

  /** Once the response is done: stop counting the request, and free the client connection when
   * the request has arrived completely too. */
  #settle(): void {
    if (this.#response !== "done") return;
    if (this.#arrived) {
      this.#arrived = false;
      (this.#route as ActiveRoute).meter.depart();
    }
    this.#releaseEndpoint();
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.requestComplete && !this.#over) {
      this.#over = true;
      this.#connection.finished(this.#keepAlive);
    }
  }

  /** The request head for the worker: hop-by-hop headers dropped, X-Forwarded-* added. */
  #upstreamHead(): string {
    const head = this.#head;
    const listed = connectionListed(head);
    let text = `${head.method} ${head.target} HTTP/1.1\r\n`;
    let forwardedFor: string | undefined;
    let host: string | undefined;
    let forwardedHost = false;
    let forwardedProto = false;
    for (let index = 0; index < head.lower.length; index++) {
      const lower = head.lower[index] as string;
      const value = head.values[index] as string;
      if (lower === "x-forwarded-for") {
        forwardedFor = forwardedFor === undefined ? value : `${forwardedFor}, ${value}`;
        continue;
      }
      if (HOP_BY_HOP.has(lower) || listed?.has(lower)) continue;
      if (lower === "host") host = value;
      else if (lower === "x-forwarded-host") forwardedHost = true;
      else if (lower === "x-forwarded-proto") forwardedProto = true;
      text += `${head.names[index]}: ${value}\r\n`;
    }
    const client = this.#connection.socket.remoteAddress ?? "";
    text += `X-Forwarded-For: ${forwardedFor ? `${forwardedFor}, ${client}` : client}\r\n`;
    if (host !== undefined && !forwardedHost) text += `X-Forwarded-Host: ${host}\r\n`;
    if (!forwardedProto) text += `X-Forwarded-Proto: ${this.#context.protocol}\r\n`;
    return `${text}\r\n`;
  }
}

/** The response head for the client; `coldStart` undefined for an interim response. */
function responseHeadText(head: ResponseHead, coldStart: boolean | undefined, close: boolean): string {
  const listed = connectionListed(head);
  let text = `HTTP/1.1 ${head.status} ${head.reason}\r\n`;
  for (let index = 0; index < head.lower.length; index++) {
    const lower = head.lower[index] as string;
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) continue;
    text += `${head.names[index]}: ${head.values[index]}\r\n`;
  }
  if (coldStart !== undefined) text += `X-KEDA-HTTP-Cold-Start: ${coldStart ? "true" : "false"}\r\n`;
  if (close) text += "Connection: close\r\n";
  return `${text}\r\n`;
}

/** Extra header names the Connection header declares hop-by-hop; undefined in the usual case. */
function connectionListed(headers: HeaderList): Set<string> | undefined {
  const connection = headerValue(headers, "connection");
  // The usual values name no other header.
  if (connection === undefined || connection === "keep-alive" || connection === "close") return undefined;
  const tokens = headerTokens(connection).filter(
    (token) => token !== "close" && token !== "keep-alive" && !HOP_BY_HOP.has(token),
  );
  return tokens.length > 0 ? new Set(tokens) : undefined;
}

/** Buffers as one latin1 string. */
function latin1(buffers: readonly Buffer[]): string {
  let text = "";
  for (const buffer of buffers) text += buffer.toString("latin1");
  return text;
}

function errorCode(error: Error | undefined): string {
  if (error === undefined) return "connection closed";
  return (error as NodeJS.ErrnoException).code ?? error.message;
}
