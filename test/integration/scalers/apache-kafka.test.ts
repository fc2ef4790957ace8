import { readFileSync } from "node:fs";
import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { kafkaTopic, uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("kafka"));

let admin: Admin;
let producer: Producer<string, string, string, string>;

beforeAll(() => {
  admin = new Admin({ clientId: "tidal-apache-kafka-test", bootstrapBrokers: services.kafkaBrokers });
  producer = new Producer({
    clientId: "tidal-apache-kafka-test",
    bootstrapBrokers: services.kafkaBrokers,
    serializers: stringSerializers,
    idempotent: true,
  });
});
afterAll(async () => {
  await producer.close();
  await admin.close();
});

/** Writes messages per partition: { 0: 5, 1: 3 }. */
async function produce(topic: string, counts: Record<number, number>): Promise<void> {
  await producer.send({
    messages: Object.entries(counts).flatMap(([partition, count]) =>
      Array.from({ length: count }, (_, index) => ({
        topic,
        partition: Number(partition),
        value: `m${index}`,
      })),
    ),
  });
}

/** Commits a group's offsets (the group is created by the commit and deleted by the cleanup). */
async function commit(cleanup: Cleanup, group: string, offsets: Record<string, Record<number, number>>) {
  await admin.alterConsumerGroupOffsets({
    groupId: group,
    topics: Object.entries(offsets).map(([name, partitions]) => ({
      name,
      partitionOffsets: Object.entries(partitions).map(([partition, offset]) => ({
        partition: Number(partition),
        offset: BigInt(offset),
      })),
    })),
  });
  cleanup.add(() => admin.deleteGroups({ groups: [group] }).catch(() => undefined));
}

function measurer(cleanup: Cleanup, metadata: Record<string, string>, extra: Partial<TriggerUnderTest> = {}) {
  const trigger: TriggerMeasurer = connectTestTrigger({
    type: "apache-kafka",
    metadata: { bootstrapServers: services.kafkaBrokers.join(","), ...metadata },
    timeoutMs: 10_000,
    ...extra,
  });
  cleanup.add(() => trigger.close());
  return trigger;
}

async function valueOf(trigger: TriggerMeasurer) {
  const sample = await trigger.measure();
  if (sample.error !== undefined) throw new Error(sample.error);
  return { value: sample.value, active: sample.active };
}

describe("apache-kafka scaler", () => {
  const cleanup = useCleanup();

  it("sums the lag over every listed topic, with the activation boundary", async () => {
    const first = await kafkaTopic(cleanup, "ak-a", 2);
    const second = await kafkaTopic(cleanup, "ak-b", 1);
    const group = uniqueName("ak-group");
    await produce(first, { 0: 5, 1: 3 });
    await produce(second, { 0: 4 });
    await commit(cleanup, group, { [first]: { 0: 2, 1: 3 }, [second]: { 0: 1 } });
    const trigger = measurer(cleanup, {
      consumerGroup: group,
      topic: `${first},${second}`,
      lagThreshold: "100",
      activationLagThreshold: "6",
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: `s0-kafka-${first},${second}`, value: 6, active: false });
  });

  it("keeps to partitionLimitation, and counts uncommitted partitions by offsetResetPolicy", async () => {
    const topic = await kafkaTopic(cleanup, "ak-limit", 3);
    const group = uniqueName("ak-group");
    await produce(topic, { 0: 5, 1: 7, 2: 9 });
    await commit(cleanup, group, { [topic]: { 0: 1 } });
    const base = { consumerGroup: group, topic, lagThreshold: "100" };
    expect(await valueOf(measurer(cleanup, { ...base, partitionLimitation: "0-1" }))).toEqual({
      value: 5,
      active: true,
    });
    expect(await valueOf(measurer(cleanup, { ...base, offsetResetPolicy: "earliest" }))).toMatchObject({
      value: 4 + 7 + 9,
    });
    expect(
      await valueOf(
        measurer(cleanup, { ...base, partitionLimitation: "1,2", scaleToZeroOnInvalidOffset: "true" }),
      ),
    ).toEqual({ value: 0, active: false });
  });

  it("caps the lag at partitions × lagThreshold unless idle consumers are allowed", async () => {
    const topic = await kafkaTopic(cleanup, "ak-cap", 2);
    const group = uniqueName("ak-group");
    await produce(topic, { 0: 30, 1: 0 });
    await commit(cleanup, group, { [topic]: { 0: 0, 1: 0 } });
    const base = { consumerGroup: group, topic, lagThreshold: "5" };
    expect(await valueOf(measurer(cleanup, base))).toMatchObject({ value: 10 });
    expect(await valueOf(measurer(cleanup, { ...base, limitToPartitionsWithLag: "true" }))).toMatchObject({
      value: 5,
    });
    expect(await valueOf(measurer(cleanup, { ...base, allowIdleConsumers: "true" }))).toMatchObject({
      value: 30,
    });
  });

  it("excludes persistent lag after the first poll but stays active", async () => {
    const topic = await kafkaTopic(cleanup, "ak-persistent", 1);
    const group = uniqueName("ak-group");
    await produce(topic, { 0: 6 });
    await commit(cleanup, group, { [topic]: { 0: 2 } });
    const trigger = measurer(cleanup, {
      consumerGroup: group,
      topic,
      excludePersistentLag: "true",
      lagThreshold: "100",
    });
    expect(await valueOf(trigger)).toEqual({ value: 4, active: true });
    expect(await valueOf(trigger)).toEqual({ value: 0, active: true });
  });

  it("names a group without members when no topic is given, a missing topic and an unreachable broker", async () => {
    const group = uniqueName("ak-idle");
    const noTopic = await measurer(cleanup, { consumerGroup: group }).measure();
    expect(noTopic.error).toMatch(new RegExp(`no active members in group ${group}, group-state is \\w+`));
    const missing = uniqueName("ak-missing");
    expect((await measurer(cleanup, { consumerGroup: "g", topic: missing }).measure()).error).toMatch(
      new RegExp(
        `^cannot read the lag of consumer group "g" on topic ${missing} from .*: topic "${missing}" does not exist$`,
      ),
    );
    const port = await closedPort();
    const unreachable = measurer(cleanup, {
      bootstrapServers: `127.0.0.1:${port}`,
      consumerGroup: "g",
      topic: "t",
    });
    expect((await unreachable.measure()).error).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
  });
});

