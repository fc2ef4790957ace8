import type { IncomingMessage } from "node:http";

/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), never forwarded. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** The add-on's interceptor tells clients whether their request waited for a scale from zero. */
const COLD_START_HEADER = "X-KEDA-HTTP-Cold-Start";

/**
 * The client's headers for the worker, as a raw name/value list keeping case, order and repeats:
 * hop-by-hop headers removed, `X-Forwarded-For` extended with the client address, and
 * `X-Forwarded-Host` / `X-Forwarded-Proto` added unless a proxy in front already set them.
 */
export function upstreamRequestHeaders(
  request: IncomingMessage,
  protocol: "http" | "https" = "http",
): string[] {
  const headers = endToEndHeaders(request, "x-forwarded-for");
  const client = request.socket.remoteAddress ?? "";
  const prior = request.headers["x-forwarded-for"];
  headers.push("X-Forwarded-For", prior ? `${prior}, ${client}` : client);
  const host = request.headers.host;
  if (host !== undefined && request.headers["x-forwarded-host"] === undefined) {
    headers.push("X-Forwarded-Host", host);
  }
  if (request.headers["x-forwarded-proto"] === undefined) headers.push("X-Forwarded-Proto", protocol);
  // A body of unknown length arrived chunked; it leaves chunked whatever the method.
  if (request.headers["transfer-encoding"] !== undefined) headers.push("Transfer-Encoding", "chunked");
  return headers;
}

/** The worker's response headers for the client, hop-by-hop headers removed; `coldStart`
 * undefined leaves out X-KEDA-HTTP-Cold-Start. */
export function clientResponseHeaders(response: IncomingMessage, coldStart: boolean | undefined): string[] {
  const headers = endToEndHeaders(response);
  if (coldStart !== undefined) headers.push(COLD_START_HEADER, coldStart ? "true" : "false");
  return headers;
}

/** `rewritten`: a lower-case header name the caller sets itself. */
function endToEndHeaders(message: IncomingMessage, rewritten?: string): string[] {
  const raw = message.rawHeaders;
  const listed = connectionListed(message.headers.connection);
  const kept: string[] = [];
  for (let index = 0; index < raw.length; index += 2) {
    const name = raw[index] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower) || lower === rewritten) continue;
    kept.push(name, raw[index + 1] as string);
  }
  return kept;
}

/** Extra header names the Connection header declares hop-by-hop; undefined in the usual case. */
function connectionListed(connection: string | undefined): Set<string> | undefined {
  if (connection === undefined || /^\s*(keep-alive|close)\s*$/i.test(connection)) return undefined;
  const names = connection
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== "" && !HOP_BY_HOP.has(token));
  return names.length > 0 ? new Set(names) : undefined;
}
