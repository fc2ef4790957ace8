import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionPool } from "../../../src/scalers/connection-pool.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { AZURE_POSTGRES_SCOPE } from "../../../src/scalers/postgresql/postgresql.ts";
import { closedPort } from "../../support/closed-port.ts";
import { startFakeEntra, type FakeEntra } from "../../support/fakes/fake-entra.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import {
  eventually,
  postgresSchema,
  uniqueIdentifier,
  useCleanup,
  type Cleanup,
} from "../../support/isolation.ts";
import { connectTestTrigger, watchPushes, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("postgres"));

const server = new URL(services.postgresUrl);
const user = decodeURIComponent(server.username);
const password = decodeURIComponent(server.password);
const database = server.pathname.slice(1);
const WRONG_PASSWORD = "wrong-postgres-password-41c7";

let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: services.postgresUrl });
  await client.connect();
});
afterAll(() => client.end());

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "postgresql", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

/** A jobs table in a schema of its own with `count` queued rows; returns the qualified table name. */
async function jobsTable(cleanup: Cleanup, count: number): Promise<string> {
  const table = `${await postgresSchema(cleanup, "postgresql-scaler")}.jobs`;
  await client.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, state text NOT NULL)`);
  await client.query(`INSERT INTO ${table} (state) SELECT 'queued' FROM generate_series(1, $1)`, [count]);
  return table;
}

describe("postgresql scaler", () => {
  const cleanup = useCleanup();

  it("reads the query's value through a postgresql:// URL, inactive at the activation value", async () => {
    const table = await jobsTable(cleanup, 3);
    const trigger = measurer(cleanup, {
      metadata: {
        query: `SELECT count(*) FROM ${table} WHERE state = 'queued'`,
        targetQueryValue: "2",
        activationTargetQueryValue: "3",
      },
      authParams: { connection: services.postgresUrl },
    });
    expect(await trigger.measure()).toMatchObject({ metricName: "s0-postgresql", value: 3, active: false });
    await client.query(`INSERT INTO ${table} (state) VALUES ('queued')`);
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("reads a fractional value", async () => {
    const table = await jobsTable(cleanup, 3);
    const trigger = measurer(cleanup, {
      metadata: { query: `SELECT count(*) / 2.0 FROM ${table}`, targetQueryValue: "1" },
      authParams: { connection: services.postgresUrl },
    });
    expect(await trigger.measure()).toMatchObject({ value: 1.5 });
  });

  it("connects with a libpq key=value string from the target's environment", async () => {
    const table = await jobsTable(cleanup, 2);
    const connection = `host=${server.hostname} port=${server.port} user=${user} password='${password}' dbname=${database} sslmode=disable`;
    const trigger = measurer(cleanup, {
      metadata: {
        query: `SELECT count(*) FROM ${table}`,
        targetQueryValue: "1",
        connectionFromEnv: "PG_CONNECTION",
      },
      resolvedEnv: { PG_CONNECTION: connection },
    });
    expect(await trigger.measure()).toMatchObject({ value: 2 });
  });

  it("connects with separate settings and the password from authentication", async () => {
    const table = await jobsTable(cleanup, 5);
    const trigger = measurer(cleanup, {
      metadata: {
        query: `SELECT count(*) FROM ${table}`,
        targetQueryValue: "1",
        host: server.hostname,
        port: server.port,
        userName: user,
        dbName: database,
        sslmode: "prefer",
      },
      authParams: { password },
    });
    expect(await trigger.measure()).toMatchObject({ value: 5 });
  });

  /** 1 when the trigger's own connection is encrypted, else 0. */
  const TLS_IN_USE = "SELECT count(*) FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl";

  it.each([
    ["disable", 0],
    ["allow", 0],
    ["prefer", 1],
    ["require", 1],
  ])("connects with sslmode %s (TLS in use: %i)", async (sslmode, tls) => {
    const trigger = measurer(cleanup, {
      metadata: {
        query: TLS_IN_USE,
        targetQueryValue: "1",
        host: server.hostname,
        port: server.port,
        userName: user,
        dbName: database,
        sslmode,
      },
      authParams: { password },
    });
    expect(await trigger.measure()).toMatchObject({ value: tls });
  });

  it("verifies the server with sslrootcert in the connection string (verify-ca, verify-full)", async () => {
    const ca = join(services.postgresTlsDir, "ca.crt");
    for (const [sslmode, host] of [
      ["verify-ca", "127.0.0.1"],
      ["verify-full", "localhost"],
    ]) {
      const trigger = measurer(cleanup, {
        metadata: { query: TLS_IN_USE, targetQueryValue: "1" },
        authParams: {
          connection: `host=${host} port=${server.port} user=${user} password=${password} dbname=${database} sslmode=${sslmode} sslrootcert=${ca}`,
        },
      });
      expect(await trigger.measure()).toMatchObject({ value: 1 });
    }
    // Without the CA the server's certificate is not trusted.
    const unverified = measurer(cleanup, {
      metadata: { query: TLS_IN_USE, targetQueryValue: "1" },
      authParams: {
        connection: `host=127.0.0.1 port=${server.port} user=${user} password=${password} dbname=${database} sslmode=verify-full`,
      },
    });
    expect((await unverified.measure()).error).toMatch(/certificate/);
  });

  it("logs in with a client certificate, also with an encrypted key and sslpassword", async () => {
    const file = (name: string) => join(services.postgresTlsDir, name);
    const base = `host=127.0.0.1 port=${server.port} user=tidal_cert dbname=${database} sslmode=verify-full sslrootcert=${file("ca.crt")} sslcert=${file("client.crt")}`;
    const asCertificateUser = "SELECT (current_user = 'tidal_cert')::int";
    for (const key of [
      `sslkey=${file("client.key")}`,
      `sslkey=${file("client.enc.key")} sslpassword=tidal-test`,
    ]) {
      const trigger = measurer(cleanup, {
        metadata: { query: asCertificateUser, targetQueryValue: "1" },
        authParams: { connection: `${base} ${key}` },
      });
      expect(await trigger.measure()).toMatchObject({ value: 1 });
    }
    // sslmode allow tries plain text first; the server refuses it for tidal_cert, so TLS follows.
    const allow = measurer(cleanup, {
      metadata: { query: asCertificateUser, targetQueryValue: "1" },
      authParams: {
        connection: `host=127.0.0.1 port=${server.port} user=tidal_cert dbname=${database} sslmode=allow sslcert=${file("client.crt")} sslkey=${file("client.key")}`,
      },
    });
    expect(await allow.measure()).toMatchObject({ value: 1 });
    const noCertificate = measurer(cleanup, {
      metadata: { query: asCertificateUser, targetQueryValue: "1" },
      authParams: {
        connection: `host=127.0.0.1 port=${server.port} user=tidal_cert dbname=${database} sslmode=require`,
      },
    });
    expect((await noCertificate.measure()).error).toMatch(/certificate/);
  });

  it("explains a query without rows, a value that is not a number, and NULL", async () => {
    const table = await jobsTable(cleanup, 1);
    const cases: [string, string][] = [
      [`SELECT id FROM ${table} WHERE false`, "query returned no rows"],
      [`SELECT state FROM ${table}`, 'query returned "queued" in the first column, not a number'],
      ["SELECT NULL", "query returned NULL in the first column; wrap it in COALESCE(..., 0)"],
      [
        "SELECT count(*) FROM no_such_table_here",
        'query failed: relation "no_such_table_here" does not exist',
      ],
    ];
    for (const [query, error] of cases) {
      const trigger = measurer(cleanup, {
        metadata: { query, targetQueryValue: "1" },
        authParams: { connection: services.postgresUrl },
      });
      expect((await trigger.measure()).error, query).toBe(error);
    }
  });

  it("gives up on a slow query at the deadline and measures again afterwards", async () => {
    const trigger = measurer(cleanup, {
      metadata: { query: "SELECT CASE WHEN pg_sleep(5) IS NULL THEN 1 END", targetQueryValue: "1" },
      authParams: { connection: services.postgresUrl },
      timeoutMs: 1000,
    });
    const slow = await trigger.measure();
    // The server cancels the statement at the same moment (statement_timeout is the deadline).
    expect(slow.error).toMatch(
      /^(no answer within 1000 ms|query failed: canceling statement due to statement timeout)$/,
    );
    expect(slow.latencyMs).toBeLessThan(2000);

    const fast = measurer(cleanup, {
      metadata: { query: "SELECT 7", targetQueryValue: "1" },
      authParams: { connection: services.postgresUrl },
      timeoutMs: 1000,
    });
    expect(await fast.measure()).toMatchObject({ value: 7 });
  });

  it("names a wrong password without showing it", async () => {
    const url = new URL(services.postgresUrl);
    url.password = WRONG_PASSWORD;
    const trigger = measurer(cleanup, {
      metadata: { query: "SELECT 1", targetQueryValue: "1" },
      authParams: { connection: url.toString() },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot connect to PostgreSQL at ${server.hostname}:${server.port}: password authentication failed for user "${user}"`,
    );
    expect(sample.error).not.toContain(WRONG_PASSWORD);
  });

  it("reports an unreachable server within the deadline", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { query: "SELECT 1", targetQueryValue: "1" },
      authParams: { connection: `postgresql://${user}:${password}@127.0.0.1:${port}/${database}` },
      timeoutMs: 2000,
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot connect to PostgreSQL at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(sample.latencyMs).toBeLessThan(2000);
  });

  it("rejects a malformed connection before connecting, without showing it", () => {
    expect(() =>
      connectTestTrigger({
        type: "postgresql",
        metadata: { query: "SELECT 1", targetQueryValue: "1" },
        authParams: {
          connection: `postgresql://${user}:${WRONG_PASSWORD}@${server.hostname}:notaport/${database}`,
        },
      }),
    ).toThrow(
      /^invalid trigger: connection: the connection string is invalid: not a valid postgresql:\/\/ URL$/,
    );
  });

  it("shares one pool between triggers on the same server and credentials", async () => {
    const table = await jobsTable(cleanup, 2);
    const pool = new ConnectionPool();
    const triggers = [1, 2].map(() =>
      measurer(cleanup, {
        metadata: { query: `SELECT count(*) FROM ${table}`, targetQueryValue: "1" },
        authParams: { connection: services.postgresUrl },
        pool,
      }),
    );
    for (const trigger of triggers) expect(await trigger.measure()).toMatchObject({ value: 2 });
    expect(pool.size).toBe(1);
  });
});

