import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { Agent, createServer, request } from "node:http";
import type { IncomingMessage, RequestListener, Server } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fakeTls } from "../../test/support/fakes/tls.ts";
import type { Endpoint } from "./endpoint-load.ts";
import { createHttpProxy } from "./http-proxy.ts";
import type { HttpProxy, HttpProxyOptions } from "./http-proxy.ts";

// The fast path: keep-alive and pipelined exchanges on raw sockets, every body framing, reuse of
// worker connections, and the hand-over of what it does not take to Node's HTTP server.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startWorker(handler: RequestListener, configure?: (server: Server) => void) {
  const server = createServer(handler);
  configure?.(server);
  const connections: Socket[] = [];
  server.on("connection", (socket) => connections.push(socket));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const endpoint: Endpoint = { host: "127.0.0.1", port: (server.address() as AddressInfo).port };
  return { endpoint, server, connections };
}

/** A worker that writes raw bytes on each connection, ignoring what it receives. */
async function startRawWorker(answer: (socket: Socket) => void): Promise<Endpoint> {
  const sockets = new Set<Socket>();
  const server = (await import("node:net")).createServer((socket) => {
    sockets.add(socket);
    socket.once("data", () => answer(socket));
    socket.on("error", () => {});
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { host: "127.0.0.1", port: (server.address() as AddressInfo).port };
}

const echo: RequestListener = (req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => (body += chunk));
  req.on("end", () => {
    res.setHeader("Content-Type", "application/json");
    res.end(JSON.stringify({ url: req.url, host: req.headers.host, headers: req.headers, body }));
  });
};

async function startProxy(
  overrides: Partial<HttpProxyOptions> & Pick<HttpProxyOptions, "endpoints">,
): Promise<{ proxy: HttpProxy; port: number }> {
  const proxy = createHttpProxy({
    routes: [{ key: "default/app", hosts: ["app.test"] }],
    onDemand: () => {},
    waitForEndpoints: (_key, signal) =>
      new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })),
    responseHeaderTimeoutMs: 60_000,
    ...overrides,
  });
  const { port } = await proxy.listen(0);
  cleanups.push(() => proxy.close());
  return { proxy, port };
}

/** Writes `text` on a new connection and reads until the proxy closes it. */
async function rawExchange(port: number, text: string | Buffer): Promise<string> {
  const socket = connect(port, "127.0.0.1");
  socket.write(text);
  let received = "";
  socket.setEncoding("latin1");
  for await (const chunk of socket) received += chunk;
  return received;
}

/** Responses (status line and body) in a raw stream of Content-Length responses. */
function splitResponses(raw: string): { status: string; headers: string; body: string }[] {
  const responses = [];
  let rest = raw;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    const head = rest.slice(0, end);
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    responses.push({
      status: head.split("\r\n")[0] as string,
      headers: head,
      body: rest.slice(end + 4, end + 4 + length),
    });
    rest = rest.slice(end + 4 + length);
  }
  return responses;
}

