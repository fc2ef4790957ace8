import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { generate } from "selfsigned";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { eventually, redisKeyPrefix, uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, watchPushes, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("redis"));

const address = new URL(services.redisUrl).host;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 2 });
});
afterAll(() => redis.disconnect());

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "redis", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("redis scaler", () => {
  const cleanup = useCleanup();

  it("reads the list length, inactive at the activation length and active above it", async () => {
    const key = `${redisKeyPrefix(cleanup, "redis-list")}jobs`;
    await redis.rpush(key, "a", "b", "c");
    const trigger = measurer(cleanup, { metadata: { address, listName: key, activationListLength: "3" } });

    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-redis-${key.replace(":", "-")}`,
      value: 3,
      active: false,
    });
    await redis.rpush(key, "d");
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("measures sets, sorted sets and hashes by their size", async () => {
    const prefix = redisKeyPrefix(cleanup, "redis-kinds");
    await redis.sadd(`${prefix}set`, "a", "b");
    await redis.zadd(`${prefix}zset`, 1, "a", 2, "b", 3, "c");
    await redis.hset(`${prefix}hash`, { a: "1", b: "2", c: "3", d: "4" });
    for (const [name, size] of [
      ["set", 2],
      ["zset", 3],
      ["hash", 4],
    ] as const) {
      const trigger = measurer(cleanup, { metadata: { address, listName: `${prefix}${name}` } });
      expect(await trigger.measure(), name).toMatchObject({ value: size, active: true });
    }
  });

  it("reads a missing key as 0, inactive", async () => {
    const trigger = measurer(cleanup, {
      metadata: { address, listName: `${redisKeyPrefix(cleanup, "redis-missing")}none` },
    });
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
  });

  it("explains a key that holds a string", async () => {
    const key = `${redisKeyPrefix(cleanup, "redis-string")}text`;
    await redis.set(key, "hello");
    const sample = await measurer(cleanup, { metadata: { address, listName: key } }).measure();
    expect(sample.error).toContain(`key "${key}" holds a string, not a list, set, sorted set or hash`);
  });

  it("reads the database given by databaseIndex", async () => {
    const key = `${uniqueName("redis-db")}:jobs`;
    const database3 = new Redis(services.redisUrl, { db: 3, maxRetriesPerRequest: 2 });
    cleanup.add(async () => {
      await database3.del(key);
      database3.disconnect();
    });
    await database3.rpush(key, "a", "b");

    const inDatabase3 = measurer(cleanup, { metadata: { address, listName: key, databaseIndex: "3" } });
    const inDatabase0 = measurer(cleanup, { metadata: { address, listName: key } });
    expect(await inDatabase3.measure()).toMatchObject({ value: 2 });
    expect(await inDatabase0.measure()).toMatchObject({ value: 0 });
  });

  it("takes host and port from the target's environment", async () => {
    const key = `${redisKeyPrefix(cleanup, "redis-env")}jobs`;
    await redis.rpush(key, "a");
    const [host = "", port = ""] = address.split(":");
    const trigger = measurer(cleanup, {
      metadata: { hostFromEnv: "REDIS_HOST", portFromEnv: "REDIS_PORT", listName: key },
      resolvedEnv: { REDIS_HOST: host, REDIS_PORT: port },
    });
    expect(await trigger.measure()).toMatchObject({ value: 1 });
  });

  it("connects with a password from authentication to a server without one, as Redis and KEDA allow", async () => {
    // Redis accepts any password for a user that has none (HELLO/AUTH with a user name), and
    // go-redis in KEDA authenticates that way too: the trigger works.
    const key = `${redisKeyPrefix(cleanup, "redis-nopass")}jobs`;
    await redis.rpush(key, "a", "b");
    const trigger = measurer(cleanup, {
      metadata: { address, listName: key },
      authParams: { password: "unneeded-5d1e" },
    });
    expect(await trigger.measure()).toMatchObject({ value: 2 });
  });

  it("authenticates an ACL user from authentication, and names a wrong password without showing it", async () => {
    const prefix = redisKeyPrefix(cleanup, "redis-acl");
    const user = uniqueName("redis-user");
    const password = randomBytes(12).toString("hex");
    await redis.call("ACL", "SETUSER", user, "on", `>${password}`, `~${prefix}*`, "+@all");
    cleanup.add(() => redis.call("ACL", "DELUSER", user));
    await redis.rpush(`${prefix}jobs`, "a", "b", "c");

    const allowed = measurer(cleanup, {
      metadata: { address, listName: `${prefix}jobs` },
      authParams: { username: user, password },
    });
    expect(await allowed.measure()).toMatchObject({ value: 3 });

    const wrongPassword = `wrong-${password}`;
    const denied = measurer(cleanup, {
      metadata: { address, listName: `${prefix}jobs` },
      authParams: { username: user, password: wrongPassword },
    });
    const sample = await denied.measure();
    expect(sample.error).toMatch(/WRONGPASS/);
    expect(sample.error).not.toContain(wrongPassword);
  });

  it("connects with TLS, trusting the CA from authentication, and tells an untrusted certificate apart", async () => {
    const key = `${redisKeyPrefix(cleanup, "redis-tls")}jobs`;
    await redis.rpush(key, "a", "b");
    const tlsAddress = new URL(services.redisTlsUrl).host;
    const ca = readFileSync(services.redisCaFile, "utf8");

    const trusted = measurer(cleanup, {
      metadata: { address: tlsAddress, listName: key },
      authParams: { tls: "enable", ca },
    });
    expect(await trusted.measure()).toMatchObject({ value: 2, active: true });

    // KEDA's metadata form, with verification off instead of a CA.
    const unverified = measurer(cleanup, {
      metadata: { address: tlsAddress, listName: key, enableTLS: "true", unsafeSsl: "true" },
    });
    expect(await unverified.measure()).toMatchObject({ value: 2 });

    const untrusted = measurer(cleanup, {
      metadata: { address: tlsAddress, listName: key, enableTLS: "true" },
      timeoutMs: 5000,
    });
    expect((await untrusted.measure()).error).toMatch(/self[- ]signed certificate|unable to (get|verify)/i);
  });

  it("presents a client certificate, also with an encrypted key, and fails with one Redis does not trust", async () => {
    const key = `${redisKeyPrefix(cleanup, "redis-mtls")}jobs`;
    await redis.rpush(key, "a", "b", "c");
    const tlsAddress = new URL(services.redisTlsUrl).host;
    const file = (name: string) => readFileSync(join(services.redisTlsDir, name), "utf8");
    const metadata = { address: tlsAddress, listName: key };
    const withCertificate = measurer(cleanup, {
      metadata,
      authParams: { tls: "enable", ca: file("ca.crt"), cert: file("client.crt"), key: file("client.key") },
    });
    expect(await withCertificate.measure()).toMatchObject({ value: 3, active: true });
    const encryptedKey = measurer(cleanup, {
      metadata: { ...metadata, enableTLS: "true" },
      authParams: {
        ca: file("ca.crt"),
        cert: file("client.crt"),
        key: file("client.enc.key"),
        keyPassword: "tidal-test",
      },
    });
    expect(await encryptedKey.measure()).toMatchObject({ value: 3 });
    // A certificate from another CA: Redis checks what it is given and ends the handshake.
    const foreign = await generate([{ name: "commonName", value: "stranger" }], {
      keyType: "ec",
      curve: "P-256",
    });
    const refused = measurer(cleanup, {
      metadata,
      authParams: { tls: "enable", ca: file("ca.crt"), cert: foreign.cert, key: foreign.private },
      timeoutMs: 5000,
    });
    expect((await refused.measure()).error).toBeDefined();
  });

  it("reports an unreachable server within the deadline, naming the refused connection", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { address: `127.0.0.1:${port}`, listName: "jobs" },
      timeoutMs: 2000,
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `connection to Redis at 127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(sample.latencyMs).toBeLessThan(2000);
  });
});