describe("postgresql scaler with podIdentity azure-workload", () => {
  const cleanup = useCleanup();
  const tenantId = "11111111-2222-3333-4444-555555555555";
  const clientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
  const federatedToken = "eyJhbGciOiJSUzI1NiJ9.postgres-service-account-token.signature";
  const saved = { ...process.env };
  const variables = [
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_AUTHORITY_HOST",
  ];
  let entra: FakeEntra;
  let role: string;

  beforeAll(async () => {
    await trustFakeCertificate();
    entra = await startFakeEntra();
    entra.addApp({ tenantId, clientId, federatedToken });
    const file = join(mkdtempSync(join(tmpdir(), "tidal-pg-wi-")), "token");
    writeFileSync(file, federatedToken);
    // What the Azure Workload Identity webhook gives Tidal's own pod.
    process.env.AZURE_FEDERATED_TOKEN_FILE = file;
    process.env.AZURE_CLIENT_ID = clientId;
    process.env.AZURE_TENANT_ID = tenantId;
    process.env.AZURE_AUTHORITY_HOST = entra.authorityHost;
    // Azure Database for PostgreSQL checks the token as the role's password; the test server's
    // role has the token the fake issues as its password.
    role = uniqueIdentifier("pg_wi");
    const token = entra.tokenFor(clientId, AZURE_POSTGRES_SCOPE);
    await client.query(`CREATE ROLE ${role} LOGIN PASSWORD '${token}'`);
  });
  afterAll(async () => {
    await client.query(`DROP ROLE IF EXISTS ${role}`);
    await entra.close();
    for (const key of variables)
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
  });

  const metadata = () => ({
    host: server.hostname,
    port: server.port,
    userName: role,
    dbName: database,
    sslmode: "disable",
    query: `SELECT CASE WHEN current_user = '${role}' THEN 4 ELSE 0 END`,
    targetQueryValue: "2",
  });

  it("signs in with the identity's Entra ID token as the password, ignoring connection and password", async () => {
    const trigger = measurer(cleanup, {
      metadata: metadata(),
      // KEDA builds the connection from the separate parameters under this identity.
      authParams: { connection: `postgresql://nobody@127.0.0.1:1/none`, password: WRONG_PASSWORD },
      podIdentity: { provider: "azure-workload" },
    });
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
    expect(entra.requests.at(-1)).toMatchObject({
      clientId,
      scope: AZURE_POSTGRES_SCOPE,
      kind: "assertion",
      status: 200,
    });
  });

  it("takes the client and tenant from the podIdentity, and names Entra ID's refusal without the token", async () => {
    const other = "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee";
    entra.addApp({ tenantId, clientId: other, federatedToken: "a different subject" });
    const sample = await measurer(cleanup, {
      metadata: metadata(),
      podIdentity: {
        provider: "azure-workload",
        identityId: other,
        identityTenantId: tenantId,
        identityAuthorityHost: entra.authorityHost,
      },
    }).measure();
    expect(sample.error).toMatch(
      new RegExp(`^cannot connect to PostgreSQL at .*azure-workload identity \\(client ${other}\\)`),
    );
    expect(sample.error).not.toContain(federatedToken);
  });

  it("reports PostgreSQL's refusal when the token is not the role's password", async () => {
    const sample = await measurer(cleanup, {
      metadata: { ...metadata(), userName: "tidal" },
      podIdentity: { provider: "azure-workload" },
    }).measure();
    expect(sample.error).toMatch(/password authentication failed for user "tidal"/);
    expect(sample.error).not.toContain(entra.tokenFor(clientId, AZURE_POSTGRES_SCOPE));
  });

  it("names the separate parameters the identity needs when only a connection string is given", () => {
    const trigger = () =>
      measurer(cleanup, {
        metadata: { query: "SELECT 1", targetQueryValue: "2" },
        authParams: { connection: services.postgresUrl },
        podIdentity: { provider: "azure-workload" },
      });
    expect(trigger).toThrow(/host.*with podIdentity azure-workload the connection is built from host/);
  });
});

