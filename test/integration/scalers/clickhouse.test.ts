import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("clickhouse"));

const server = () => new URL(services.clickhouseUrl);
const credentials = () => ({
  username: decodeURIComponent(server().username),
  password: decodeURIComponent(server().password),
});

async function clickhouse(sql: string): Promise<string> {
  const { username, password } = credentials();
  const response = await fetch(`${server().protocol}//${server().host}/`, {
    method: "POST",
    headers: { Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` },
    body: sql,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`ClickHouse: ${text}`);
  return text;
}

/** A table of jobs no other test uses (Memory engine), dropped by the cleanup. */
async function jobs(cleanup: Cleanup, states: string[]): Promise<string> {
  const table = `jobs_${process.pid}_${randomBytes(4).toString("hex")}`;
  await clickhouse(`CREATE TABLE default.${table} (id UInt32, state String) ENGINE = Memory`);
  cleanup.add(() => clickhouse(`DROP TABLE IF EXISTS default.${table}`));
  await insert(table, states);
  return table;
}

async function insert(table: string, states: string[]): Promise<void> {
  if (states.length === 0) return;
  const values = states.map((state, index) => `(${index}, '${state}')`).join(", ");
  await clickhouse(`INSERT INTO default.${table} VALUES ${values}`);
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "clickhouse", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("clickhouse scaler against ClickHouse", () => {
  const cleanup = useCleanup();

  it("reads the first column of the first row, inactive at the activation value and active above it", async () => {
    const table = await jobs(cleanup, ["queued", "queued", "done"]);
    const trigger = measurer(cleanup, {
      metadata: {
        host: server().hostname,
        port: server().port,
        query: `SELECT count() FROM ${table} WHERE state = 'queued'`,
        targetQueryValue: "2",
        activationTargetQueryValue: "2",
      },
      authParams: credentials(),
    });
    expect(await trigger.measure()).toMatchObject({ metricName: "s0-clickhouse", value: 2, active: false });
    await insert(table, ["queued", "queued"]);
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("reads a float, and no rows as 0 (KEDA's sql.ErrNoRows)", async () => {
    const table = await jobs(cleanup, []);
    const float = measurer(cleanup, {
      metadata: { host: server().hostname, port: server().port, query: "SELECT 2.5", targetQueryValue: "1" },
      authParams: credentials(),
    });
    expect(await float.measure()).toMatchObject({ value: 2.5 });
    const empty = measurer(cleanup, {
      metadata: {
        host: server().hostname,
        port: server().port,
        query: `SELECT id FROM ${table}`,
        targetQueryValue: "1",
      },
      authParams: credentials(),
    });
    expect(await empty.measure()).toMatchObject({ value: 0, active: false });
  });

  it("connects with an http:// connection string from the environment", async () => {
    const trigger = measurer(cleanup, {
      metadata: { query: "SELECT 7", targetQueryValue: "1", connectionStringFromEnv: "CLICKHOUSE_DSN" },
      resolvedEnv: { CLICKHOUSE_DSN: `${services.clickhouseUrl}/default` },
    });
    expect(await trigger.measure()).toMatchObject({ value: 7, active: true });
  });

  it("reads a native-protocol DSN (clickhouse://host:9000) through the HTTP interface on 8123", async () => {
    const { username, password } = credentials();
    const trigger = measurer(cleanup, {
      metadata: { query: "SELECT 3", targetQueryValue: "1" },
      authParams: {
        connectionString: `clickhouse://${username}:${password}@${server().hostname}:9000/default`,
      },
    });
    expect(trigger.prepared.problems).toEqual([
      expect.objectContaining({
        key: "connectionString",
        severity: "warning",
        // The connection string is a credential: no piece of it is quoted in a problem.
        message:
          "Tidal reads ClickHouse through its HTTP interface: clickhouse://***:*** (native protocol, as KEDA connects) is read at http://***:8123",
      }),
    ]);
    expect(await trigger.measure()).toMatchObject({ value: 3 });
  });

  it("reports a missing table and a missing database with ClickHouse's exception", async () => {
    const table = `missing_${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: {
        host: server().hostname,
        port: server().port,
        query: `SELECT count() FROM ${table}`,
        targetQueryValue: "1",
      },
      authParams: credentials(),
    });
    expect((await trigger.measure()).error).toMatch(
      new RegExp(`^could not query ClickHouse database: Code: 60, .*Table default\\.${table} doesn't exist`),
    );
    const database = measurer(cleanup, {
      metadata: {
        host: server().hostname,
        port: server().port,
        database: "absent_db",
        query: "SELECT 1",
        targetQueryValue: "1",
      },
      authParams: credentials(),
    });
    expect((await database.measure()).error).toMatch(
      /^could not query ClickHouse database: Code: 81, .*Database absent_db doesn't exist/,
    );
  });

  it("reports wrong credentials without the password", async () => {
    const password = `canary-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      // The user in the metadata: values from the authentication are masked in messages.
      metadata: {
        host: server().hostname,
        port: server().port,
        username: credentials().username,
        query: "SELECT 1",
        targetQueryValue: "1",
      },
      authParams: { password },
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      /^could not query ClickHouse database: Code: 193, .*Wrong password for user tidal/,
    );
    expect(JSON.stringify(sample)).not.toContain(password);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const password = `canary-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { query: "SELECT 1", targetQueryValue: "5" },
      authParams: { connectionString: `http://tidal:${password}@127.0.0.1:${port}/default` },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `could not query ClickHouse database: cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(password);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
