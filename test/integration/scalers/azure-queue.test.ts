import { QueueClient } from "@azure/storage-queue";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("azurite"));

const connection = () => services.azureStorageConnectionString;
const accountKey = () => /AccountKey=([^;]+)/.exec(connection())?.[1] as string;

/** A queue with a unique name (queue names: lowercase letters, digits, dashes), deleted afterwards. */
async function storageQueue(cleanup: Cleanup, prefix: string): Promise<QueueClient> {
  const name = uniqueName(prefix)
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 63);
  const client = new QueueClient(connection(), name);
  await client.create();
  cleanup.add(() => client.deleteIfExists());
  return client;
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "azure-queue", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("azure-queue scaler against Azurite", () => {
  const cleanup = useCleanup();

  it("reads the approximate message count, inactive at the activation length", async () => {
    const queue = await storageQueue(cleanup, "orders");
    for (let index = 0; index < 3; index += 1) await queue.sendMessage(`job-${index}`);
    const trigger = measurer(cleanup, {
      metadata: { queueName: queue.name, activationQueueLength: "3" },
      authParams: { connection: connection() },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-azure-queue-${queue.name}`,
      value: 3,
      active: false,
    });
    await queue.sendMessage("job-3");
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("counts only visible messages with queueLengthStrategy visibleonly", async () => {
    const queue = await storageQueue(cleanup, "visible");
    for (let index = 0; index < 5; index += 1) await queue.sendMessage(`job-${index}`);
    // Two messages are being processed (invisible for a minute) and one is delayed.
    await queue.receiveMessages({ numberOfMessages: 2, visibilityTimeout: 60 });
    await queue.sendMessage("later", { visibilityTimeout: 60 });
    const all = measurer(cleanup, {
      metadata: { queueName: queue.name, connectionFromEnv: "STORAGE" },
      resolvedEnv: { STORAGE: connection() },
    });
    const visible = measurer(cleanup, {
      metadata: { queueName: queue.name, queueLengthStrategy: "visibleonly", connectionFromEnv: "STORAGE" },
      resolvedEnv: { STORAGE: connection() },
    });
    expect(await all.measure()).toMatchObject({ value: 6, active: true });
    expect(await visible.measure()).toMatchObject({ value: 3, active: true });
  });

  it("names a missing queue", async () => {
    const sample = await measurer(cleanup, {
      metadata: { queueName: "no-such-queue-5c1f" },
      authParams: { connection: connection() },
    }).measure();
    expect(sample.error).toBe(
      'queue "no-such-queue-5c1f" not found in Azure Storage at http://127.0.0.1:10001/devstoreaccount1: create it or fix queueName',
    );
  });

  it("says the credentials were refused, without the key", async () => {
    const queue = await storageQueue(cleanup, "auth");
    const wrongKey = Buffer.from("a wrong key that must not leak anywhere").toString("base64");
    const wrong = connection().replace(accountKey(), wrongKey);
    const sample = await measurer(cleanup, {
      metadata: { queueName: queue.name },
      authParams: { connection: wrong },
    }).measure();
    expect(sample.error).toMatch(/refused the credentials \(HTTP 403\)/);
    expect(sample.error).not.toContain(wrongKey);
    expect(sample.error).not.toContain(accountKey());
  });

  it("says an endpoint cannot be reached", async () => {
    const port = await closedPort();
    const unreachable = connection().replace("127.0.0.1:10001", `127.0.0.1:${port}`);
    const sample = await measurer(cleanup, {
      metadata: { queueName: "orders" },
      authParams: { connection: unreachable },
    }).measure();
    expect(sample.error).toMatch(
      new RegExp(
        `cannot reach Azure Storage at http://127\\.0\\.0\\.1:${port}/devstoreaccount1: .*ECONNREFUSED`,
      ),
    );
    expect(sample.error).not.toContain(accountKey());
  });
});
