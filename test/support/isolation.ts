/**
 * Isolation for integration tests that share the servers of scripts/services.sh: every test makes
 * its own uniquely named schema, database, key prefix, queue, topic or stream, and registers its
 * removal with a Cleanup, so test files can run in parallel and leave nothing behind.
 *
 *   describe("my scaler", () => {
 *     const cleanup = useCleanup();
 *     it("counts", async () => {
 *       const queue = await rabbitmqQueue(cleanup, "my-scaler"); // deleted after this test
 *       ...
 *     });
 *   });
 */
import { randomBytes } from "node:crypto";
import { connect as netConnect } from "node:net";
import { afterAll, afterEach, beforeEach } from "vitest";
import { Admin } from "@platformatic/kafka";
import { connect as amqpConnect, type Channel } from "amqplib";
import { Redis } from "ioredis";
import mqtt from "mqtt";
import mysql, { type Connection as MysqlConnection } from "mysql2/promise";
import pg from "pg";
import { services } from "./services.ts";

// ---------------------------------------------------------------------------------------------
// Names

function slug(prefix: string, separator: string): string {
  const cleaned = prefix
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, separator)
    .replace(new RegExp(`^\\${separator}+|\\${separator}+$`, "g"), "")
    .slice(0, 24);
  return cleaned === "" ? "test" : cleaned;
}

function suffix(): string {
  return `${process.pid}-${randomBytes(4).toString("hex")}`;
}

/**
 * A name no other test (or test process) uses, valid as a Kafka topic, RabbitMQ queue, NATS
 * stream, Redis key prefix or MQTT topic level: `tidal-<prefix>-<pid>-<8 hex>`, lowercase
 * [a-z0-9-].
 */
export function uniqueName(prefix: string): string {
  return `tidal-${slug(prefix, "-")}-${suffix()}`;
}

/**
 * Like uniqueName but with underscores, for SQL identifiers that must not be quoted (Postgres
 * schemas and databases, MariaDB databases): `tidal_<prefix>_<pid>_<8 hex>`, at most 63 chars.
 */
export function uniqueIdentifier(prefix: string): string {
  return `tidal_${slug(prefix, "_")}_${suffix().replace("-", "_")}`;
}

// ---------------------------------------------------------------------------------------------
// Cleanup

export type CleanupCallback = () => unknown;

/**
 * Callbacks that undo what a test made. A callback registered while a test runs runs after that
 * test; one registered outside a test (beforeAll, describe body) runs after all tests of the
 * block. They run last-in first-out, all of them even when some fail; failures are rethrown
 * together afterwards.
 */
export class Cleanup {
  #inTest = false;
  #test: CleanupCallback[] = [];
  #suite: CleanupCallback[] = [];

