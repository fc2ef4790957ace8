import { connect } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { Cleanup, jetStreamReply, natsRequest, natsStream, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("nats"));

async function monitoring<T>(path: string): Promise<T> {
  const response = await fetch(`http://${services.natsMonitoring}${path}`);
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

/** The first line the NATS client port sends: `INFO {...}`. */
async function infoLine(): Promise<string> {
  const { hostname, port } = new URL(services.natsUrl);
  return await new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) });
    let text = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no INFO from NATS within 5s"));
    }, 5_000);
    socket.on("error", reject);
    socket.on("data", (chunk) => {
      text += chunk.toString();
      const end = text.indexOf("\r\n");
      if (end >= 0) {
        clearTimeout(timer);
        socket.destroy();
        resolve(text.slice(0, end));
      }
    });
  });
}

describe("nats test server", () => {
  const cleanup = useCleanup();

  it("greets with INFO on 127.0.0.1:4222, JetStream on", async () => {
    const line = await infoLine();
    expect(line).toMatch(/^INFO /);
    const info = JSON.parse(line.slice(5)) as { port: number; jetstream?: boolean; headers?: boolean };
    expect(info).toMatchObject({ port: 4222, jetstream: true, headers: true });
  });

  it("serves /varz and /jsz on the monitoring port", async () => {
    const varz = await monitoring<{
      host: string;
      port: number;
      http_host: string;
      http_port: number;
      jetstream: unknown;
    }>("/varz");
    expect(varz).toMatchObject({ host: "127.0.0.1", port: 4222, http_host: "127.0.0.1", http_port: 8222 });
    expect(varz.jetstream).toBeTruthy();
    const jsz = await monitoring<{ disabled?: boolean; config?: { store_dir?: string } }>("/jsz");
    expect(jsz.disabled ?? false).toBe(false);
    expect(jsz.config?.store_dir).toMatch(/\.tidal\/services\/nats\/jetstream/);
  });

  it("creates a stream, stores messages in it and reads one back", async () => {
    const stream = await natsStream(cleanup, "smoke");
    for (const [index, text] of ["first", "second", "third"].entries()) {
      const ack = jetStreamReply<{ stream: string; seq: number }>(
        await natsRequest(`${stream.subjectPrefix}events`, text),
      );
      expect(ack).toEqual({ stream: stream.name, seq: index + 1 });
    }
    const info = jetStreamReply<{ state: { messages: number; last_seq: number } }>(
      await natsRequest(`$JS.API.STREAM.INFO.${stream.name}`, ""),
    );
    expect(info.state).toMatchObject({ messages: 3, last_seq: 3 });
    const got = jetStreamReply<{ message: { subject: string; seq: number; data: string } }>(
      await natsRequest(`$JS.API.STREAM.MSG.GET.${stream.name}`, { seq: 2 }),
    );
    expect(got.message.subject).toBe(`${stream.subjectPrefix}events`);
    expect(Buffer.from(got.message.data, "base64").toString()).toBe("second");
    const jsz = await monitoring<{ streams: number; messages: number }>("/jsz");
    expect(jsz.streams).toBeGreaterThanOrEqual(1);
    expect(jsz.messages).toBeGreaterThanOrEqual(3);
  });

  it("cleanup deletes the stream", async () => {
    const local = new Cleanup();
    local.enterTest();
    const stream = await natsStream(local, "gone");
    jetStreamReply(await natsRequest(`$JS.API.STREAM.INFO.${stream.name}`, ""));
    await local.afterTest();
    await expect(
      natsRequest(`$JS.API.STREAM.INFO.${stream.name}`, "").then((reply) => jetStreamReply(reply)),
    ).rejects.toThrow(/JetStream error 404/);
  });
});
