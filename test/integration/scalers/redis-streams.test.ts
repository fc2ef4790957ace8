import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { redisKeyPrefix, uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("redis"));

const address = new URL(services.redisUrl).host;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(services.redisUrl, { maxRetriesPerRequest: 2 });
});
afterAll(() => redis.disconnect());

function measurer(
  cleanup: Cleanup,
  metadata: Record<string, string>,
  extra: Partial<TriggerUnderTest> = {},
): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "redis-streams",
    metadata: { address, ...metadata },
    ...extra,
  });
  cleanup.add(() => connected.close());
  return connected;
}

/** A stream with `count` entries and, when `group` is given, that group reading `read` of them (unacknowledged). */
async function stream(
  cleanup: Cleanup,
  count: number,
  group?: { name: string; read: number },
): Promise<string> {
  const name = `${redisKeyPrefix(cleanup, "redis-streams")}orders`;
  for (let index = 0; index < count; index += 1) await redis.xadd(name, "*", "order", String(index));
  if (group) {
    await redis.xgroup("CREATE", name, group.name, "0", "MKSTREAM");
    if (group.read > 0)
      await redis.xreadgroup("GROUP", group.name, "worker-1", "COUNT", group.read, "STREAMS", name, ">");
  }
  return name;
}

describe("redis-streams scaler", () => {
  const cleanup = useCleanup();

  it("measures the stream length without a consumer group, inactive at the activation count", async () => {
    const name = await stream(cleanup, 4);
    const trigger = measurer(cleanup, { stream: name, activationLagCount: "4" });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-redis-streams-${name.replace(":", "-")}`,
      value: 4,
      active: false,
    });
    await redis.xadd(name, "*", "order", "late");
    expect(await trigger.measure()).toMatchObject({ value: 5, active: true });
  });

  it("reads a missing stream's length as 0", async () => {
    const trigger = measurer(cleanup, { stream: `${redisKeyPrefix(cleanup, "redis-streams")}none` });
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
  });

  it("measures the group's pending entries (delivered, not acknowledged)", async () => {
    const name = await stream(cleanup, 5, { name: "workers", read: 2 });
    const trigger = measurer(cleanup, { stream: name, consumerGroup: "workers" });
    expect(await trigger.measure()).toMatchObject({ value: 2, active: true });
    const [[firstId] = []] = await redis.xrange(name, "-", "+", "COUNT", 1);
    await redis.xack(name, "workers", String(firstId));
    expect(await trigger.measure()).toMatchObject({ value: 1 });
  });

  it("explains a pending count for a group that does not exist", async () => {
    const name = await stream(cleanup, 1);
    const sample = await measurer(cleanup, { stream: name, consumerGroup: "nobody" }).measure();
    expect(sample.error).toBe(`stream "${name}" or its consumer group "nobody" does not exist`);
  });

  it("measures the group's lag (entries not yet delivered) with lagCount", async () => {
    const name = await stream(cleanup, 5, { name: "workers", read: 2 });
    const trigger = measurer(cleanup, {
      stream: name,
      consumerGroup: "workers",
      lagCount: "10",
      activationLagCount: "3",
    });
    expect(await trigger.measure()).toMatchObject({ value: 3, active: false });
    await redis.xadd(name, "*", "order", "late");
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("counts every entry as lag before the group exists, and a missing stream as 0", async () => {
    const name = await stream(cleanup, 3);
    expect(
      await measurer(cleanup, { stream: name, consumerGroup: "workers", lagCount: "1" }).measure(),
    ).toMatchObject({ value: 3 });
    const missing = `${redisKeyPrefix(cleanup, "redis-streams")}none`;
    expect(
      await measurer(cleanup, { stream: missing, consumerGroup: "workers", lagCount: "1" }).measure(),
    ).toMatchObject({
      value: 0,
    });
  });

  it("says when Redis cannot tell the lag, instead of reporting 0", async () => {
    const name = await stream(cleanup, 3, { name: "workers", read: 1 });
    const [, , [lastId] = []] = await redis.xrange(name, "-", "+");
    await redis.xdel(name, String(lastId));
    const sample = await measurer(cleanup, {
      stream: name,
      consumerGroup: "workers",
      lagCount: "1",
    }).measure();
    expect(sample.error).toBe(
      `Redis cannot determine the lag of group "workers" on stream "${name}" (entries after its last-delivered ID were deleted)`,
    );
  });

  it("reads the database given by databaseIndex", async () => {
    const name = `${redisKeyPrefix(cleanup, "redis-streams-db")}orders`;
    const database5 = new Redis(services.redisUrl, { db: 5, maxRetriesPerRequest: 2 });
    cleanup.add(async () => {
      await database5.del(name);
      database5.disconnect();
    });
    await database5.xadd(name, "*", "order", "1");
    expect(await measurer(cleanup, { stream: name, databaseIndex: "5" }).measure()).toMatchObject({
      value: 1,
    });
    expect(await measurer(cleanup, { stream: name }).measure()).toMatchObject({ value: 0 });
  });

  it("reports an unreachable server within the deadline", async () => {
    const port = await closedPort();
    const sample = await measurer(
      cleanup,
      { address: `127.0.0.1:${port}`, stream: "orders" },
      { timeoutMs: 2000 },
    ).measure();
    expect(sample.error).toMatch(/^connection to Redis at 127\.0\.0\.1:\d+ failed: connect ECONNREFUSED/);
    expect(sample.latencyMs).toBeLessThan(2000);
  });
});

describe("redis-streams scaler with authentication and TLS", () => {
  const cleanup = useCleanup();
  const tlsAddress = () => new URL(services.redisTlsUrl).host;
  const file = (name: string) => readFileSync(join(services.redisTlsDir, name), "utf8");

  it("authenticates an ACL user from authentication, and names a wrong password without showing it", async () => {
    const name = await stream(cleanup, 2);
    const user = uniqueName("streams-user");
    const password = randomBytes(12).toString("hex");
    await redis.call("ACL", "SETUSER", user, "on", `>${password}`, `~${name}`, "+@all");
    cleanup.add(() => redis.call("ACL", "DELUSER", user));
    const allowed = measurer(cleanup, { stream: name }, { authParams: { username: user, password } });
    expect(await allowed.measure()).toMatchObject({ value: 2, active: true });
    const wrongPassword = `wrong-${password}`;
    const denied = await measurer(
      cleanup,
      { stream: name },
      { authParams: { username: user, password: wrongPassword } },
    ).measure();
    expect(denied.error).toMatch(/WRONGPASS/);
    expect(denied.error).not.toContain(wrongPassword);
  });

  it("reads over TLS with the CA from authentication, or enableTLS with unsafeSsl, and refuses an untrusted server", async () => {
    const name = await stream(cleanup, 3);
    const trusted = measurer(
      cleanup,
      { address: tlsAddress(), stream: name },
      { authParams: { tls: "enable", ca: file("ca.crt") } },
    );
    expect(await trusted.measure()).toMatchObject({ value: 3, active: true });
    const unverified = measurer(cleanup, {
      address: tlsAddress(),
      stream: name,
      enableTLS: "true",
      unsafeSsl: "true",
    });
    expect(await unverified.measure()).toMatchObject({ value: 3 });
    const untrusted = measurer(
      cleanup,
      { address: tlsAddress(), stream: name, enableTLS: "true" },
      { timeoutMs: 5000 },
    );
    expect((await untrusted.measure()).error).toMatch(/self[- ]signed certificate|unable to (get|verify)/i);
  });

  it("presents a client certificate, with a plain or an encrypted key", async () => {
    const name = await stream(cleanup, 4, { name: "workers", read: 1 });
    const metadata = {
      address: tlsAddress(),
      stream: name,
      consumerGroup: "workers",
      pendingEntriesCount: "1",
    };
    const plainKey = measurer(cleanup, metadata, {
      authParams: { tls: "enable", ca: file("ca.crt"), cert: file("client.crt"), key: file("client.key") },
    });
    expect(await plainKey.measure()).toMatchObject({ value: 1, active: true });
    const encryptedKey = measurer(
      cleanup,
      { ...metadata, enableTLS: "true" },
      {
        authParams: {
          ca: file("ca.crt"),
          cert: file("client.crt"),
          key: file("client.enc.key"),
          keyPassword: "tidal-test",
        },
      },
    );
    expect(await encryptedKey.measure()).toMatchObject({ value: 1 });
  });
});
