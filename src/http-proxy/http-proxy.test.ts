import { once } from "node:events";
import { createServer, request } from "node:http";
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, RequestListener, Server } from "node:http";
import { connect } from "node:net";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { Endpoint } from "./endpoint-load.ts";
import { createHttpProxy } from "./http-proxy.ts";
import type { HttpProxy, HttpProxyOptions } from "./http-proxy.ts";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A worker: a real HTTP server on 127.0.0.1 with an ephemeral port. */
async function startWorker(handler: RequestListener): Promise<{ endpoint: Endpoint; server: Server }> {
  const server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return { endpoint: { host: "127.0.0.1", port: (server.address() as AddressInfo).port }, server };
}

/** An address where nothing listens: connections are refused. */
async function refusingEndpoint(): Promise<Endpoint> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return { host: "127.0.0.1", port };
}

/** A worker answering with what it received. */
function echoWorker(name: string): RequestListener {
  return (req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify({ worker: name, method: req.method, url: req.url, headers: req.headers, body }));
    });
  };
}

type ProxyOverrides = Partial<HttpProxyOptions> & Pick<HttpProxyOptions, "endpoints">;

async function startProxy(overrides: ProxyOverrides): Promise<{ proxy: HttpProxy; port: number }> {
  const proxy = createHttpProxy({
    routes: [{ key: "default/app", hosts: ["app.test"] }],
    onDemand: () => {},
    waitForEndpoints: (_key, signal) => aborted(signal),
    // Generous, so that a busy machine cannot turn a slow test worker into a 504.
    responseHeaderTimeoutMs: 60_000,
    ...overrides,
  });
  const { port } = await proxy.listen(0);
  cleanups.push(() => proxy.close());
  return { proxy, port };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function open(
  port: number,
  options: { method?: string; path?: string; host?: string; headers?: Record<string, string> } = {},
): ClientRequest {
  return request({
    host: "127.0.0.1",
    port,
    agent: false,
    method: options.method ?? "GET",
    path: options.path ?? "/",
    headers: { Host: options.host ?? "app.test", ...options.headers },
  });
}

async function readReply(response: IncomingMessage): Promise<Reply> {
  let body = "";
  response.setEncoding("utf8");
  for await (const chunk of response) body += chunk;
  return { status: response.statusCode ?? 0, headers: response.headers, body };
}

async function send(
  port: number,
  options: {
    method?: string;
    path?: string;
    host?: string;
    headers?: Record<string, string>;
    body?: string;
  } = {},
): Promise<Reply> {
  const req = open(port, options);
  req.end(options.body);
  const [response] = (await once(req, "response")) as [IncomingMessage];
  return readReply(response);
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

describe("createHttpProxy forwarding", () => {
  it("forwards method, path, query and headers, adding X-Forwarded-* and dropping hop-by-hop headers", async () => {
    const worker = await startWorker(echoWorker("a"));
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });

    const reply = await send(port, {
      method: "POST",
      path: "/orders/7?expand=items",
      host: "app.test:8080",
      headers: {
        "X-Custom": "kept",
        "X-Forwarded-For": "203.0.113.9",
        Connection: "keep-alive, X-Per-Hop",
        "X-Per-Hop": "dropped",
        "Proxy-Authorization": "Basic c2VjcmV0",
      },
      body: "payload",
    });

    expect(reply.status).toBe(200);
    expect(reply.headers["x-keda-http-cold-start"]).toBe("false");
    const seen = JSON.parse(reply.body);
    expect(seen).toMatchObject({
      worker: "a",
      method: "POST",
      url: "/orders/7?expand=items",
      body: "payload",
    });
    expect(seen.headers).toMatchObject({
      host: "app.test:8080",
      "x-custom": "kept",
      "x-forwarded-for": "203.0.113.9, 127.0.0.1",
      "x-forwarded-host": "app.test:8080",
      "x-forwarded-proto": "http",
    });
    expect(seen.headers["x-per-hop"]).toBeUndefined();
    expect(seen.headers["proxy-authorization"]).toBeUndefined();
  });

  it("passes the worker's status, message and repeated headers back", async () => {
    const worker = await startWorker((_req, res) => {
      res.writeHead(418, "Short And Stout", ["Set-Cookie", "a=1", "Set-Cookie", "b=2", "X-Upstream", "yes"]);
      res.end("teapot");
    });
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });

    const req = open(port);
    req.end();
    const [response] = (await once(req, "response")) as [IncomingMessage];
    const reply = await readReply(response);
    expect(response.statusMessage).toBe("Short And Stout");
    expect(reply).toMatchObject({ status: 418, body: "teapot" });
    expect(reply.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(reply.headers["x-upstream"]).toBe("yes");
  });

  it("streams the request and the response body without waiting for either to end", async () => {
    // The worker echoes each chunk as it arrives; the client sends its second chunk only after
    // reading the echo of the first, so any buffering in the proxy would stall this exchange.
    const worker = await startWorker((req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      req.on("data", (chunk: Buffer) => res.write(`echo:${chunk.toString()};`));
      req.on("end", () => res.end("done"));
    });
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });

    const req = open(port, { method: "PUT", headers: { "Transfer-Encoding": "chunked" } });
    req.write("one");
    const [response] = (await once(req, "response")) as [IncomingMessage];
    response.setEncoding("utf8");
    const [first] = (await once(response, "data")) as [string];
    expect(first).toBe("echo:one;");
    req.end("two");
    const rest = await readReply(response);
    expect(rest.body).toBe("echo:two;done");
  });

  it("cuts the client's connection when the worker fails in the middle of the body", async () => {
    const worker = await startWorker((_req, res) => {
      res.writeHead(200, { "Content-Length": "100" });
      res.write("partial", () => res.destroy());
    });
    const { port } = await startProxy({ endpoints: () => [worker.endpoint] });

    const req = open(port);
    req.end();
    const [response] = (await once(req, "response")) as [IncomingMessage];
    await expect(readReply(response)).rejects.toThrow();
  });

  it("closes the worker's response when the client goes away mid-body", async () => {
    let workerClosed: Promise<unknown> | undefined;
    const worker = await startWorker((_req, res) => {
      workerClosed = once(res, "close");
      res.writeHead(200);
      res.write("first");
    });
    const { proxy, port } = await startProxy({ endpoints: () => [worker.endpoint] });

    const req = open(port);
    req.on("error", () => {});
    req.end();
    const [response] = (await once(req, "response")) as [IncomingMessage];
    await once(response, "data");
    req.destroy();
    await workerClosed;
    await until(() => proxy.metrics("default/app").concurrency === 0);
  });

  it("balances sequential requests round-robin across idle workers", async () => {
    const a = await startWorker(echoWorker("a"));
    const b = await startWorker(echoWorker("b"));
    const { port } = await startProxy({ endpoints: () => [a.endpoint, b.endpoint] });

    const workers: string[] = [];
    for (let index = 0; index < 4; index++) workers.push(JSON.parse((await send(port)).body).worker);
    expect(workers).toEqual(["a", "b", "a", "b"]);
  });

  it("sends a request to the worker with the fewest requests in flight", async () => {
    const parked: (() => void)[] = [];
    const slow = await startWorker((_req, res) => parked.push(() => res.end("slow")));
    const fast = await startWorker(echoWorker("fast"));
    const { port } = await startProxy({ endpoints: () => [slow.endpoint, fast.endpoint] });

    const first = open(port);
    first.end();
    await until(() => parked.length === 1);
    // The rotation now starts at the fast worker; the next two would alternate were load ignored.
    expect(JSON.parse((await send(port)).body).worker).toBe("fast");
    expect(JSON.parse((await send(port)).body).worker).toBe("fast");

    parked[0]?.();
    const [response] = (await once(first, "response")) as [IncomingMessage];
    expect((await readReply(response)).body).toBe("slow");
  });

  it("retries another worker once when a worker refuses the connection", async () => {
    const dead = await refusingEndpoint();
    const live = await startWorker(echoWorker("live"));
    const { port } = await startProxy({ endpoints: () => [dead, live.endpoint] });

    const reply = await send(port, { method: "POST", body: "kept for the retry" });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ worker: "live", body: "kept for the retry" });
  });

  it("answers 502 when no worker accepts the connection", async () => {
    const dead = await refusingEndpoint();
    const { port } = await startProxy({ endpoints: () => [dead] });

    const reply = await send(port);
    expect(reply.status).toBe(502);
    expect(reply.body).toContain("route default/app");
    expect(reply.body).toContain("ECONNREFUSED");
  });

  it("answers 504 when the worker sends no response headers in time", async () => {
    const worker = await startWorker(() => {});
    const { port } = await startProxy({ endpoints: () => [worker.endpoint], responseHeaderTimeoutMs: 50 });

    const reply = await send(port);
    expect(reply.status).toBe(504);
    expect(reply.body).toContain("responseHeader");
  });

  it("answers 404 for a host or path no route claims", async () => {
    const worker = await startWorker(echoWorker("a"));
    const { port } = await startProxy({
      routes: [{ key: "default/api", hosts: ["app.test"], pathPrefixes: ["/api"] }],
      endpoints: () => [worker.endpoint],
    });

    const wrongHost = await send(port, { host: "other.test", path: "/api" });
    const wrongPath = await send(port, { path: "/apix?token=secret" });
    expect(wrongHost.status).toBe(404);
    expect(wrongPath.status).toBe(404);
    expect(wrongPath.body).toContain('path "/apix"');
    expect(wrongPath.body).not.toContain("secret");
    expect((await send(port, { path: "/api/x" })).status).toBe(200);
  });

  it("names the worker as Host when an HTTP/1.0 client sent none", async () => {
    const worker = await startWorker(echoWorker("a"));
    const { port } = await startProxy({
      routes: [{ key: "default/any" }],
      endpoints: () => [worker.endpoint],
    });

    const socket = connect(port, "127.0.0.1");
    socket.write("GET /legacy HTTP/1.0\r\n\r\n");
    let raw = "";
    socket.setEncoding("utf8");
    for await (const chunk of socket) raw += chunk;
    expect(raw).toMatch(/^HTTP\/1\.1 200 /);
    const seen = JSON.parse(raw.slice(raw.indexOf("\r\n\r\n") + 4));
    expect(seen.headers.host).toBe(`127.0.0.1:${worker.endpoint.port}`);
  });

  it("serves the routes given to updateRoutes", async () => {
    const worker = await startWorker(echoWorker("a"));
    const { proxy, port } = await startProxy({ endpoints: () => [worker.endpoint] });

    proxy.updateRoutes([{ key: "default/other", hosts: ["other.test"] }]);
    expect((await send(port)).status).toBe(404);
    expect((await send(port, { host: "other.test" })).status).toBe(200);
  });
});

