/**
 * The plumbing the HTTP(S) fakes share: a server on 127.0.0.1 at a free port that records each
 * request (method, path, query, headers, body) before handing it to the fake, and JSON answers.
 * HTTPS fakes serve the fakes' certificate (tls.ts), which the test process must trust. Fakes
 * written as a function build on `serveLoopback`; fakes written as a class extend `LoopbackFake`.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { fakeTls } from "./tls.ts";

export interface LoopbackRequest {
  method: string;
  /** The path without the query, as sent (percent-encoded). */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: string;
}

/** What a fake answered to a request, recorded beside it. */
export interface RecordedExchange extends LoopbackRequest {
  status: number;
}

export interface LoopbackServer {
  /** e.g. http://127.0.0.1:40123 */
  readonly origin: string;
  /** e.g. 127.0.0.1:40123 */
  readonly host: string;
  readonly port: number;
  /** Every request, with the status it was answered with, in order. */
  readonly requests: RecordedExchange[];
  close(): Promise<void>;
}

/** HTTPS with the fakes' certificate (true) or with this certificate and key (PEM). */
export type LoopbackTls = boolean | { cert: string; key: string };

/** Answers a request; a returned promise is awaited for its errors, any other result is ignored. */
export type LoopbackHandler = (request: LoopbackRequest, response: ServerResponse) => unknown;

/**
 * Serves `handle` on 127.0.0.1 at a free port, over HTTPS when `tls` is set: with the fakes'
 * certificate (tls.ts), or with the given certificate and key. A handler that throws answers 500
 * with the error's text.
 */
export async function serveLoopback(
  handle: LoopbackHandler,
  options: { tls?: LoopbackTls } = {},
): Promise<LoopbackServer> {
  const requests: RecordedExchange[] = [];
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://loopback");
      const recorded: RecordedExchange = {
        method: request.method ?? "GET",
        path: url.pathname,
        query: url.searchParams,
        headers: request.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        status: 0,
      };
      requests.push(recorded);
      response.on("finish", () => (recorded.status = response.statusCode));
      Promise.resolve(handle(recorded, response)).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
        response.end(String(error));
      });
    });
  };
  const tls = options.tls === true ? await fakeTls() : options.tls || undefined;
  const server = tls
    ? createHttpsServer({ cert: tls.cert, key: tls.key }, listener)
    : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `${tls ? "https" : "http"}://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A fake kept as a class whose `handle` answers every request, on a loopback server it starts with
 * `listen` (typically from a static `start`) and stops with `close`.
 */
export abstract class LoopbackFake implements LoopbackServer {
  #server: LoopbackServer | undefined;

  abstract handle(request: LoopbackRequest, response: ServerResponse): unknown;

  /** Serves `handle` as `serveLoopback` does and resolves to this fake. */
  protected async listen(options: { tls?: LoopbackTls } = {}): Promise<this> {
    this.#server = await serveLoopback((request, response) => this.handle(request, response), options);
    return this;
  }

  get #listening(): LoopbackServer {
    if (this.#server === undefined) throw new Error(`${this.constructor.name} is not listening`);
    return this.#server;
  }

  get origin(): string {
    return this.#listening.origin;
  }

  /** The same as `origin`. */
  get url(): string {
    return this.#listening.origin;
  }

  get host(): string {
    return this.#listening.host;
  }

  get port(): number {
    return this.#listening.port;
  }

  get requests(): RecordedExchange[] {
    return this.#listening.requests;
  }

  close(): Promise<void> {
    return this.#listening.close();
  }
}

/** Answers `body` as JSON with `status` and any extra headers. */
export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  response
    .writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers })
    .end(body === undefined ? "" : JSON.stringify(body));
}

/** Answers `body` as text of `contentType` with `status` and any extra headers. */
export function sendText(
  response: ServerResponse,
  status: number,
  body: string,
  contentType = "text/plain; charset=utf-8",
  headers: OutgoingHttpHeaders = {},
): void {
  response.writeHead(status, { "content-type": contentType, ...headers }).end(body);
}

/** The user and password of a Basic Authorization header, or undefined. */
export function basicCredentials(
  headers: IncomingMessage["headers"],
): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? "");
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The token of a `<scheme> <token>` Authorization header (scheme in any case), or undefined. */
export function authorizationToken(headers: IncomingMessage["headers"], scheme: string): string | undefined {
  const header = headers.authorization ?? "";
  const prefix = `${scheme} `;
  return header.toLowerCase().startsWith(prefix.toLowerCase())
    ? header.slice(prefix.length).trim()
    : undefined;
}
