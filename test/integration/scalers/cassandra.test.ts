import { randomBytes } from "node:crypto";
import cassandra from "cassandra-driver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("cassandra"));

let client: cassandra.Client;
beforeAll(async () => {
  client = new cassandra.Client({
    contactPoints: [services.cassandraAddress],
    policies: { loadBalancing: new cassandra.policies.loadBalancing.RoundRobinPolicy() },
    authProvider: new cassandra.auth.PlainTextAuthProvider(
      services.cassandraUsername,
      services.cassandraPassword,
    ),
    socketOptions: { readTimeout: 60_000 },
  });
  await client.connect();
});
afterAll(() => client?.shutdown());

/**
 * A keyspace name no other test uses. Not uniqueIdentifier: its "tidal_" prefix is the test
 * password, which error messages redact.
 */
const keyspaceName = () => `jobs_${process.pid}_${randomBytes(4).toString("hex")}`;

/** A keyspace with a table `tasks (id int PRIMARY KEY, status text)` holding `pending` rows; dropped by the cleanup. */
async function keyspace(cleanup: Cleanup, pending: number): Promise<string> {
  const name = keyspaceName();
  await client.execute(
    `CREATE KEYSPACE ${name} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`,
  );
  cleanup.add(() => client.execute(`DROP KEYSPACE IF EXISTS ${name}`));
  await client.execute(`CREATE TABLE ${name}.tasks (id int PRIMARY KEY, status text)`);
  await insert(name, pending, 0);
  return name;
}

async function insert(name: string, count: number, firstId: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    await client.execute(`INSERT INTO ${name}.tasks (id, status) VALUES (?, 'pending')`, [firstId + index], {
      prepare: true,
    });
  }
}

const address = () => services.cassandraAddress;

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "cassandra", timeoutMs: 10_000, ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("cassandra scaler against Apache Cassandra", () => {
  const cleanup = useCleanup();

  it("reads the query's value, inactive at activationTargetQueryValue and active above it", async () => {
    const name = await keyspace(cleanup, 3);
    const trigger = measurer(cleanup, {
      metadata: {
        username: services.cassandraUsername,
        clusterIPAddress: address(),
        keyspace: name,
        query: `SELECT COUNT(*) FROM ${name}.tasks`,
        targetQueryValue: "2",
        activationTargetQueryValue: "3",
      },
      authParams: { password: services.cassandraPassword },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-cassandra-${name}`,
      value: 3,
      active: false,
    });
    await insert(name, 1, 100);
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("takes the port from port when clusterIPAddress has none, and reads no rows as 0", async () => {
    const name = await keyspace(cleanup, 0);
    const [host = "", port = ""] = address().split(":");
    const trigger = measurer(cleanup, {
      metadata: {
        username: services.cassandraUsername,
        clusterIPAddress: host,
        port,
        consistency: "LOCAL_ONE",
        keyspace: name,
        query: `SELECT id FROM ${name}.tasks LIMIT 1`,
        targetQueryValue: "1",
      },
      authParams: { password: services.cassandraPassword },
    });
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
  });

  it("names a query Cassandra refuses", async () => {
    const trigger = measurer(cleanup, {
      metadata: {
        username: services.cassandraUsername,
        clusterIPAddress: address(),
        keyspace: "missing",
        query: "SELECT COUNT(*) FROM missing_keyspace.tasks",
        targetQueryValue: "1",
      },
      authParams: { password: services.cassandraPassword },
    });
    expect((await trigger.measure()).error).toMatch(/^query failed: .*missing_keyspace/);
  });

  it("reports wrong credentials without showing the password", async () => {
    const password = `wrong-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: {
        username: services.cassandraUsername,
        clusterIPAddress: address(),
        keyspace: "system",
        query: "SELECT COUNT(*) FROM system.local",
        targetQueryValue: "1",
      },
      authParams: { password },
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      /^cannot connect to Cassandra at .*: .*(Provided username .* incorrect|Authentication)/,
    );
    expect(sample.error).not.toContain(password);
  });

  it("reports an unreachable node, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        username: services.cassandraUsername,
        clusterIPAddress: `127.0.0.1:${port}`,
        keyspace: "system",
        query: "SELECT COUNT(*) FROM system.local",
        targetQueryValue: "5",
      },
      authParams: { password: services.cassandraPassword },
      timeoutMs: 3000,
    });
    expect((await trigger.measure()).error).toMatch(
      new RegExp(`^cannot connect to Cassandra at 127.0.0.1:${port}: .*ECONNREFUSED`),
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