describe("createHttpProxy scale from zero", () => {
  it("holds the first request to a pool at zero, calls onDemand, and forwards once a worker is ready", async () => {
    let ready: Endpoint[] = [];
    let wake: (() => void) | undefined;
    const demanded: string[] = [];
    const { proxy, port } = await startProxy({
      endpoints: () => ready,
      onDemand: (key) => demanded.push(key),
      waitForEndpoints: () => new Promise<void>((resolve) => (wake = resolve)),
    });

    const req = open(port);
    req.end();
    await until(() => wake !== undefined);
    expect(demanded).toEqual(["default/app"]);
    expect(proxy.metrics("default/app").concurrency).toBe(1);
    expect(proxy.routes()).toMatchObject([
      { key: "default/app", hosts: ["app.test"], held: 1, concurrency: 1 },
    ]);
    expect(proxy.routes()[0]?.lastDemandAgoMs).toBeGreaterThanOrEqual(0);
    expect(proxy.explain("APP.test:80", "/x?y")).toMatchObject({
      route: { key: "default/app", held: 1 },
      match: { host: "app.test", pathPrefix: "/", headers: [] },
    });
    expect(proxy.explain("other.test", "/")).toBeUndefined();

    const worker = await startWorker(echoWorker("started"));
    ready = [worker.endpoint];
    wake?.();

    const [response] = (await once(req, "response")) as [IncomingMessage];
    const reply = await readReply(response);
    expect(reply.status).toBe(200);
    expect(reply.headers["x-keda-http-cold-start"]).toBe("true");
    expect(JSON.parse(reply.body).worker).toBe("started");
    await until(() => proxy.metrics("default/app").concurrency === 0);
    expect(proxy.routes()[0]?.held).toBe(0);
  });

  it("answers 502 naming the route when no worker becomes ready within conditionWait", async () => {
    const signals: AbortSignal[] = [];
    const { port } = await startProxy({
      endpoints: () => [],
      conditionWaitMs: 50,
      waitForEndpoints: (_key, signal) => {
        signals.push(signal);
        return aborted(signal);
      },
    });

    const reply = await send(port);
    expect(reply.status).toBe(502);
    expect(reply.body).toContain("route default/app");
    expect(reply.body).toContain("conditionWait");
    expect(signals.every((signal) => signal.aborted)).toBe(true);
  });

  it("answers 502 when the runtime's wait for a worker fails", async () => {
    const { port } = await startProxy({
      endpoints: () => [],
      waitForEndpoints: () => Promise.reject(new Error("pool ns/app failed to start")),
    });

    const reply = await send(port);
    expect(reply.status).toBe(502);
    expect(reply.body).toContain("waiting for a ready worker failed");
  });

  it("uses a route's own conditionWait over the proxy-wide one", async () => {
    const { port } = await startProxy({
      routes: [{ key: "default/app", conditionWaitMs: 30 }],
      endpoints: () => [],
      conditionWaitMs: 60_000,
    });

    const reply = await send(port);
    expect(reply.status).toBe(502);
    expect(reply.body).toContain("30ms");
  });

  it("stops waiting when the client disconnects while held", async () => {
    let waitSignal: AbortSignal | undefined;
    const { proxy, port } = await startProxy({
      endpoints: () => [],
      waitForEndpoints: (_key, signal) => {
        waitSignal = signal;
        return aborted(signal);
      },
    });

    const req = open(port);
    req.on("error", () => {});
    req.end();
    await until(() => waitSignal !== undefined);
    expect(proxy.metrics("default/app").concurrency).toBe(1);

    req.destroy();
    await aborted(waitSignal as AbortSignal);
    expect(proxy.metrics("default/app").concurrency).toBe(0);
  });

  it("answers held requests 503 when the proxy closes", async () => {
    let waiting = false;
    const proxy = createHttpProxy({
      routes: [{ key: "default/app" }],
      endpoints: () => [],
      onDemand: () => {},
      waitForEndpoints: (_key, signal) => {
        waiting = true;
        return aborted(signal);
      },
    });
    const { port } = await proxy.listen(0);

    const pending = send(port);
    await until(() => waiting);
    await proxy.close();
    expect((await pending).status).toBe(503);
  });
});

