import { readFileSync } from "node:fs";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import mysql from "mysql2/promise";
import { beforeAll, describe, expect, it } from "vitest";
import { ConnectionPool } from "../../../src/scalers/connection-pool.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { mariadbDatabase, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("mariadb"));

const server = new URL(services.mysqlUrl);
const user = decodeURIComponent(server.username);
const password = decodeURIComponent(server.password);
const WRONG_PASSWORD = "wrong-mysql-password-0b9e";

/** The Go DSN KEDA users write, for a database on the test server. */
const dsn = (database: string, credentials = `${user}:${password}`, address = server.host) =>
  `${credentials}@tcp(${address})/${database}`;

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "mysql", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

/** A database of its own with a jobs table holding `count` queued rows, and a connection to it. */
async function jobsDatabase(cleanup: Cleanup, count: number) {
  const { name, url } = await mariadbDatabase(cleanup, "mysql-scaler");
  const connection = await mysql.createConnection(url);
  cleanup.add(() => connection.end());
  await connection.query("CREATE TABLE jobs (id INT AUTO_INCREMENT PRIMARY KEY, state VARCHAR(20) NOT NULL)");
  for (let index = 0; index < count; index += 1)
    await connection.query("INSERT INTO jobs (state) VALUES ('queued')");
  return { name, connection };
}