describe("postgresql scaler push (tidalPush)", () => {
  const cleanup = useCleanup();

  it("wakes the trigger when a producer inserts a row and notifies the channel in the same transaction", async () => {
    const table = await jobsTable(cleanup, 0);
    const channel = `${uniqueIdentifier("jobs")}_Mixed`;
    const trigger = measurer(cleanup, {
      metadata: {
        query: `SELECT count(*) FROM ${table}`,
        targetQueryValue: "1",
        tidalPush: "true",
        tidalPushChannel: channel,
      },
      authParams: { connection: services.postgresUrl },
    });
    const { wakes, errors } = watchPushes(cleanup, trigger);

    // LISTEN may still be on its way: produce until a wake arrives.
    await eventually("a wake after INSERT + pg_notify", async () => {
      await client.query("BEGIN");
      await client.query(`INSERT INTO ${table} (state) VALUES ('queued')`);
      await client.query("SELECT pg_notify($1, '')", [channel]);
      await client.query("COMMIT");
      return wakes() > 0;
    });
    expect(errors).toEqual([]);
    expect(await trigger.measure()).toMatchObject({ active: true });
  });

  it("shares one LISTEN connection between triggers and wakes only those on the notified channel", async () => {
    const pool = new ConnectionPool();
    const first = uniqueIdentifier("first");
    const second = uniqueIdentifier("second");
    const wakes = new Map([
      [first, 0],
      [second, 0],
    ]);
    for (const channel of [first, second]) {
      const trigger = measurer(cleanup, {
        metadata: { query: "SELECT 1", targetQueryValue: "1", tidalPush: "true", tidalPushChannel: channel },
        authParams: { connection: services.postgresUrl },
        pool,
      });
      cleanup.add(
        trigger.scaler.watch?.(
          () => wakes.set(channel, (wakes.get(channel) ?? 0) + 1),
          () => {},
        ) ?? (() => {}),
      );
    }
    await eventually("a wake on the second channel", async () => {
      await client.query(`NOTIFY ${second}`);
      return (wakes.get(second) ?? 0) > 0;
    });
    expect(wakes.get(first)).toBe(0);
    const listeners = await client.query<{ count: string }>(
      "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' AND (query LIKE $1 OR query LIKE $2)",
      [`%${first}%`, `%${second}%`],
    );
    expect(Number(listeners.rows[0]?.count)).toBe(1);
  });

  it("reports a server it cannot reach through onError", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { query: "SELECT 1", targetQueryValue: "1", tidalPush: "true", tidalPushChannel: "jobs" },
      authParams: { connection: `postgresql://tidal:tidal@127.0.0.1:${port}/tidal?sslmode=disable` },
    });
    const { errors } = watchPushes(cleanup, trigger);
    const error = await eventually("an error from the push path", () => errors[0]);
    expect(error.message).toMatch(
      /^push: LISTEN connection to PostgreSQL at 127.0.0.1:\d+ failed .*polling continues$/,
    );
  });
});