describe("createHttpProxy metrics", () => {
  it("reports each route's request rate from the injected clock", async () => {
    const worker = await startWorker(echoWorker("a"));
    let now = 0;
    const { proxy, port } = await startProxy({
      routes: [
        { key: "default/app", hosts: ["app.test"], requestRate: { windowMs: 10_000, granularityMs: 1000 } },
        { key: "default/idle", hosts: ["idle.test"] },
      ],
      endpoints: () => [worker.endpoint],
      clock: () => now,
    });

    for (let index = 0; index < 3; index++) await send(port);
    now = 1000;
    await send(port);
    expect(proxy.metrics("default/app")).toEqual({ concurrency: 0, requestRate: 2 });
    expect(proxy.metrics("default/idle")).toEqual({ concurrency: 0, requestRate: 0 });
    expect(proxy.metrics("default/unknown")).toEqual({ concurrency: 0, requestRate: 0 });
  });
});

/** A raw connection to the proxy: what it received, and whether the proxy closed it. */
async function rawConnection(port: number) {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  let received = "";
  let closed = false;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (received += chunk));
  socket.on("error", () => {});
  const ended = new Promise<void>((resolve) =>
    socket.on("close", () => {
      closed = true;
      resolve();
    }),
  );
  cleanups.push(async () => {
    socket.destroy();
  });
  return { socket, ended, received: () => received, closed: () => closed };
}

