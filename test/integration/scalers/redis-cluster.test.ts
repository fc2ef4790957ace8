import { randomBytes } from "node:crypto";
import { Cluster } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("redis-cluster"));

let cluster: Cluster;
const nodes = () => services.redisClusterNodes;

beforeAll(() => {
  cluster = new Cluster(
    nodes().map((node) => {
      const [host = "", port = ""] = node.split(":");
      return { host, port: Number(port) };
    }),
    { redisOptions: { maxRetriesPerRequest: 2 } },
  );
});
afterAll(() => cluster.disconnect());

/** A key name unique to this test (ending in `suffix`), deleted from the cluster afterwards. */
function clusterKey(cleanup: Cleanup, prefix: string, suffix = ""): string {
  const key = `${uniqueName(prefix)}${suffix}`;
  cleanup.add(() => cluster.del(key));
  return key;
}

function measurer(cleanup: Cleanup, trigger: TriggerUnderTest): TriggerMeasurer {
  const connected = connectTestTrigger(trigger);
  cleanup.add(() => connected.close());
  return connected;
}

/** Runs a command on every master (ACLs are per node). */
async function onEveryMaster(command: (node: ReturnType<Cluster["nodes"]>[number]) => Promise<unknown>) {
  await Promise.all(cluster.nodes("master").map(command));
}

describe("redis-cluster scaler", () => {
  const cleanup = useCleanup();

  it("reads lists held by different nodes, with the activation rule of redis", async () => {
    // Hash tags {b}, {c} and {a} fall in slots 3300, 7365 and 15495: one on each of the three masters.
    const keys = ["{b}", "{c}", "{a}"].map((tag) => clusterKey(cleanup, "cl-list", tag));
    const slots = await Promise.all(keys.map((key) => cluster.call("CLUSTER", "KEYSLOT", key)));
    expect(slots).toEqual([3300, 7365, 15495]);
    for (const [index, key] of keys.entries()) await cluster.rpush(key, ...Array(index + 2).fill("job"));
    for (const [index, key] of keys.entries()) {
      const trigger = measurer(cleanup, {
        type: "redis-cluster",
        metadata: { addresses: nodes().join(", "), listName: key, activationListLength: "2" },
      });
      expect(await trigger.measure()).toMatchObject({
        metricName: expect.stringMatching(/^s0-redis-tidal-cl-list-/),
        value: index + 2,
        active: index + 2 > 2,
      });
    }
  });

  it("finds every node from one startup node given as hosts and ports", async () => {
    const key = clusterKey(cleanup, "cl-hosts");
    await cluster.sadd(key, "a", "b", "c");
    const [host = "", port = ""] = (nodes()[2] ?? "").split(":");
    const trigger = measurer(cleanup, {
      type: "redis-cluster",
      metadata: { hosts: host, ports: port, listName: key },
    });
    expect(await trigger.measure()).toMatchObject({ value: 3, active: true });
  });

  it("measures a stream's pending entries, its length and its group's lag", async () => {
    const stream = clusterKey(cleanup, "cl-stream");
    for (let index = 0; index < 5; index += 1) await cluster.xadd(stream, "*", "n", String(index));
    await cluster.xgroup("CREATE", stream, "workers", "0");
    await cluster.xreadgroup("GROUP", "workers", "w1", "COUNT", "2", "STREAMS", stream, ">");
    const base = { addresses: nodes().join(","), stream };
    const pending = measurer(cleanup, {
      type: "redis-cluster-streams",
      metadata: { ...base, consumerGroup: "workers" },
    });
    const length = measurer(cleanup, { type: "redis-cluster-streams", metadata: base });
    const lag = measurer(cleanup, {
      type: "redis-cluster-streams",
      metadata: { ...base, consumerGroup: "workers", lagCount: "10", activationLagCount: "3" },
    });
    expect(await pending.measure()).toMatchObject({ metricName: `s0-redis-streams-${stream}`, value: 2 });
    expect(await length.measure()).toMatchObject({ value: 5, active: true });
    expect(await lag.measure()).toMatchObject({ value: 3, active: false });
  });

  it("authenticates an ACL user, and names a wrong password without showing it", async () => {
    const key = clusterKey(cleanup, "cl-acl");
    const user = uniqueName("cl-user");
    const password = randomBytes(12).toString("hex");
    await onEveryMaster((node) => node.call("ACL", "SETUSER", user, "on", `>${password}`, "~*", "+@all"));
    cleanup.add(() => onEveryMaster((node) => node.call("ACL", "DELUSER", user)));
    await cluster.rpush(key, "a", "b");
    const metadata = { addresses: nodes().join(","), listName: key };

    const allowed = measurer(cleanup, {
      type: "redis-cluster",
      metadata,
      authParams: { username: user, password },
    });
    expect(await allowed.measure()).toMatchObject({ value: 2 });

    const wrong = `canary-${password}`;
    const denied = measurer(cleanup, {
      type: "redis-cluster",
      metadata,
      authParams: { username: user, password: wrong },
    });
    const sample = await denied.measure();
    expect(sample.error).toMatch(/^connection to Redis Cluster at .* failed: WRONGPASS/);
    expect(sample.error).not.toContain(wrong);
  });

  it("names a refused connection when no startup node answers", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      type: "redis-cluster",
      metadata: { addresses: `127.0.0.1:${port}`, listName: "jobs" },
      timeoutMs: 2000,
    });
    expect((await trigger.measure()).error).toBe(
      `connection to Redis Cluster at 127.0.0.1:${port} failed: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});
