import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createHttpGetClient } from "./http-get.ts";

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  if (server) await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function countingServer() {
  const sockets = new Set<Socket>();
  const open = new Set<Socket>();
  server = createServer((_request, response) => response.end('{"value":1}'));
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metric`);
  return { url, sockets, open };
}

const signal = () => AbortSignal.timeout(5000);

describe("createHttpGetClient", () => {
  it("lets clients with the same TLS options share keep-alive connections", async () => {
    const { url, sockets } = await countingServer();
    const first = createHttpGetClient({ tls: { rejectUnauthorized: true } });
    const second = createHttpGetClient({ tls: { rejectUnauthorized: true } });
    expect(await first.get(url, {}, signal())).toMatchObject({ status: 200, body: '{"value":1}' });
    expect(await second.get(url, {}, signal())).toMatchObject({ status: 200, body: '{"value":1}' });
    expect(sockets.size).toBe(1);
    first.close();
    second.close();
  });

  it("keeps clients with different TLS options apart", async () => {
    const { url, sockets } = await countingServer();
    const verifying = createHttpGetClient({ tls: { rejectUnauthorized: true } });
    const unsafe = createHttpGetClient({ tls: { rejectUnauthorized: false } });
    await verifying.get(url, {}, signal());
    await unsafe.get(url, {}, signal());
    expect(sockets.size).toBe(2);
    verifying.close();
    unsafe.close();
  });

  it("closes the shared connections with the last client, not before", async () => {
    const { url, open } = await countingServer();
    const first = createHttpGetClient({ tls: {} });
    const second = createHttpGetClient({ tls: {} });
    await first.get(url, {}, signal());
    first.close();
    first.close();
    expect(await second.get(url, {}, signal())).toMatchObject({ status: 200 });
    expect(open.size).toBe(1);
    const [socket] = open;
    const closed = once(socket as Socket, "close");
    second.close();
    await closed;
    expect(open.size).toBe(0);
  });

  it("says so in one line when an https URL reaches a server that answers in plain text", async () => {
    const { url } = await countingServer();
    const client = createHttpGetClient({ tls: {} });
    const https = new URL(url.href.replace("http:", "https:"));
    await expect(client.get(https, {}, signal())).rejects.toThrow(
      new Error(
        `cannot reach ${https.origin}: the server answered without TLS (OpenSSL: wrong version number)`,
      ),
    );
    client.close();
  });
});