describe("mysql scaler", () => {
  const cleanup = useCleanup();

  it("reads the query's value through a DSN, inactive at the activation value", async () => {
    const { name, connection } = await jobsDatabase(cleanup, 3);
    const trigger = measurer(cleanup, {
      metadata: {
        query: "SELECT COUNT(*) FROM jobs WHERE state = 'queued'",
        queryValue: "2",
        activationQueryValue: "3",
      },
      authParams: { connectionString: dsn(name) },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-mysql-${name}`,
      value: 3,
      active: false,
    });
    await connection.query("INSERT INTO jobs (state) VALUES ('queued')");
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("reads a DECIMAL value and takes the DSN from the target's environment", async () => {
    const { name } = await jobsDatabase(cleanup, 3);
    const trigger = measurer(cleanup, {
      metadata: {
        query: "SELECT COUNT(*) / 2 FROM jobs",
        queryValue: "1",
        connectionStringFromEnv: "MYSQL_DSN",
      },
      resolvedEnv: { MYSQL_DSN: `${dsn(name)}?tls=false&timeout=5s` },
    });
    expect(await trigger.measure()).toMatchObject({ metricName: `s0-mysql-${name}`, value: 1.5 });
  });

  it("connects with separate settings and the password from authentication", async () => {
    const { name } = await jobsDatabase(cleanup, 2);
    const trigger = measurer(cleanup, {
      metadata: {
        query: "SELECT COUNT(*) FROM jobs",
        queryValue: "1",
        host: server.hostname,
        port: server.port,
        dbName: name,
        username: user,
      },
      authParams: { password },
    });
    expect(await trigger.measure()).toMatchObject({ metricName: `s0-mysql-${name}`, value: 2 });
  });

  /** 1 when the trigger's own connection is encrypted, else 0. */
  const TLS_IN_USE =
    "SELECT COUNT(*) FROM information_schema.SESSION_STATUS WHERE VARIABLE_NAME = 'Ssl_cipher' AND VARIABLE_VALUE <> ''";

  it.each([
    ["false", 0],
    ["skip-verify", 1],
    ["preferred", 1],
  ])("connects with tls=%s (TLS in use: %i)", async (tls, expected) => {
    const { name } = await jobsDatabase(cleanup, 0);
    const trigger = measurer(cleanup, {
      metadata: { query: TLS_IN_USE, queryValue: "1" },
      authParams: { connectionString: `${dsn(name)}?tls=${tls}` },
    });
    expect(await trigger.measure()).toMatchObject({ value: expected });
  });

  it("verifies the server's certificate with tls=true against the trusted CAs", async () => {
    const { name } = await jobsDatabase(cleanup, 0);
    const metadata = { query: TLS_IN_USE, queryValue: "1" };
    const untrusted = measurer(cleanup, {
      metadata,
      authParams: { connectionString: `${dsn(name)}?tls=true` },
    });
    expect((await untrusted.measure()).error).toMatch(/certificate/);
    // KEDA's tls=true trusts the system's CAs: here, the test server's CA added to them.
    const defaults = getCACertificates("default");
    setDefaultCACertificates([...defaults, readFileSync(services.mysqlCaFile, "utf8")]);
    try {
      const trusted = measurer(cleanup, {
        metadata,
        authParams: { connectionString: `${dsn(name)}?tls=true` },
      });
      expect(await trusted.measure()).toMatchObject({ value: 1 });
    } finally {
      setDefaultCACertificates(defaults);
    }
  });

  it("explains a query without rows, a value that is not a number, NULL and a statement without results", async () => {
    const { name } = await jobsDatabase(cleanup, 1);
    const cases: [string, string][] = [
      ["SELECT id FROM jobs WHERE FALSE", "query returned no rows"],
      ["SELECT state FROM jobs", 'query returned "queued" in the first column, not a number'],
      ["SELECT NULL", "query returned NULL in the first column; wrap it in COALESCE(..., 0)"],
      ["DO 1", "query failed: the statement returned no result set; use a SELECT"],
      ["SELECT COUNT(*) FROM no_such_table", `query failed: Table '${name}.no_such_table' doesn't exist`],
    ];
    for (const [query, error] of cases) {
      const trigger = measurer(cleanup, {
        metadata: { query, queryValue: "1" },
        authParams: { connectionString: dsn(name) },
      });
      expect((await trigger.measure()).error, query).toBe(error);
    }
  });

  it("gives up on a slow query at the deadline and measures again afterwards", async () => {
    const { name } = await jobsDatabase(cleanup, 1);
    const pool = new ConnectionPool();
    const slow = measurer(cleanup, {
      metadata: { query: "SELECT SLEEP(5)", queryValue: "1" },
      authParams: { connectionString: dsn(name) },
      timeoutMs: 1000,
      pool,
    });
    const sample = await slow.measure();
    expect(sample.error).toBe("no answer within 1000 ms");
    expect(sample.latencyMs).toBeLessThan(2000);

    const fast = measurer(cleanup, {
      metadata: { query: "SELECT COUNT(*) FROM jobs", queryValue: "1" },
      authParams: { connectionString: dsn(name) },
      timeoutMs: 1000,
      pool,
    });
    expect(await fast.measure()).toMatchObject({ value: 1 });
  });

  it("names a wrong password without showing it", async () => {
    const { name } = await jobsDatabase(cleanup, 1);
    const trigger = measurer(cleanup, {
      metadata: { query: "SELECT 1", queryValue: "1" },
      authParams: { connectionString: dsn(name, `${user}:${WRONG_PASSWORD}`) },
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      new RegExp(`^cannot connect to MySQL at ${server.host}: Access denied for user '${user}'`),
    );
    expect(sample.error).not.toContain(WRONG_PASSWORD);
  });

  it("reports an unreachable server within the deadline", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { query: "SELECT 1", queryValue: "1" },
      authParams: { connectionString: dsn("tidal", `${user}:${password}`, `127.0.0.1:${port}`) },
      timeoutMs: 2000,
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot connect to MySQL at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(sample.latencyMs).toBeLessThan(2000);
  });

  it("rejects a malformed DSN before connecting, without showing it", () => {
    expect(() =>
      connectTestTrigger({
        type: "mysql",
        metadata: { query: "SELECT 1", queryValue: "1" },
        authParams: { connectionString: `${user}:${WRONG_PASSWORD}@tcp(${server.host}` },
      }),
    ).toThrow(
      /^invalid trigger: connectionString: connectionString is not a valid DSN .*: missing the "\/" before the database name$/,
    );
  });
});
