import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { clientResponseHeaders, upstreamRequestHeaders } from "./forwarded-headers.ts";

/** Just the parts of an IncomingMessage the header functions read. */
function message(rawHeaders: string[], remoteAddress = "10.0.0.5"): IncomingMessage {
  const headers: Record<string, string> = {};
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = (rawHeaders[index] as string).toLowerCase();
    const value = rawHeaders[index + 1] as string;
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { rawHeaders, headers, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe("upstreamRequestHeaders", () => {
  it("keeps end-to-end headers in order with their case and repeats", () => {
    const headers = upstreamRequestHeaders(
      message(["Host", "a.test", "Accept", "x/y", "X-Tag", "1", "X-Tag", "2"]),
    );
    expect(headers.slice(0, 8)).toEqual(["Host", "a.test", "Accept", "x/y", "X-Tag", "1", "X-Tag", "2"]);
  });

  it("sets X-Forwarded-For, -Host and -Proto for a direct client", () => {
    const headers = upstreamRequestHeaders(message(["Host", "a.test"]));
    expect(headers.slice(2)).toEqual([
      "X-Forwarded-For",
      "10.0.0.5",
      "X-Forwarded-Host",
      "a.test",
      "X-Forwarded-Proto",
      "http",
    ]);
  });

  it("extends the X-Forwarded-For chain and keeps what a proxy in front set", () => {
    const headers = upstreamRequestHeaders(
      message([
        "Host",
        "internal",
        "X-Forwarded-For",
        "198.51.100.1",
        "X-Forwarded-For",
        "198.51.100.2",
        "X-Forwarded-Host",
        "public.test",
        "X-Forwarded-Proto",
        "https",
      ]),
    );
    expect(headers).toEqual([
      "Host",
      "internal",
      "X-Forwarded-Host",
      "public.test",
      "X-Forwarded-Proto",
      "https",
      "X-Forwarded-For",
      "198.51.100.1, 198.51.100.2, 10.0.0.5",
    ]);
  });

  it("drops hop-by-hop headers and those the Connection header names, and re-chunks bodies", () => {
    const headers = upstreamRequestHeaders(
      message([
        "Host",
        "a.test",
        "Connection",
        "Upgrade, X-Hop",
        "Upgrade",
        "websocket",
        "X-Hop",
        "1",
        "Keep-Alive",
        "timeout=5",
        "TE",
        "trailers",
        "Transfer-Encoding",
        "chunked",
      ]),
    );
    expect(headers).toEqual([
      "Host",
      "a.test",
      "X-Forwarded-For",
      "10.0.0.5",
      "X-Forwarded-Host",
      "a.test",
      "X-Forwarded-Proto",
      "http",
      "Transfer-Encoding",
      "chunked",
    ]);
  });
});

describe("clientResponseHeaders", () => {
  it("drops the worker's connection headers and says whether the request waited for a cold start", () => {
    const worker = message([
      "Content-Type",
      "text/plain",
      "Connection",
      "keep-alive",
      "Keep-Alive",
      "timeout=5",
      "Transfer-Encoding",
      "chunked",
    ]);
    expect(clientResponseHeaders(worker, true)).toEqual([
      "Content-Type",
      "text/plain",
      "X-KEDA-HTTP-Cold-Start",
      "true",
    ]);
    expect(clientResponseHeaders(worker, false).at(-1)).toBe("false");
  });
});