  add(callback: CleanupCallback): void {
    (this.#inTest ? this.#test : this.#suite).push(callback);
  }

  /** Marks the start of a test; called by useCleanup's beforeEach. */
  enterTest(): void {
    this.#inTest = true;
  }

  /** Runs the test's callbacks; called by useCleanup's afterEach. */
  async afterTest(): Promise<void> {
    this.#inTest = false;
    await runAll(this.#test.splice(0));
  }

  /** Runs the block's callbacks; called by useCleanup's afterAll. */
  async afterAll(): Promise<void> {
    await runAll([...this.#test.splice(0), ...this.#suite.splice(0)]);
  }
}

async function runAll(callbacks: CleanupCallback[]): Promise<void> {
  const errors: unknown[] = [];
  for (const callback of callbacks.reverse()) {
    try {
      await callback();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} cleanup callbacks failed`);
}

/** A Cleanup wired to the enclosing describe block (or file): call it in the block's body. */
export function useCleanup(): Cleanup {
  const cleanup = new Cleanup();
  beforeEach(() => cleanup.enterTest());
  afterEach(() => cleanup.afterTest());
  afterAll(() => cleanup.afterAll());
  return cleanup;
}

// ---------------------------------------------------------------------------------------------
// Waiting

/**
 * Polls `check` until it returns a value other than undefined/false (which it returns), or
 * throws with `description` and the last error after `timeoutMs`.
 */
export async function eventually<T>(
  description: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 200 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${description}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------
// Per-server resources. Each helper uses a short-lived connection of its own, so the test's
// clients may be closed before the cleanup runs.

async function withPostgres<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: services.postgresUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Creates a Postgres schema in the tidal database; dropped (CASCADE) by the cleanup. */
export async function postgresSchema(cleanup: Cleanup, prefix = "test"): Promise<string> {
  const schema = uniqueIdentifier(prefix);
  await withPostgres((client) => client.query(`CREATE SCHEMA ${schema}`));
  cleanup.add(() => withPostgres((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)));
  return schema;
}

/** Creates a Postgres database; dropped (WITH FORCE) by the cleanup. Returns name and URL. */
export async function postgresDatabase(
  cleanup: Cleanup,
  prefix = "test",
): Promise<{ name: string; url: string }> {
  const name = uniqueIdentifier(prefix);
  await withPostgres((client) => client.query(`CREATE DATABASE ${name}`));
  cleanup.add(() => withPostgres((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));
  const url = new URL(services.postgresUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

async function withMariadb<T>(use: (connection: MysqlConnection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection(services.mysqlUrl);
  try {
    return await use(connection);
  } finally {
    await connection.end();
  }
}

/** Creates a MariaDB database; dropped by the cleanup. Returns name and URL. */
export async function mariadbDatabase(
  cleanup: Cleanup,
  prefix = "test",
): Promise<{ name: string; url: string }> {
  const name = uniqueIdentifier(prefix);
  await withMariadb((connection) => connection.query(`CREATE DATABASE \`${name}\``));
  cleanup.add(() => withMariadb((connection) => connection.query(`DROP DATABASE IF EXISTS \`${name}\``)));
  const url = new URL(services.mysqlUrl);
  url.pathname = `/${name}`;
  return { name, url: url.toString() };
}

/** Deletes every Redis key starting with `prefix` (SCAN + UNLINK); returns how many. */
export async function deleteRedisKeys(prefix: string): Promise<number> {
  const redis = new Redis(services.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redis.connect();
  try {
    const pattern = `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`;
    let deleted = 0;
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
      if (keys.length > 0) deleted += await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
    return deleted;
  } finally {
    redis.disconnect();
  }
}

/** A Redis key prefix (`tidal-<prefix>-<pid>-<hex>:`) whose keys the cleanup deletes. */
export function redisKeyPrefix(cleanup: Cleanup, prefix = "test"): string {
  const keyPrefix = `${uniqueName(prefix)}:`;
  cleanup.add(() => deleteRedisKeys(keyPrefix));
  return keyPrefix;
}

/** Declares a RabbitMQ queue on vhost `/`; deleted by the cleanup. */
export async function rabbitmqQueue(
  cleanup: Cleanup,
  prefix = "test",
  options: { durable?: boolean; arguments?: Record<string, unknown> } = {},
): Promise<string> {
  const queue = uniqueName(prefix);
  await withRabbitmq((channel) =>
    channel.assertQueue(queue, { ...options, durable: options.durable ?? false }),
  );
  cleanup.add(() => withRabbitmq((channel) => channel.deleteQueue(queue)));
  return queue;
}

async function withRabbitmq<T>(use: (channel: Channel) => Promise<T>): Promise<T> {
  const connection = await amqpConnect(services.rabbitmqUrl);
  try {
    const channel = await connection.createChannel();
    return await use(channel);
  } finally {
    await connection.close();
  }
}

/** Creates a Kafka topic (PLAINTEXT listener, replication 1); deleted by the cleanup. */
export async function kafkaTopic(cleanup: Cleanup, prefix = "test", partitions = 1): Promise<string> {
  const topic = uniqueName(prefix);
  await withKafkaAdmin((admin) => admin.createTopics({ topics: [topic], partitions, replicas: 1 }));
  cleanup.add(() => withKafkaAdmin((admin) => admin.deleteTopics({ topics: [topic] })));
  return topic;
}

async function withKafkaAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin({ clientId: "tidal-test-isolation", bootstrapBrokers: services.kafkaBrokers });
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

/**
 * One request/reply over the NATS client protocol (there is no NATS client dependency): connect,
 * subscribe to an inbox, publish `payload` to `subject` with that inbox as reply subject, return
 * the first reply's payload. Enough for the JetStream API ($JS.API.*) and for publishing to a
 * stream (the reply is the PubAck). Throws on -ERR, no responders, or after `timeoutMs`.
 */
export async function natsRequest(
  subject: string,
  payload: string | object,
  timeoutMs = 5_000,
  url = services.natsUrl,
): Promise<string> {
  const { hostname, port } = new URL(url);
  const body = Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload));
  const inbox = `_INBOX.${randomBytes(8).toString("hex")}`;
  const socket = netConnect({ host: hostname, port: Number(port || 4222) });
  return await new Promise<string>((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    let greeted = false;
    const finish = (error: Error | undefined, value?: string) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value ?? "");
    };
    const timer = setTimeout(
      () => finish(new Error(`no NATS reply on ${subject} within ${timeoutMs}ms`)),
      timeoutMs,
    );
    socket.on("error", (error) => finish(error));
    socket.on("data", (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf("\r\n");
        if (end < 0) return;
        const line = buffer.subarray(0, end).toString();
        const [op = "", ...args] = line.split(" ");
        if (op === "MSG" || op === "HMSG") {
          const total = Number(args.at(-1));
          if (buffer.length < end + 2 + total + 2) return; // wait for the whole message
          const message = buffer.subarray(end + 2, end + 2 + total);
          buffer = buffer.subarray(end + 2 + total + 2);
          if (op === "HMSG") {
            const headerLength = Number(args.at(-2));
            const status = message.subarray(0, headerLength).toString().split("\r\n")[0] ?? "";
            if (/^NATS\/1\.0 503/.test(status)) return finish(new Error(`no responders for ${subject}`));
            return finish(undefined, message.subarray(headerLength).toString());
          }
          return finish(undefined, message.toString());
        }
        buffer = buffer.subarray(end + 2);
        if (op === "INFO" && !greeted) {
          greeted = true;
          const connect = {
            verbose: false,
            pedantic: false,
            lang: "tidal-test",
            version: "0",
            protocol: 1,
            headers: true,
            no_responders: true,
          };
          socket.write(
            `CONNECT ${JSON.stringify(connect)}\r\nSUB ${inbox} 1\r\n` +
              `PUB ${subject} ${inbox} ${body.length}\r\n`,
          );
          socket.write(Buffer.concat([body, Buffer.from("\r\n")]));
        } else if (op === "PING") {
          socket.write("PONG\r\n");
        } else if (op === "-ERR") {
          return finish(new Error(`NATS error: ${line}`));
        }
      }
    });
  });
}