function get(
  port: number,
  options: {
    host?: string;
    path?: string;
    method?: string;
    agent?: Agent;
    headers?: Record<string, string>;
  } = {},
  body?: Buffer | string,
): Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: options.method ?? "GET",
        path: options.path ?? "/",
        agent: options.agent ?? false,
        headers: { Host: options.host ?? "app.test", ...options.headers },
      },
      async (response) => {
        const chunks: Buffer[] = [];
        for await (const chunk of response) chunks.push(chunk as Buffer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("fast path: connections", () => {
  it("routes each request of a keep-alive connection on its own, over one kept-alive worker connection", async () => {
    const a = await startWorker(echo);
    const b = await startWorker(echo);
    const { proxy, port } = await startProxy({
      routes: [
        { key: "default/a", hosts: ["a.test"] },
        { key: "default/b", hosts: ["b.test"] },
      ],
      endpoints: (key) => (key === "default/a" ? [a.endpoint] : [b.endpoint]),
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    const clientSockets = new Set<Socket>();
    agent.on("free", (socket: Socket) => clientSockets.add(socket));

    const hosts = [];
    for (const host of ["a.test", "b.test", "a.test", "a.test"]) {
      const reply = await get(port, { host, agent });
      expect(reply.status).toBe(200);
      hosts.push(JSON.parse(reply.body.toString()).host);
    }
    expect(hosts).toEqual(["a.test", "b.test", "a.test", "a.test"]);
    expect(clientSockets.size).toBe(1);
    expect(a.connections.length).toBe(1);
    expect(proxy.metrics("default/a").concurrency).toBe(0);
  });

  it("answers pipelined requests in order", async () => {
    const worker = await startWorker((req, res) => {
      // The first answer comes last: order must still hold.
      setTimeout(() => res.end(`answer to ${req.url}`), req.url === "/1" ? 50 : 0);
    });
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    const raw = await rawExchange(
      port,
      "GET /1 HTTP/1.1\r\nHost: app.test\r\n\r\n" +
        "POST /2 HTTP/1.1\r\nHost: app.test\r\nContent-Length: 4\r\n\r\nbody" +
        "GET /3 HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n",
    );
    const responses = splitResponses(raw);
    expect(responses.map((response) => response.body)).toEqual([
      "answer to /1",
      "answer to /2",
      "answer to /3",
    ]);
    expect(responses[2]?.headers).toMatch(/\r\nConnection: close/);
  });

  it("sends a request without body again on a fresh connection when the worker closed the kept-alive one", async () => {
    const worker = await startWorker(echo);
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    expect((await get(port)).status).toBe(200);
    // The worker drops the idle connection: the pool must not hand out a dead one.
    worker.server.closeIdleConnections();
    expect((await get(port)).status).toBe(200);
    expect(worker.connections.length).toBe(2);
  });

  it("keeps a connection usable after a 404 for a request with a body", async () => {
    const worker = await startWorker(echo);
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    const raw = await rawExchange(
      port,
      "POST / HTTP/1.1\r\nHost: nowhere.test\r\nContent-Length: 5\r\n\r\nhello" +
        "GET /after HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n",
    );
    const [notFound, after] = splitResponses(raw);
    expect(notFound?.status).toBe("HTTP/1.1 404 Not Found");
    expect(notFound?.body).toContain('host "nowhere.test"');
    expect(JSON.parse(after?.body ?? "{}")).toMatchObject({ url: "/after" });
  });
});

describe("fast path: bodies", () => {
  it("relays large request and response bodies intact in both directions", async () => {
    const download = randomBytes(3 << 20);
    const worker = await startWorker((req, res) => {
      const hash = createHash("sha256");
      req.on("data", (chunk: Buffer) => hash.update(chunk));
      req.on("end", () => {
        res.writeHead(200, { "X-Upload-Sha256": hash.digest("hex"), "Content-Length": download.length });
        res.end(download);
      });
    });
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    const upload = randomBytes(3 << 20);
    const reply = await get(port, { method: "PUT" }, upload);
    expect(reply.headers["x-upload-sha256"]).toBe(createHash("sha256").update(upload).digest("hex"));
    expect(reply.body.equals(download)).toBe(true);
  });

  it("relays every byte value of bodies written together with their heads, small and large", async () => {
    // Bodies up to 4 KiB go out in one latin1 string with their head; larger ones as Buffers.
    const bytes = (length: number) =>
      Buffer.from(Array.from({ length }, (_, index) => (index * 7 + 255) % 256));
    const worker = await startWorker((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const reply = Buffer.concat([body, bytes(Number(req.headers["x-extra"]))]);
        res.writeHead(200, {
          "Content-Length": reply.length,
          "X-Received": createHash("sha256").update(body).digest("hex"),
        });
        res.end(reply);
      });
    });
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanups.push(() => agent.destroy());
    for (const [upload, extra] of [
      [256, 0],
      [4096, 0],
      [4097, 3],
      [0, 4097],
      [20_000, 1],
    ] as const) {
      const body = bytes(upload);
      const reply = await get(port, { method: "POST", agent, headers: { "X-Extra": String(extra) } }, body);
      expect(reply.status).toBe(200);
      expect(reply.headers["x-received"]).toBe(createHash("sha256").update(body).digest("hex"));
      expect(reply.body.equals(Buffer.concat([body, bytes(extra)]))).toBe(true);
    }
    // Head and body in one packet, so the body is buffered before the worker's connection is open.
    const raw = await rawExchange(
      port,
      Buffer.concat([
        Buffer.from(
          "POST / HTTP/1.1\r\nHost: app.test\r\nX-Extra: 0\r\nContent-Length: 256\r\nConnection: close\r\n\r\n",
        ),
        bytes(256),
      ]),
    );
    const [response] = splitResponses(raw);
    expect(response?.status).toBe("HTTP/1.1 200 OK");
    expect(Buffer.from(response?.body ?? "", "latin1").equals(bytes(256))).toBe(true);
  });

  it("relays chunked responses with trailers, HEAD responses and 204s on one connection", async () => {
    const worker = await startWorker((req, res) => {
      if (req.url === "/chunked") {
        res.writeHead(200, { Trailer: "X-Sum" });
        res.write("part one, ");
        res.write("part two");
        res.addTrailers({ "X-Sum": "2" });
        res.end();
      } else if (req.url === "/empty") {
        res.writeHead(204);
        res.end();
      } else {
        res.writeHead(200, { "Content-Length": "11" });
        res.end(req.method === "HEAD" ? undefined : "hello world");
      }
    });
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    const raw = await rawExchange(
      port,
      "GET /chunked HTTP/1.1\r\nHost: app.test\r\n\r\n" +
        "HEAD /head HTTP/1.1\r\nHost: app.test\r\n\r\n" +
        "GET /empty HTTP/1.1\r\nHost: app.test\r\n\r\n" +
        "GET /last HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n",
    );
    expect(raw).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Transfer-Encoding: chunked\r\n[^]*\r\n\r\n/);
    expect(raw).toContain("a\r\npart one, \r\n8\r\npart two\r\n0\r\nX-Sum: 2\r\n\r\n");
    const afterChunked = raw.slice(raw.indexOf("X-Sum: 2\r\n\r\n") + "X-Sum: 2\r\n\r\n".length);
    const [head, empty, last] = splitResponses(
      afterChunked.replace(/Content-Length: 11\r\n/, "X-Was-Head: 1\r\n"),
    );
    expect(head?.status).toBe("HTTP/1.1 200 OK");
    expect(empty?.status).toBe("HTTP/1.1 204 No Content");
    expect(last?.body).toBe("hello world");
  });

  it("relays a response delimited by the worker closing, then closes the client connection", async () => {
    const worker = await startRawWorker((socket) =>
      socket.end("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end"),
    );
    const { port } = await startProxy({ endpoints: () => [worker] });
    const raw = await rawExchange(port, "GET / HTTP/1.1\r\nHost: app.test\r\n\r\n");
    expect(raw).toMatch(/\r\nConnection: close\r\n/);
    expect(raw.endsWith("\r\n\r\nuntil the end")).toBe(true);
  });

  it("passes interim responses on before the final one", async () => {
    const worker = await startWorker((_req, res) => {
      res.writeEarlyHints({ link: "</style.css>; rel=preload" });
      res.end("final");
    });
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    const raw = await rawExchange(port, "GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n");
    expect(raw).toMatch(
      /^HTTP\/1\.1 103 Early Hints\r\n[Ll]ink: <\/style\.css>; rel=preload\r\n\r\nHTTP\/1\.1 200 OK/,
    );
    expect(raw.endsWith("final")).toBe(true);
  });

  it("answers 400 and closes for a malformed chunked request body", async () => {
    const worker = await startWorker(echo);
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    const raw = await rawExchange(
      port,
      "POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nbad\r\n",
    );
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(raw).toContain("malformed request body");
  });

  it("cuts the client connection when the worker breaks a chunked body", async () => {
    const worker = await startRawWorker((socket) =>
      socket.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nnot-hex\r\n"),
    );
    const { proxy, port } = await startProxy({ endpoints: () => [worker] });
    const raw = await rawExchange(port, "GET / HTTP/1.1\r\nHost: app.test\r\n\r\n");
    expect(raw).toContain("5\r\nhello\r\n");
    expect(raw).not.toContain("0\r\n\r\n");
    expect(proxy.metrics("default/app").concurrency).toBe(0);
  });
});

describe("fast path: hand-over to Node's HTTP server", () => {
  it("serves Expect: 100-continue through Node's server", async () => {
    const worker = await startWorker(echo);
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    const reply = await get(port, { method: "POST", headers: { Expect: "100-continue" } }, "after continue");
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body.toString())).toMatchObject({ body: "after continue" });
  });

  it("lets Node answer malformed requests and oversized heads", async () => {
    const worker = await startWorker(echo);
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    expect(await rawExchange(port, "GET / HTTP/1.1\r\nHost: app.test\r\nBad Header\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 400 /,
    );
    expect(
      await rawExchange(port, `GET / HTTP/1.1\r\nHost: app.test\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`),
    ).toMatch(/^HTTP\/1\.1 431 /);
  });

  it("hands over a keep-alive connection after fast-path exchanges", async () => {
    const worker = await startWorker(echo);
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });
    const raw = await rawExchange(
      port,
      "GET /fast HTTP/1.1\r\nHost: app.test\r\n\r\n" + "GET /slow HTTP/1.0\r\nHost: app.test\r\n\r\n",
    );
    const responses = raw.split(/(?=HTTP\/1\.1 )/);
    expect(responses).toHaveLength(2);
    expect(responses[0]).toContain('"url":"/fast"');
    expect(responses[1]).toContain('"url":"/slow"');
  });
});