describe("createHttpProxy limits", () => {
  it("answers 408 and closes a connection whose request headers do not arrive in time", async () => {
    const worker = await startWorker(echoWorker("a"));
    const { port } = await startProxy({ endpoints: () => [worker.endpoint], headersTimeoutMs: 200 });
    const slow = await rawConnection(port);
    slow.socket.write("GET / HTTP/1.1\r\nHost: app.test\r\n");
    // A header now and then, never the blank line that ends them: a slowloris client.
    const drip = setInterval(() => slow.socket.write("X-Drip: 1\r\n"), 50);
    await slow.ended;
    clearInterval(drip);
    expect(slow.received()).toMatch(/^HTTP\/1\.1 408 /);
    // A complete request on a fresh connection is served as always.
    expect((await send(port)).status).toBe(200);
  });

  it("still holds a request while its pool scales from zero for longer than the headers timeout", async () => {
    const worker = await startWorker(echoWorker("a"));
    let ready = false;
    let release: () => void = () => {};
    const { port } = await startProxy({
      endpoints: () => (ready ? [worker.endpoint] : []),
      waitForEndpoints: () => new Promise<void>((resolve) => (release = resolve)),
      headersTimeoutMs: 100,
    });
    const held = send(port, { path: "/held" });
    // A slow-header connection opened after the held request is closed first: by then the held
    // request has waited longer than the headers timeout.
    const slow = await rawConnection(port);
    slow.socket.write("GET / HTTP/1.1\r\n");
    await slow.ended;
    ready = true;
    release();
    const reply = await held;
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ url: "/held" });
  });

  it("closes a keep-alive connection that stays idle past the keep-alive timeout", async () => {
    const worker = await startWorker(echoWorker("a"));
    const { port } = await startProxy({ endpoints: () => [worker.endpoint], keepAliveTimeoutMs: 100 });
    const idle = await rawConnection(port);
    idle.socket.write("GET / HTTP/1.1\r\nHost: app.test\r\n\r\n");
    await idle.ended;
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("closes connections beyond maxConnections as they arrive, and takes new ones once some close", async () => {
    const worker = await startWorker(echoWorker("a"));
    const { port } = await startProxy({ endpoints: () => [worker.endpoint], maxConnections: 2 });
    const first = await rawConnection(port);
    const second = await rawConnection(port);
    first.socket.write("GET / HTTP/1.1\r\n");
    second.socket.write("GET / HTTP/1.1\r\n");
    const third = await rawConnection(port);
    await third.ended;
    expect(third.received()).toBe("");
    expect(first.closed() || second.closed()).toBe(false);
    first.socket.destroy();
    await first.ended;
    const reply = await eventuallyServed(port);
    expect(reply.status).toBe(200);
  });
});

