import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanup, mqttTopicPrefix, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("mosquitto"));

interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** Resolves with the next message on `client` whose topic is `topic`, or fails after 10s. */
function nextMessage(client: MqttClient, topic: string): Promise<Received> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off("message", onMessage);
      reject(new Error(`no MQTT message on ${topic} within 10s`));
    }, 10_000);
    const onMessage = (received: string, payload: Buffer, packet: { retain: boolean }) => {
      if (received !== topic) return;
      clearTimeout(timer);
      client.off("message", onMessage);
      resolve({ topic: received, payload: payload.toString(), retain: packet.retain });
    };
    client.on("message", onMessage);
  });
}

describe("mosquitto test server", () => {
  const cleanup = useCleanup();
  let client: MqttClient;
  beforeAll(async () => {
    client = await mqtt.connectAsync(services.mqttUrl, { reconnectPeriod: 0 });
  });
  afterAll(() => client?.endAsync());

  it("accepts anonymous MQTT clients on 127.0.0.1:1883", () => {
    expect(services.mqttUrl).toBe("mqtt://127.0.0.1:1883");
    expect(client.connected).toBe(true);
  });

  it("delivers a published message to a subscriber", async () => {
    const topics = mqttTopicPrefix(cleanup, "smoke");
    const topic = topics.topic("greetings");
    await client.subscribeAsync(`${topics.prefix}#`, { qos: 1 });
    const received = nextMessage(client, topic);
    await client.publishAsync(topic, "hello tidal", { qos: 1 });
    expect(await received).toEqual({ topic, payload: "hello tidal", retain: false });
  });

  it("keeps a retained message for later subscribers, and cleanup clears it", async () => {
    const local = new Cleanup();
    local.enterTest();
    const topics = mqttTopicPrefix(local, "retained");
    const topic = topics.topic("state");
    await client.publishAsync(topic, "on", { qos: 1, retain: true });

    const later = await mqtt.connectAsync(services.mqttUrl, { reconnectPeriod: 0 });
    try {
      const retained = nextMessage(later, topic);
      await later.subscribeAsync(topic, { qos: 1 });
      expect(await retained).toEqual({ topic, payload: "on", retain: true });
      await later.unsubscribeAsync(topic);

      await local.afterTest();
      // A retained message arrives right after SUBACK, before anything published later. So if the
      // first message after subscribing is our marker, nothing was retained any more.
      const first = nextMessage(later, topic);
      await later.subscribeAsync(topic, { qos: 1 });
      await client.publishAsync(topic, "marker", { qos: 1 });
      expect(await first).toEqual({ topic, payload: "marker", retain: false });
    } finally {
      await later.endAsync();
    }
  });
});
