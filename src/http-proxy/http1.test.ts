import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BodyTracker,
  headEnd,
  headerValue,
  parseRequestHead,
  parseResponseHead,
  requestFraming,
  responseFraming,
  type Framing,
} from "./http1.ts";

const request = (text: string) => parseRequestHead(text);

describe("message heads", () => {
  it("finds the end of a head, also when the blank line straddles two reads", () => {
    const buffer = Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n\r\nbody");
    expect(headEnd(buffer)).toBe(buffer.length - 4);
    expect(headEnd(buffer, buffer.length - 6)).toBe(buffer.length - 4);
    expect(headEnd(Buffer.from("GET / HTTP/1.1\r\nHost: a\r\n"))).toBe(-1);
  });

  it("parses a request head, keeping header case and order and trimming values", () => {
    const head = request("POST /x?y=1 HTTP/1.1\r\nHost:  app.test \r\nX-Multi: a\r\nx-multi: b");
    expect(head).toMatchObject({
      method: "POST",
      target: "/x?y=1",
      version: "1.1",
      names: ["Host", "X-Multi", "x-multi"],
      lower: ["host", "x-multi", "x-multi"],
      values: ["app.test", "a", "b"],
    });
    expect(headerValue(head!, "x-multi")).toBe("a, b");
  });

  it("refuses what the fast path must not interpret: folding, bare CR or LF, spaces before the colon, HTTP/2", () => {
    expect(request("GET / HTTP/1.1\r\nHost: a\r\n folded")).toBeUndefined();
    expect(request("GET / HTTP/1.1\r\nHost: a\nX: b")).toBeUndefined();
    expect(request("GET / HTTP/1.1\r\nHost : a")).toBeUndefined();
    expect(request("GET / HTTP/2.0\r\nHost: a")).toBeUndefined();
    expect(request("GET  / HTTP/1.1\r\nHost: a")).toBeUndefined();
  });

  it("parses status lines with and without a reason", () => {
    expect(parseResponseHead("HTTP/1.1 200 OK\r\nA: b")).toMatchObject({ status: 200, reason: "OK" });
    expect(parseResponseHead("HTTP/1.1 204")).toMatchObject({ status: 204, reason: "" });
    expect(parseResponseHead("HTTP/1.1 20 OK")).toBeUndefined();
  });
});

describe("framing", () => {
  const framingOf = (text: string) => requestFraming(request(`GET / HTTP/1.1\r\n${text}`)!);

  it("reads a request's body length from Content-Length or chunked coding", () => {
    expect(framingOf("Host: a")).toEqual({ kind: "none" });
    expect(framingOf("Content-Length: 0")).toEqual({ kind: "none" });
    expect(framingOf("Content-Length: 12")).toEqual({ kind: "length", length: 12 });
    expect(framingOf("Content-Length: 12, 12")).toEqual({ kind: "length", length: 12 });
    expect(framingOf("Transfer-Encoding: chunked")).toEqual({ kind: "chunked" });
  });

  it("leaves ambiguous request framing to Node's parser", () => {
    expect(framingOf("Content-Length: 12\r\nContent-Length: 13")).toBeUndefined();
    expect(framingOf("Content-Length: -1")).toBeUndefined();
    expect(framingOf("Transfer-Encoding: chunked\r\nContent-Length: 3")).toBeUndefined();
    expect(framingOf("Transfer-Encoding: gzip, chunked")).toBeUndefined();
  });

  it("knows which responses have no body, and which end with the connection", () => {
    const response = (text: string, method = "GET") =>
      responseFraming(parseResponseHead(`HTTP/1.1 ${text}`)!, method);
    expect(response("200 OK\r\nContent-Length: 5", "HEAD")).toEqual({ kind: "none" });
    expect(response("204 No Content")).toEqual({ kind: "none" });
    expect(response("304 Not Modified\r\nContent-Length: 5")).toEqual({ kind: "none" });
    expect(response("200 OK")).toEqual({ kind: "close" });
    expect(response("200 OK\r\nTransfer-Encoding: gzip")).toEqual({ kind: "close" });
    expect(response("200 OK\r\nTransfer-Encoding: chunked")).toEqual({ kind: "chunked" });
    expect(response("200 OK\r\nContent-Length: 1\r\nContent-Length: 2")).toBeUndefined();
  });
});

/** Feeds `bytes` to a tracker in the given pieces; answers bytes taken and whether it finished. */
function track(framing: Framing, pieces: Buffer[]): { taken: number; done: boolean; error?: string } {
  const tracker = new BodyTracker(framing);
  let taken = 0;
  for (const piece of pieces) {
    taken += tracker.take(piece, 0);
    if (tracker.done || tracker.error) break;
  }
  return { taken, done: tracker.done, ...(tracker.error ? { error: tracker.error } : {}) };
}

function split(buffer: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (buffer.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of [...points, buffer.length]) {
    if (point > from) pieces.push(buffer.subarray(from, point));
    from = Math.max(from, point);
  }
  return pieces;
}

describe("BodyTracker", () => {
  it("takes exactly Content-Length bytes and leaves the next message alone", () => {
    const tracker = new BodyTracker({ kind: "length", length: 5 });
    expect(tracker.take(Buffer.from("hel"), 0)).toBe(3);
    expect(tracker.take(Buffer.from("xxlo GET"), 2)).toBe(2);
    expect(tracker.done).toBe(true);
  });

  it("follows a chunked body with extensions and trailers however it is split", () => {
    const body = Buffer.from("4;ext=1\r\nWiki\r\n0E\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: yes\r\n\r\n");
    const next = Buffer.from("GET /next HTTP/1.1\r\n");
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), (cuts) => {
        const result = track({ kind: "chunked" }, split(Buffer.concat([body, next]), cuts));
        expect(result).toEqual({ taken: body.length, done: true });
      }),
    );
  });

  it("rejects malformed chunk sizes and missing CRLFs", () => {
    expect(track({ kind: "chunked" }, [Buffer.from("zz\r\n")]).error).toBe("invalid chunk size");
    expect(track({ kind: "chunked" }, [Buffer.from("2\r\nabX")]).error).toBe(
      "chunk data not followed by CRLF",
    );
    expect(track({ kind: "chunked" }, [Buffer.from("fffffffffffffff\r\n")]).error).toBe(
      "chunk size too large",
    );
  });

  it("ends a close-delimited body only when the connection closes", () => {
    const tracker = new BodyTracker({ kind: "close" });
    expect(tracker.take(Buffer.from("anything"), 0)).toBe(8);
    expect(tracker.done).toBe(false);
    expect(tracker.end()).toBe(true);
    expect(new BodyTracker({ kind: "length", length: 3 }).end()).toBe(false);
  });
});
