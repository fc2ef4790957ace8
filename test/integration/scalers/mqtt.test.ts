import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionPool } from "../../../src/scalers/connection-pool.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { eventually, mqttTopicPrefix, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, watchPushes, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("mosquitto"));

const brokerUrl = services.mqttUrl;
let publisher: MqttClient;

beforeAll(async () => {
  publisher = await mqtt.connectAsync(brokerUrl, { reconnectPeriod: 0 });
});
afterAll(() => publisher.endAsync());

function measurer(
  cleanup: Cleanup,
  metadata: Record<string, string>,
  extra: Partial<TriggerUnderTest> = {},
): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "mqtt",
    metadata: { brokerUrl, value: "10", ...metadata },
    ...extra,
  });
  cleanup.add(() => connected.close());
  return connected;
}

async function publishRetained(topic: string, payload: string): Promise<void> {
  await publisher.publishAsync(topic, payload, { retain: true, qos: 1 });
}

/**
 * A Mosquitto of the test's own on `port` (no persistence), stopped by `stop` or the cleanup. With
 * a password it admits only `worker` with that password; without one it is anonymous.
 */
async function privateBroker(
  cleanup: Cleanup,
  port: number,
  password?: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const directory = mkdtempSync(join(tmpdir(), "tidal-mqtt-broker-"));
  cleanup.add(() => rmSync(directory, { recursive: true, force: true }));
  const lines = [
    `user ${userInfo().username}`,
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${password === undefined}`,
  ];
  if (password !== undefined) {
    execFileSync("mosquitto_passwd", ["-b", "-c", join(directory, "passwords"), "worker", password]);
    lines.push(`password_file ${join(directory, "passwords")}`);
  }
  const config = join(directory, "mosquitto.conf");
  writeFileSync(config, `${lines.join("\n")}\n`);
  const broker = spawn("mosquitto", ["-c", config], { stdio: "ignore" });
  const exited = new Promise((resolve) => broker.once("exit", resolve));
  const stop = async () => {
    broker.kill();
    await exited;
  };
  cleanup.add(stop);
  const url = `mqtt://127.0.0.1:${port}`;
  await eventually("the test's own broker to accept connections", async () => {
    const client = await mqtt.connectAsync(url, { username: "worker", password, reconnectPeriod: 0 });
    await client.endAsync();
    return true;
  });
  return { url, stop };
}

describe("mqtt scaler", () => {
  const cleanup = useCleanup();

  it("reads the retained backlog value, inactive at the activation value", async () => {
    const topics = mqttTopicPrefix(cleanup, "mqtt-scaler");
    const topic = topics.topic("backlog");
    await publishRetained(topic, "12");
    const trigger = measurer(cleanup, { topic, activationValue: "12" });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-mqtt-${topic.replaceAll("/", "-")}`,
      value: 12,
      active: false,
    });
    await publishRetained(topic, "13");
    await eventually("the update to arrive", async () => (await trigger.measure()).value === 13);
    expect(await trigger.measure()).toMatchObject({ value: 13, active: true });
  });

  it("finds the retained value on the very first measurement of a new connection", async () => {
    const topics = mqttTopicPrefix(cleanup, "mqtt-first");
    const topic = topics.topic("backlog");
    await publishRetained(topic, "3");
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const trigger = measurer(cleanup, { topic }, { pool: new ConnectionPool() });
      expect(await trigger.measure(), `attempt ${attempt}`).toMatchObject({ value: 3 });
      await trigger.close();
    }
  });

  it("sums the topics a wildcard matches and forgets a cleared one", async () => {
    const topics = mqttTopicPrefix(cleanup, "mqtt-shards");
    await publishRetained(topics.topic("eu/backlog"), "4");
    await publishRetained(topics.topic("us/backlog"), "5");
    const trigger = measurer(cleanup, { topic: `${topics.prefix}+/backlog` });
    expect(await trigger.measure()).toMatchObject({ value: 9 });
    await publishRetained(topics.topic("us/backlog"), "");
    await eventually("the cleared topic to drop out", async () => (await trigger.measure()).value === 4);
  });

  it("wakes the watcher when the backlog changes", async () => {
    const topics = mqttTopicPrefix(cleanup, "mqtt-push");
    const topic = topics.topic("backlog");
    await publishRetained(topic, "1");
    const trigger = measurer(cleanup, { topic });
    expect(await trigger.measure()).toMatchObject({ value: 1 });
    const { wakes } = watchPushes(cleanup, trigger);
    await publishRetained(topic, "8");
    await eventually("a wake-up", () => wakes() > 0);
    expect(await trigger.measure()).toMatchObject({ value: 8 });
  });

  it("says when nothing was published and when a payload is not a number", async () => {
    const topics = mqttTopicPrefix(cleanup, "mqtt-empty");
    const silent = measurer(cleanup, { topic: topics.topic("silent") });
    expect((await silent.measure()).error).toBe(
      `no backlog value has been published to "${topics.prefix}silent" (publish the number as a retained message)`,
    );
    const topic = topics.topic("garbled");
    await publishRetained(topic, "many");
    expect((await measurer(cleanup, { topic }).measure()).error).toBe(
      `topic "${topic}" carries "many", not a number`,
    );
  });

  it("shares one connection between triggers on the same broker", async () => {
    const topics = mqttTopicPrefix(cleanup, "mqtt-shared");
    await publishRetained(topics.topic("a"), "1");
    await publishRetained(topics.topic("b"), "2");
    const pool = new ConnectionPool();
    const first = measurer(cleanup, { topic: topics.topic("a") }, { pool });
    const second = measurer(cleanup, { topic: topics.topic("b") }, { pool });
    expect(await first.measure()).toMatchObject({ value: 1 });
    expect(await second.measure()).toMatchObject({ value: 2 });
    const late = measurer(cleanup, { topic: topics.topic("a") }, { pool });
    expect(await late.measure()).toMatchObject({ value: 1 });
    expect(pool.size).toBe(1);
  });

  it("authenticates with credentials from authentication, and names wrong ones without showing them", async () => {
    const password = "right-mqtt-password-6a2c";
    const { url } = await privateBroker(cleanup, await closedPort(), password);
    const topic = "jobs/backlog";
    const publisherWithPassword = await mqtt.connectAsync(url, {
      username: "worker",
      password,
      reconnectPeriod: 0,
    });
    cleanup.add(() => publisherWithPassword.endAsync());
    await publisherWithPassword.publishAsync(topic, "6", { retain: true, qos: 1 });

    const allowed = measurer(
      cleanup,
      { brokerUrl: url, topic },
      { authParams: { username: "worker", password } },
    );
    expect(await allowed.measure()).toMatchObject({ value: 6 });

    const wrongPassword = "wrong-mqtt-password-c81d";
    const denied = measurer(
      cleanup,
      { brokerUrl: url, topic },
      { authParams: { username: "worker", password: wrongPassword } },
    );
    const sample = await denied.measure();
    expect(sample.error).toBe("cannot connect to the MQTT broker: Connection refused: Not authorized");
    expect(sample.error).not.toContain(wrongPassword);
  });

  it("recovers when the broker comes up after a failed measurement", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, { brokerUrl: `mqtt://127.0.0.1:${port}`, topic: "jobs/backlog" });
    expect((await trigger.measure()).error).toBe(
      `cannot connect to the MQTT broker: connect ECONNREFUSED 127.0.0.1:${port}`,
    );

    const { url } = await privateBroker(cleanup, port);
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    cleanup.add(() => client.endAsync());
    await client.publishAsync("jobs/backlog", "2", { retain: true, qos: 1 });
    await eventually(
      "the trigger to reconnect and read the backlog",
      async () => (await trigger.measure()).value === 2,
      {
        timeoutMs: 15_000,
      },
    );
  });

  it("forgets what it knew when the broker restarts without it", async () => {
    const port = await closedPort();
    const first = await privateBroker(cleanup, port);
    const client = await mqtt.connectAsync(first.url, { reconnectPeriod: 0 });
    await client.publishAsync("jobs/backlog", "3", { retain: true, qos: 1 });
    await client.endAsync();
    const trigger = measurer(cleanup, { brokerUrl: first.url, topic: "jobs/backlog" });
    expect(await trigger.measure()).toMatchObject({ value: 3 });

    await first.stop();
    await privateBroker(cleanup, port);
    await eventually(
      "the trigger to reconnect to the empty broker",
      async () => (await trigger.measure()).error?.startsWith("no backlog value has been published"),
      { timeoutMs: 15_000 },
    );
  });

  it("reports an unreachable broker within the deadline", async () => {
    const port = await closedPort();
    const trigger = measurer(
      cleanup,
      { brokerUrl: `mqtt://127.0.0.1:${port}`, topic: "jobs/backlog" },
      { timeoutMs: 2000 },
    );
    const sample = await trigger.measure();
    expect(sample.error).toBe(`cannot connect to the MQTT broker: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(sample.latencyMs).toBeLessThan(2000);
  });
});