describe("fast path: options", () => {
  it("leaves out X-KEDA-HTTP-Cold-Start when told to", async () => {
    const worker = await startWorker(echo);
    const { port } = await startProxy({ endpoints: () => [worker.endpoint], coldStartHeader: false });
    const reply = await get(port);
    expect(reply.status).toBe(200);
    expect(reply.headers["x-keda-http-cold-start"]).toBeUndefined();
  });

  it("serves HTTPS and tells the worker the client's scheme", async () => {
    const tls = await fakeTls();
    const worker = await startWorker(echo);
    const proxy = createHttpProxy({
      routes: [{ key: "default/app", hosts: ["app.test"] }],
      endpoints: () => [worker.endpoint],
      onDemand: () => {},
      waitForEndpoints: async () => {},
    });
    cleanups.push(() => proxy.close());
    const { port } = await proxy.listen(0, "127.0.0.1", { cert: tls.cert, key: tls.key });
    const seen = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: "127.0.0.1",
          port,
          ca: tls.cert,
          servername: "localhost",
          headers: { Host: "app.test" },
          agent: false,
        },
        async (response) => {
          let text = "";
          for await (const chunk of response) text += chunk;
          resolve(JSON.parse(text) as Record<string, unknown>);
        },
      );
      req.on("error", reject);
      req.end();
    });
    expect(seen.headers).toMatchObject({ "x-forwarded-proto": "https", host: "app.test" });
  });

  it("caps connections over the HTTP and HTTPS listeners together, and times out heads over TLS", async () => {
    const tls = await fakeTls();
    const proxy = createHttpProxy({
      routes: [{ key: "default/app", hosts: ["app.test"] }],
      endpoints: () => [],
      onDemand: () => {},
      waitForEndpoints: async () => {},
      maxConnections: 1,
      headersTimeoutMs: 200,
    });
    cleanups.push(() => proxy.close());
    const plain = (await proxy.listen(0)).port;
    const secure = (await proxy.listen(0, "127.0.0.1", { cert: tls.cert, key: tls.key })).port;
    const { connect: tlsConnect } = await import("node:tls");
    const closed = (socket: Socket) => new Promise<void>((resolve) => socket.once("close", () => resolve()));
    // An HTTPS connection that sends part of a head holds the one place.
    const held = tlsConnect({ host: "127.0.0.1", port: secure, ca: tls.cert, servername: "localhost" });
    held.on("error", () => {});
    cleanups.push(() => void held.destroy());
    await once(held, "secureConnect");
    let received = "";
    held.setEncoding("utf8");
    held.on("data", (chunk: string) => (received += chunk));
    const heldClosed = closed(held);
    held.write("GET / HTTP/1.1\r\n");
    // A plain connection meanwhile is over the cap.
    const refused = connect(plain, "127.0.0.1");
    refused.on("error", () => {});
    cleanups.push(() => void refused.destroy());
    await closed(refused);
    // The head never completes: 408, and the connection closes.
    await heldClosed;
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
  });
});
