import { readFileSync } from "node:fs";
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  stringDeserializers,
  stringSerializers,
  type SASLOptions,
} from "@platformatic/kafka";
import type { ConnectionOptions } from "node:tls";
import { beforeAll, describe, expect, it } from "vitest";
import { Cleanup, kafkaTopic, uniqueName, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("kafka"));

interface Listener {
  bootstrapBrokers: string[];
  tls?: ConnectionOptions;
  sasl?: SASLOptions;
}

const plaintext = (): Listener => ({ bootstrapBrokers: services.kafkaBrokers });

const saslSsl = (mechanism: "PLAIN" | "SCRAM-SHA-512", password = services.kafkaPassword): Listener => ({
  bootstrapBrokers: services.kafkaSaslSslBrokers,
  tls: { ca: readFileSync(services.kafkaCaFile) },
  sasl: { mechanism, username: services.kafkaUsername, password },
});

async function produce(listener: Listener, topic: string, values: string[]): Promise<void> {
  const producer = new Producer({
    clientId: "tidal-test-producer",
    serializers: stringSerializers,
    ...listener,
  });
  try {
    await producer.send({ messages: values.map((value, i) => ({ topic, key: `k${i}`, value })) });
  } finally {
    await producer.close();
  }
}

/** Reads `count` messages of `topic` from the start with a fresh consumer group; fails after 60s. */
async function consume(listener: Listener, topic: string, count: number): Promise<string[]> {
  const consumer = new Consumer({
    clientId: "tidal-test-consumer",
    groupId: uniqueName("group"),
    deserializers: stringDeserializers,
    maxWaitTime: 500,
    ...listener,
  });
  const values: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    const stream = await consumer.consume({
      topics: [topic],
      mode: MessagesStreamModes.EARLIEST,
      autocommit: false,
    });
    const read = (async () => {
      for await (const message of stream) {
        values.push(message.value);
        if (values.length >= count) break;
      }
    })();
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`read ${values.length}/${count} messages of ${topic} in 60s`)),
        60_000,
      );
    });
    await Promise.race([read, deadline]);
    await stream.close();
    return values;
  } finally {
    clearTimeout(timer);
    await consumer.close(true);
  }
}

async function highWatermark(listener: Listener, topic: string): Promise<bigint | undefined> {
  const consumer = new Consumer({
    clientId: "tidal-test-offsets",
    groupId: uniqueName("offsets"),
    ...listener,
  });
  try {
    return (await consumer.listOffsets({ topics: [topic] })).get(topic)?.[0];
  } finally {
    await consumer.close();
  }
}

/** The whole chain of the error a one-shot listTopics fails with, as text ("" if it succeeds). */
async function failure(listener: Listener): Promise<string> {
  const admin = new Admin({ clientId: "tidal-test-denied", retries: 0, ...listener });
  try {
    await admin.listTopics();
    return "";
  } catch (error) {
    return describeError(error);
  } finally {
    await admin.close();
  }
}

function describeError(error: unknown, depth = 0): string {
  if (!(error instanceof Error) || depth > 8) return String(error);
  const { code, errors, cause } = error as Error & { code?: string; errors?: unknown[]; cause?: unknown };
  const nested = [...(errors ?? []), ...(cause === undefined ? [] : [cause])];
  return [
    `${error.message}${code ? ` [${code}]` : ""}`,
    ...nested.map((e) => describeError(e, depth + 1)),
  ].join(" <- ");
}

describe("kafka test server", () => {
  const cleanup = useCleanup();

  it("produces and consumes over PLAINTEXT on 127.0.0.1:9092", async () => {
    expect(services.kafkaBrokers).toEqual(["127.0.0.1:9092"]);
    const topic = await kafkaTopic(cleanup, "smoke");
    await produce(plaintext(), topic, ["one", "two", "three"]);
    expect(await highWatermark(plaintext(), topic)).toBe(3n);
    expect(await consume(plaintext(), topic, 3)).toEqual(["one", "two", "three"]);
  });

  it.each(["SCRAM-SHA-512", "PLAIN"] as const)(
    "produces and consumes over SASL_SSL on 127.0.0.1:9093 with %s and the CA file",
    async (mechanism) => {
      expect(services.kafkaSaslSslBrokers).toEqual(["127.0.0.1:9093"]);
      const topic = await kafkaTopic(cleanup, `sasl-${mechanism}`);
      await produce(saslSsl(mechanism), topic, [`secure ${mechanism}`]);
      expect(await highWatermark(saslSsl(mechanism), topic)).toBe(1n);
      expect(await consume(saslSsl(mechanism), topic, 1)).toEqual([`secure ${mechanism}`]);
    },
  );

  it("rejects wrong passwords and clients that do not trust the CA", async () => {
    for (const mechanism of ["SCRAM-SHA-512", "PLAIN"] as const) {
      expect(await failure(saslSsl(mechanism, "not-the-password"))).toMatch(/SASL authentication failed/);
    }
    expect(await failure({ ...saslSsl("SCRAM-SHA-512"), tls: {} })).toMatch(/SELF_SIGNED_CERT_IN_CHAIN/);
  });

  it("cleanup deletes the topic", async () => {
    const admin = new Admin({ clientId: "tidal-test-admin", ...plaintext() });
    try {
      const local = new Cleanup();
      local.enterTest();
      const topic = await kafkaTopic(local, "gone");
      expect(await admin.listTopics()).toContain(topic);
      await local.afterTest();
      expect(await admin.listTopics()).not.toContain(topic);
    } finally {
      await admin.close();
    }
  });
});
