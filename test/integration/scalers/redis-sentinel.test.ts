import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("redis-sentinel"));

let master: Redis;

beforeAll(() => {
  master = new Redis({
    sentinels: [{ host: "127.0.0.1", port: Number(services.redisSentinel.split(":")[1]) }],
    name: services.redisSentinelMaster,
    sentinelPassword: services.redisSentinelPassword,
    maxRetriesPerRequest: 2,
  });
});
afterAll(() => master.disconnect());

function masterKey(cleanup: Cleanup, prefix: string, db = master): string {
  const key = uniqueName(prefix);
  cleanup.add(() => db.del(key));
  return key;
}

/** A sentinel trigger: the sentinel's address and password, and the master's name, unless overridden. */
function measurer(
  cleanup: Cleanup,
  metadata: Record<string, string>,
  extra: Partial<TriggerUnderTest> = {},
): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "redis-sentinel",
    metadata: {
      addresses: services.redisSentinel,
      sentinelMaster: services.redisSentinelMaster,
      ...metadata,
    },
    authParams: { sentinelPassword: services.redisSentinelPassword },
    ...extra,
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("redis-sentinel scaler", () => {
  const cleanup = useCleanup();

  it("reads a list on the master the sentinel names, with the activation rule of redis", async () => {
    const key = masterKey(cleanup, "se-list");
    await master.rpush(key, "a", "b", "c");
    const trigger = measurer(cleanup, { listName: key, activationListLength: "3" });
    expect(await trigger.measure()).toMatchObject({ metricName: `s0-redis-${key}`, value: 3, active: false });
    await master.rpush(key, "d");
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("reads the database given by databaseIndex, master name and password from the environment", async () => {
    const database5 = master.duplicate({ db: 5 });
    cleanup.add(() => database5.disconnect());
    const key = masterKey(cleanup, "se-db", database5);
    await database5.rpush(key, "a", "b");
    const trigger = measurer(
      cleanup,
      {
        listName: key,
        databaseIndex: "5",
        sentinelMaster: "",
        sentinelMasterFromEnv: "MASTER",
        sentinelPasswordFromEnv: "SENTINEL_PASSWORD",
      },
      {
        authParams: {},
        resolvedEnv: {
          MASTER: services.redisSentinelMaster,
          SENTINEL_PASSWORD: services.redisSentinelPassword,
        },
      },
    );
    expect(await trigger.measure()).toMatchObject({ value: 2 });
  });

  it("measures a stream through the sentinel", async () => {
    const stream = masterKey(cleanup, "se-stream");
    for (let index = 0; index < 4; index += 1) await master.xadd(stream, "*", "n", String(index));
    await master.xgroup("CREATE", stream, "workers", "0");
    await master.xreadgroup("GROUP", "workers", "w1", "COUNT", "1", "STREAMS", stream, ">");
    const connected = connectTestTrigger({
      type: "redis-sentinel-streams",
      metadata: {
        addresses: services.redisSentinel,
        sentinelMaster: services.redisSentinelMaster,
        stream,
        consumerGroup: "workers",
        lagCount: "2",
      },
      authParams: { sentinelPassword: services.redisSentinelPassword },
    });
    cleanup.add(() => connected.close());
    expect(await connected.measure()).toMatchObject({ metricName: `s0-redis-streams-${stream}`, value: 3 });
  });

  it("names a wrong sentinel password without showing it", async () => {
    const wrong = `canary-${randomBytes(8).toString("hex")}`;
    const trigger = measurer(cleanup, { listName: "jobs" }, { authParams: { sentinelPassword: wrong } });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      /^connection to Redis master "mymaster" through the sentinels at .* failed: no sentinel answered: WRONGPASS/,
    );
    expect(sample.error).not.toContain(wrong);
  });

  it("names a master the sentinels do not know, and a missing sentinelMaster", async () => {
    const unknown = measurer(cleanup, { listName: "jobs", sentinelMaster: "nomaster" });
    expect((await unknown.measure()).error).toMatch(
      /no sentinel answered: ERR No such master with that name/,
    );
    const missing = measurer(cleanup, { listName: "jobs", sentinelMaster: "" });
    expect((await missing.measure()).error).toBe(
      "sentinelMaster is not set: name the master the sentinels monitor",
    );
  });

  it("names a wrong password of the master's ACL user without showing it", async () => {
    const key = masterKey(cleanup, "se-acl");
    const user = uniqueName("se-user");
    const password = randomBytes(12).toString("hex");
    await master.call("ACL", "SETUSER", user, "on", `>${password}`, "~*", "+@all");
    cleanup.add(() => master.call("ACL", "DELUSER", user));
    await master.rpush(key, "a");
    const allowed = measurer(
      cleanup,
      { listName: key },
      {
        authParams: { sentinelPassword: services.redisSentinelPassword, username: user, password },
      },
    );
    expect(await allowed.measure()).toMatchObject({ value: 1 });
    const wrong = `canary-${password}`;
    const denied = measurer(
      cleanup,
      { listName: key },
      {
        authParams: { sentinelPassword: services.redisSentinelPassword, username: user, password: wrong },
      },
    );
    const sample = await denied.measure();
    expect(sample.error).toMatch(/WRONGPASS/);
    expect(sample.error).not.toContain(wrong);
  });

  it("names a refused connection when no sentinel answers", async () => {
    const port = await closedPort();
    const trigger = measurer(
      cleanup,
      { listName: "jobs", addresses: `127.0.0.1:${port}` },
      { timeoutMs: 2000 },
    );
    expect((await trigger.measure()).error).toBe(
      `connection to Redis master "mymaster" through the sentinels at 127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});