describe("createHttpProxy limits on connections handed to Node's server", () => {
  // HTTP/1.0 is not taken by the fast path: its connection goes to Node's server.
  const http10 = "GET / HTTP/1.0\r\nHost: app.test\r\nConnection: keep-alive\r\n\r\n";

  it("answers 408 and closes when the next request's headers do not arrive in time", async () => {
    const worker = await startWorker(echoWorker("a"));
    const { port } = await startProxy({ endpoints: () => [worker.endpoint], headersTimeoutMs: 200 });
    const slow = await rawConnection(port);
    slow.socket.write(http10);
    await until(() => /\r\n\r\n\{/.test(slow.received()));
    expect(slow.received()).toMatch(/^HTTP\/1\.1 200 /);
    slow.socket.write("GET / HTTP/1.0\r\nHost: app.test\r\n");
    const drip = setInterval(() => slow.socket.write("X-Drip: 1\r\n"), 50);
    await slow.ended;
    clearInterval(drip);
    expect(slow.received()).toMatch(/HTTP\/1\.1 408 /);
  });

  it("closes a handed-over keep-alive connection that stays idle past the keep-alive timeout", async () => {
    const worker = await startWorker(echoWorker("a"));
    const { port } = await startProxy({ endpoints: () => [worker.endpoint], keepAliveTimeoutMs: 100 });
    const idle = await rawConnection(port);
    idle.socket.write(http10);
    await idle.ended;
    expect(idle.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("still holds a handed-over request while its pool scales from zero past the headers timeout", async () => {
    const worker = await startWorker(echoWorker("a"));
    let ready = false;
    let release: () => void = () => {};
    const { port } = await startProxy({
      endpoints: () => (ready ? [worker.endpoint] : []),
      waitForEndpoints: () => new Promise<void>((resolve) => (release = resolve)),
      headersTimeoutMs: 100,
    });
    const held = await rawConnection(port);
    held.socket.write("GET /held HTTP/1.0\r\nHost: app.test\r\n\r\n");
    const slow = await rawConnection(port);
    slow.socket.write("GET / HTTP/1.1\r\n");
    await slow.ended;
    ready = true;
    release();
    await held.ended;
    expect(held.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(held.received()).toContain('"url":"/held"');
  });

  it("counts handed-over connections against maxConnections", async () => {
    const worker = await startWorker(echoWorker("a"));
    const { port } = await startProxy({ endpoints: () => [worker.endpoint], maxConnections: 1 });
    const first = await rawConnection(port);
    first.socket.write(http10);
    await until(() => /\r\n\r\n\{/.test(first.received()));
    const second = await rawConnection(port);
    await second.ended;
    expect(second.received()).toBe("");
    expect(first.closed()).toBe(false);
  });
});

/** Sends a request until one is served (the proxy counts a closed connection out a moment later). */
async function eventuallyServed(port: number): Promise<Reply> {
  for (;;) {
    try {
      return await send(port);
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}