describe("redis scaler push (tidalPush)", () => {
  const cleanup = useCleanup();

  /** Sets notify-keyspace-events for one test and puts the server's value back afterwards. */
  async function keyspaceEvents(flags: string): Promise<void> {
    const [, previous = ""] = (await redis.call("CONFIG", "GET", "notify-keyspace-events")) as string[];
    await redis.call("CONFIG", "SET", "notify-keyspace-events", flags);
    cleanup.add(() => redis.call("CONFIG", "SET", "notify-keyspace-events", previous));
  }

  it("turns keyspace notifications on, and a push to the list wakes the trigger", async () => {
    await keyspaceEvents("");
    const key = `${redisKeyPrefix(cleanup, "redis-push")}jobs`;
    const trigger = measurer(cleanup, { metadata: { address, listName: key, tidalPush: "true" } });
    const { wakes, errors } = watchPushes(cleanup, trigger);

    await eventually("notify-keyspace-events to include K and l", async () => {
      const [, flags = ""] = (await redis.call("CONFIG", "GET", "notify-keyspace-events")) as string[];
      return flags.includes("K") && flags.includes("l");
    });
    // The subscription may still be on its way: push until a wake arrives.
    await eventually("a wake after RPUSH", async () => {
      await redis.rpush(key, "job");
      return wakes() > 0;
    });
    expect(errors).toEqual([]);
    expect(await trigger.measure()).toMatchObject({ active: true });
  });

  it("does not wake on pops", async () => {
    await keyspaceEvents("Kl");
    const key = `${redisKeyPrefix(cleanup, "redis-push-pop")}jobs`;
    const trigger = measurer(cleanup, { metadata: { address, listName: key, tidalPush: "true" } });
    const { wakes } = watchPushes(cleanup, trigger);
    await eventually("a wake after RPUSH", async () => {
      await redis.rpush(key, "a", "b", "c", "d", "e", "f");
      return wakes() > 0;
    });
    // A marker key on the same connection: once its wake arrived, the pops' events were delivered too.
    const marker = `${key}:marker`;
    const markerTrigger = measurer(cleanup, { metadata: { address, listName: marker, tidalPush: "true" } });
    const { wakes: markerWakes } = watchPushes(cleanup, markerTrigger);
    await new Promise((resolve) => setTimeout(resolve, 150)); // past the wake throttle
    const before = wakes();
    await eventually("the marker's wake after the pops", async () => {
      await redis.lpop(key);
      await redis.rpush(marker, "x");
      return markerWakes() > 0;
    });
    expect(wakes()).toBe(before);
  });

  it("reports why when notifications are off and the user may not turn them on, and keeps measuring", async () => {
    await keyspaceEvents("");
    const prefix = redisKeyPrefix(cleanup, "redis-push-acl");
    const user = uniqueName("redis-push-user");
    const password = randomBytes(12).toString("hex");
    await redis.call(
      "ACL",
      "SETUSER",
      user,
      "on",
      `>${password}`,
      `~${prefix}*`,
      "&*",
      "+@all",
      "-config",
      "+config|get",
    );
    cleanup.add(() => redis.call("ACL", "DELUSER", user));
    await redis.rpush(`${prefix}jobs`, "a", "b");

    const trigger = measurer(cleanup, {
      metadata: { address, listName: `${prefix}jobs`, tidalPush: "true" },
      authParams: { username: user, password },
    });
    const { errors } = watchPushes(cleanup, trigger);
    const error = await eventually("an error from the push path", () => errors[0]);
    expect(error.message).toMatch(/keyspace notifications are off .* Tidal may not enable them: NOPERM/);
    expect(error.message).toContain("CONFIG SET notify-keyspace-events Kl");
    expect(error.message).toContain("keeps polling");
    expect(error.message).not.toContain(password);
    expect(await trigger.measure()).toMatchObject({ value: 2 });
  });
});