/** Parses a JetStream API reply, throwing its error if it has one. */
export function jetStreamReply<T = Record<string, unknown>>(reply: string): T {
  const parsed = JSON.parse(reply) as { error?: { code: number; description: string } };
  if (parsed.error) throw new Error(`JetStream error ${parsed.error.code}: ${parsed.error.description}`);
  return parsed as T;
}

/**
 * Creates a JetStream stream (memory storage) capturing `<name>.>`; deleted by the cleanup.
 * Returns the stream name and its subject prefix (`<name>.`).
 */
export async function natsStream(
  cleanup: Cleanup,
  prefix = "test",
  url = services.natsUrl,
): Promise<{ name: string; subjectPrefix: string }> {
  const name = uniqueName(prefix);
  jetStreamReply(
    await natsRequest(
      `$JS.API.STREAM.CREATE.${name}`,
      { name, subjects: [`${name}.>`], storage: "memory", retention: "limits", num_replicas: 1 },
      undefined,
      url,
    ),
  );
  cleanup.add(async () =>
    jetStreamReply(await natsRequest(`$JS.API.STREAM.DELETE.${name}`, "", undefined, url)),
  );
  return { name, subjectPrefix: `${name}.` };
}

/**
 * An MQTT topic prefix (`tidal/<unique name>/`). `topic(suffix)` names a topic under it and
 * remembers it; the cleanup clears retained messages on the remembered topics.
 */
export function mqttTopicPrefix(
  cleanup: Cleanup,
  prefix = "test",
): { prefix: string; topic: (suffix: string) => string } {
  const base = `tidal/${uniqueName(prefix)}/`;
  const topics = new Set<string>();
  cleanup.add(async () => {
    if (topics.size === 0) return;
    const client = await mqtt.connectAsync(services.mqttUrl, { reconnectPeriod: 0 });
    try {
      for (const topic of topics) await client.publishAsync(topic, "", { retain: true, qos: 1 });
    } finally {
      await client.endAsync();
    }
  });
  return {
    prefix: base,
    topic: (name: string) => {
      const topic = `${base}${name}`;
      topics.add(topic);
      return topic;
    },
  };
}
