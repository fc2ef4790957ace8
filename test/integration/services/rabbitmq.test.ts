import { connect } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanup, eventually, rabbitmqQueue, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("rabbitmq"));

/** GET on the management API; fetch refuses credentials in URLs, so they go into a header. */
async function management(path: string): Promise<{ status: number; body: unknown }> {
  const url = new URL(services.rabbitmqManagementUrl);
  const auth = Buffer.from(
    `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`,
  ).toString("base64");
  url.username = "";
  url.password = "";
  const response = await fetch(new URL(path, url), { headers: { authorization: `Basic ${auth}` } });
  return {
    status: response.status,
    body: response.status === 200 ? await response.json() : await response.text(),
  };
}

describe("rabbitmq test server", () => {
  const cleanup = useCleanup();
  let connection: Awaited<ReturnType<typeof connect>>;
  beforeAll(async () => {
    connection = await connect(services.rabbitmqUrl);
  });
  afterAll(() => connection?.close());

  it("accepts tidal/tidal over AMQP on 127.0.0.1:5672", async () => {
    expect(services.rabbitmqUrl).toMatch(/^amqp:\/\/tidal:tidal@127\.0\.0\.1:5672\//);
    expect(connection.connection.serverProperties.product).toBe("RabbitMQ");
  });

  it("publishes to an isolated queue and reads the messages back", async () => {
    const queue = await rabbitmqQueue(cleanup, "smoke");
    const channel = await connection.createConfirmChannel();
    try {
      for (const body of ["one", "two", "three"]) channel.sendToQueue(queue, Buffer.from(body));
      await channel.waitForConfirms();
      expect((await channel.checkQueue(queue)).messageCount).toBe(3);
      const first = await channel.get(queue, { noAck: true });
      expect(first && first.content.toString()).toBe("one");
      expect((await channel.checkQueue(queue)).messageCount).toBe(2);
    } finally {
      await channel.close();
    }
    // The management API sees the queue and, once its statistics refresh, the two messages left.
    await eventually("management API to report 2 messages", async () => {
      const { status, body } = await management(`/api/queues/%2F/${encodeURIComponent(queue)}`);
      return status === 200 && (body as { messages?: number }).messages === 2;
    });
  });

  it("has the management API with tidal as administrator", async () => {
    const { status, body } = await management("/api/whoami");
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: "tidal" });
    expect(JSON.stringify((body as { tags: unknown }).tags)).toContain("administrator");
    const permissions = await management("/api/permissions/%2F/tidal");
    expect(permissions.body).toMatchObject({ configure: ".*", write: ".*", read: ".*" });
  });

  it("cleanup deletes the queue", async () => {
    const local = new Cleanup();
    local.enterTest();
    const queue = await rabbitmqQueue(local, "gone");
    expect((await management(`/api/queues/%2F/${encodeURIComponent(queue)}`)).status).toBe(200);
    await local.afterTest();
    // checkQueue on a missing queue closes its channel with 404 NOT_FOUND.
    const channel = await connection.createChannel();
    channel.on("error", () => {});
    await expect(channel.checkQueue(queue)).rejects.toThrow(/NOT_FOUND/);
  });
});
