import http, { type IncomingHttpHeaders } from "node:http";
import https from "node:https";
import type { ConnectionOptions } from "node:tls";
import { fingerprintOf } from "../../util/stable-json.ts";

export interface HttpResponse {
  status: number;
  body: string;
  /** The response's headers (lower-case names). */
  headers?: IncomingHttpHeaders;
}

/** A keep-alive HTTP(S) client for one trigger's API calls. */
export interface HttpGetClient {
  /** GETs `url`, following redirects, until `signal` aborts (the measurement's deadline). */
  get(url: URL, headers: Record<string, string>, signal: AbortSignal): Promise<HttpResponse>;
  close(): void;
}

/** The same client, for APIs that are asked with a POST (GraphQL, CouchDB's _find). */
export interface HttpClient extends HttpGetClient {
  /** POSTs `body` to `url` once (no redirects), until `signal` aborts. */
  post(url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<HttpResponse>;
  /** Sends one request of any method (no redirects followed), until `signal` aborts. */
  send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    signal: AbortSignal,
  ): Promise<HttpResponse>;
}

/** The client of the scalers that read the answer's headers (cookies) with other methods. */
export type HttpRequestClient = HttpClient;

/** Whether `text` is an absolute http or https URL. */
export function isHttpUrl(text: string): boolean {
  const protocol = URL.parse(text)?.protocol;
  return protocol === "http:" || protocol === "https:";
}

const MAX_REDIRECTS = 10;
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Like Go's http.Client that KEDA's HTTP scalers use: redirects followed (the Authorization header
 * is dropped when a redirect leaves the origin), credentials in the URL sent as basic
 * authentication. The timeout is the measurement's deadline: scalers with a `timeout` parameter
 * set `Scaler.timeoutMs`.
 */
export function createHttpGetClient(options: {
  tls: ConnectionOptions;
  /** Whether a redirect from one URL to another keeps the Authorization header (default: same origin). */
  keepAuthorization?: (from: URL, to: URL, status: number) => boolean;
}): HttpClient {
  const keepAuthorization = options.keepAuthorization ?? ((from: URL, to: URL) => from.origin === to.origin);
  const { agents, release } = acquireAgents(options.tls);
  let closed = false;
  return {
    async get(url, headers, signal) {
      let current = url;
      let currentHeaders = headers;
      for (let redirects = 0; ; redirects += 1) {
        const response = await requestOnce("GET", current, currentHeaders, undefined, agents, signal).catch(
          (error: unknown) => {
            throw signal.aborted
              ? error
              : new Error(`cannot reach ${current.origin}: ${transportFailure(error as Error)}`);
          },
        );
        if (!REDIRECT_STATUSES.has(response.status) || !response.location || redirects >= MAX_REDIRECTS) {
          return { status: response.status, body: response.body, headers: response.headers };
        }
        const next = new URL(response.location, current);
        if (!keepAuthorization(current, next, response.status)) {
          currentHeaders = withoutAuthorization(currentHeaders);
        }
        current = next;
      }
    },
    async post(url, headers, body, signal) {
      const response = await requestOnce("POST", url, headers, body, agents, signal).catch(
        (error: unknown) => {
          throw signal.aborted
            ? error
            : new Error(`cannot reach ${url.origin}: ${transportFailure(error as Error)}`);
        },
      );
      return { status: response.status, body: response.body, headers: response.headers };
    },
    async send(method, url, headers, body, signal) {
      const response = await requestOnce(method, url, headers, body, agents, signal).catch(
        (error: unknown) => {
          throw signal.aborted
            ? error
            : new Error(`cannot reach ${url.origin}: ${transportFailure(error as Error)}`);
        },
      );
      return { status: response.status, body: response.body, headers: response.headers };
    },
    close() {
      if (closed) return;
      closed = true;
      release();
    },
  };
}

/**
 * The cause of a failed request in one line. OpenSSL's record-layer complaint about an https URL
 * whose server answers in plain text spans a file path and an error stack; it becomes a sentence.
 */
export function transportFailure(error: Error): string {
  if ((error as NodeJS.ErrnoException).code === "EPROTO" && /wrong version number/.test(error.message))
    return "the server answered without TLS (OpenSSL: wrong version number)";
  return error.message;
}

interface Agents {
  "http:": http.Agent;
  "https:": https.Agent;
}

/**
 * Clients with the same TLS options share their agents, so thousands of triggers polling one
 * server reuse a few keep-alive connections instead of holding one each. The agents close with
 * the last client that uses them.
 */
const sharedAgents = new Map<string, { agents: Agents; clients: number }>();

function acquireAgents(tls: ConnectionOptions): { agents: Agents; release: () => void } {
  const key = fingerprintOf(tls);
  let shared = sharedAgents.get(key);
  if (shared === undefined) {
    shared = {
      agents: {
        "http:": new http.Agent({ keepAlive: true }),
        "https:": new https.Agent({ keepAlive: true, ...tls }),
      },
      clients: 0,
    };
    sharedAgents.set(key, shared);
  }
  const entry = shared;
  entry.clients += 1;
  return {
    agents: entry.agents,
    release() {
      entry.clients -= 1;
      if (entry.clients > 0) return;
      sharedAgents.delete(key);
      entry.agents["http:"].destroy();
      entry.agents["https:"].destroy();
    },
  };
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== "authorization"),
  );
}

function requestOnce(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string | undefined,
  agents: Agents,
  signal: AbortSignal,
): Promise<Required<HttpResponse> & { location: string | undefined }> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Promise.reject(new Error(`unsupported URL scheme "${url.protocol}" (use http or https)`));
  }
  const transport = url.protocol === "https:" ? https : http;
  const agent = agents[url.protocol];
  return new Promise((resolve, reject) => {
    const requestHeaders =
      body === undefined ? headers : { ...headers, "Content-Length": String(Buffer.byteLength(body)) };
    const request = transport.request(url, { method, headers: requestHeaders, agent, signal }, (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES)
          request.destroy(new Error(`response is larger than ${MAX_BODY_BYTES} bytes`));
        else chunks.push(chunk);
      });
      response.on("error", reject);
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          location: response.headers.location,
          body: Buffer.concat(chunks).toString("utf8"),
          headers: response.headers,
        }),
      );
    });
    request.on("error", reject);
    request.end(body);
  });
}