describe("apache-kafka scaler with SASL and TLS", () => {
  const cleanup = useCleanup();
  const ca = () => readFileSync(services.kafkaCaFile, "utf8");
  const saslSsl = () => ({ bootstrapServers: services.kafkaSaslSslBrokers.join(",") });

  it.each(["plaintext", "scram_sha512"])(
    "reads the lag with sasl %s and TLS verified by the CA",
    async (sasl) => {
      const topic = await kafkaTopic(cleanup, "ak-sasl", 1);
      const group = uniqueName("ak-group");
      await produce(topic, { 0: 3 });
      await commit(cleanup, group, { [topic]: { 0: 1 } });
      const trigger = measurer(
        cleanup,
        { ...saslSsl(), consumerGroup: group, topic, sasl, tls: "enable" },
        { authParams: { username: services.kafkaUsername, password: services.kafkaPassword, ca: ca() } },
      );
      expect(await valueOf(trigger)).toEqual({ value: 2, active: true });
    },
  );

  /** A topic with 3 messages and a group that committed offset 1: lag 2. */
  async function laggingGroup(): Promise<{ topic: string; consumerGroup: string }> {
    const topic = await kafkaTopic(cleanup, "ak-auth", 1);
    const consumerGroup = uniqueName("ak-group");
    await produce(topic, { 0: 3 });
    await commit(cleanup, consumerGroup, { [topic]: { 0: 1 } });
    return { topic, consumerGroup };
  }
  const credentials = () => ({ username: services.kafkaUsername, password: services.kafkaPassword });

  it("reads the lag with sasl scram_sha256 over TLS", async () => {
    const trigger = measurer(
      cleanup,
      { ...saslSsl(), ...(await laggingGroup()), sasl: "scram_sha256", tls: "enable" },
      { authParams: { ...credentials(), ca: ca() } },
    );
    expect(await valueOf(trigger)).toEqual({ value: 2, active: true });
  });

  it.each(["plaintext", "scram_sha256", "scram_sha512"])(
    "reads the lag with sasl %s without TLS, sasl from authentication",
    async (sasl) => {
      const trigger = measurer(
        cleanup,
        { bootstrapServers: services.kafkaSaslPlaintextBrokers.join(","), ...(await laggingGroup()) },
        { authParams: { ...credentials(), sasl } },
      );
      expect(await valueOf(trigger)).toEqual({ value: 2, active: true });
    },
  );

  it("authenticates with a client certificate, plain or with an encrypted key and keyPassword", async () => {
    const metadata = {
      bootstrapServers: services.kafkaMtlsBrokers.join(","),
      ...(await laggingGroup()),
      tls: "enable",
    };
    const cert = readFileSync(services.kafkaClientCertFile, "utf8");
    const plainKey = measurer(cleanup, metadata, {
      authParams: { ca: ca(), cert, key: readFileSync(services.kafkaClientKeyFile, "utf8") },
    });
    expect(await valueOf(plainKey)).toEqual({ value: 2, active: true });
    const encryptedKey = measurer(cleanup, metadata, {
      authParams: {
        ca: ca(),
        cert,
        key: readFileSync(services.kafkaClientEncryptedKeyFile, "utf8"),
        keyPassword: "tidal-test",
      },
    });
    expect(await valueOf(encryptedKey)).toEqual({ value: 2, active: true });
    // The listener requires a certificate: the CA alone is refused.
    const noCertificate = measurer(cleanup, metadata, { authParams: { ca: ca() } });
    expect((await noCertificate.measure()).error).toMatch(/cannot read the lag/);
  });

  it("refuses the broker's certificate without the CA (apache-kafka has no unsafeSsl)", async () => {
    const trigger = measurer(
      cleanup,
      { ...saslSsl(), ...(await laggingGroup()), sasl: "scram_sha512", tls: "enable" },
      { authParams: credentials() },
    );
    expect((await trigger.measure()).error).toMatch(/certificate/);
  });

  it("names a wrong password without showing it", async () => {
    const wrong = `canary-${uniqueName("pw")}`;
    const trigger = measurer(
      cleanup,
      { ...saslSsl(), consumerGroup: "g", topic: "t" },
      {
        authParams: {
          sasl: "scram_sha512",
          tls: "enable",
          username: services.kafkaUsername,
          password: wrong,
          ca: ca(),
        },
      },
    );
    const sample = await trigger.measure();
    expect(sample.error).toContain("SASL authentication failed");
    expect(sample.error).not.toContain(wrong);
  });
});
