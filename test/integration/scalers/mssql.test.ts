import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionPool } from "../../../src/scalers/connection-pool.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { startFakeEntra, type FakeEntra } from "../../support/fakes/fake-entra.ts";
import { FakeMssql, MSSQL_SPN, type QueryResult } from "../../support/fakes/fake-mssql.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// SQL Server does not run here: the scaler is driven through tedious against fake-mssql, a loopback
// fake speaking TDS 7.4 (prelogin, SQL Server authentication, SQL batches).
const PASSWORD = `canary-${randomBytes(6).toString("hex")}#;`;
let mssql: FakeMssql;
let entra: FakeEntra;

beforeAll(async () => {
  mssql = await FakeMssql.start();
  mssql.logins.set("keda", PASSWORD);
  mssql.databases.add("jobs");
  await trustFakeCertificate();
  entra = await startFakeEntra();
});
afterAll(() => Promise.all([mssql.close(), entra.close()]));

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "mssql", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

function query(result: QueryResult): string {
  const sql = `SELECT COUNT(*) FROM ${uniqueName("jobs")}`;
  mssql.queries.set(sql, result);
  return sql;
}

function expectNoCanary(output: unknown): void {
  expect(JSON.stringify(output)).not.toContain(PASSWORD);
}

describe("mssql scaler (fake-mssql)", () => {
  const cleanup = useCleanup();

  it("reads the first column of the first row from host, port, username and password", async () => {
    const sql = query({ columns: [{ name: "", type: "int" }], rows: [[7], [100]] });
    const trigger = measurer(cleanup, {
      metadata: {
        host: "127.0.0.1",
        port: String(mssql.port),
        database: "jobs",
        username: "keda",
        query: sql,
        targetValue: "5",
        activationTargetValue: "7",
      },
      authParams: { password: PASSWORD },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: "s0-mssql", value: 7, active: false });
    expectNoCanary(sample);
    mssql.queries.set(sql, { columns: [{ name: "", type: "float" }], rows: [[7.5]] });
    expect(await trigger.measure()).toMatchObject({ value: 7.5, active: true });
    expect(mssql.batches.filter((batch) => batch === sql)).toHaveLength(2);
    expect(mssql.sessions.at(-1)).toEqual({ user: "keda", database: "jobs", appName: "tidal" });
  });

  it("takes a sqlserver:// URL or an ADO connection string, and reads bigint, text and no row", async () => {
    const bigint = query({ columns: [{ name: "", type: "bigint" }], rows: [["9007199254740993"]] });
    const url = `sqlserver://keda:${encodeURIComponent(PASSWORD)}@127.0.0.1:${mssql.port}?database=jobs`;
    const fromUrl = measurer(cleanup, {
      metadata: { query: bigint, targetValue: "1" },
      authParams: { connectionString: url },
    });
    expect((await fromUrl.measure()).value).toBe(9007199254740992);
    const text = query({ columns: [{ name: "n", type: "nvarchar" }], rows: [[" 12.5 "]] });
    const ado = `Server=127.0.0.1,${mssql.port};Database=jobs;User ID=keda;Password={${PASSWORD}};Encrypt=False`;
    const fromAdo = measurer(cleanup, {
      metadata: { query: text, targetValue: "1", connectionStringFromEnv: "MSSQL_CONNECTION" },
      resolvedEnv: { MSSQL_CONNECTION: ado },
    });
    const sample = await fromAdo.measure();
    expect(sample).toMatchObject({ value: 12.5, active: true });
    expectNoCanary(sample);
    const none = query({ columns: [{ name: "", type: "int" }], rows: [] });
    const empty = measurer(cleanup, {
      metadata: { query: none, targetValue: "1" },
      authParams: { connectionString: url },
    });
    expect(await empty.measure()).toMatchObject({ value: 0, active: false });
  });

  it("shares a connection between triggers on one server and opens it again after it drops", async () => {
    const connectionString = `sqlserver://keda:${encodeURIComponent(PASSWORD)}@127.0.0.1:${mssql.port}?database=jobs`;
    const first = query({ columns: [{ name: "", type: "int" }], rows: [[1]] });
    const second = query({ columns: [{ name: "", type: "int" }], rows: [[2]] });
    const logins = mssql.sessions.length;
    const pool = new ConnectionPool();
    const one = measurer(cleanup, {
      metadata: { query: first, targetValue: "1" },
      authParams: { connectionString },
      pool,
    });
    const two = measurer(cleanup, {
      metadata: { query: second, targetValue: "1" },
      authParams: { connectionString },
      pool,
    });
    const values = await Promise.all([one.measure(), two.measure()]);
    expect(values.map((sample) => sample.value)).toEqual([1, 2]);
    expect(mssql.sessions.length - logins).toBe(1);
    mssql.dropConnections();
    expect(await one.measure()).toMatchObject({ value: 1 });
    expect(mssql.sessions.length - logins).toBe(2);
  });

  it("gives up a query that outlives the deadline, and a new connection serves the next one", async () => {
    const connectionString = `sqlserver://keda:${encodeURIComponent(PASSWORD)}@127.0.0.1:${mssql.port}?database=jobs`;
    const slow = query({ hang: true });
    const trigger = measurer(cleanup, {
      metadata: { query: slow, targetValue: "1" },
      authParams: { connectionString },
      timeoutMs: 500,
    });
    expect((await trigger.measure()).error).toBe("no answer within 500 ms");
    mssql.queries.set(slow, { columns: [{ name: "", type: "int" }], rows: [[3]] });
    const logins = mssql.sessions.length;
    expect(await trigger.measure()).toMatchObject({ value: 3 });
    expect(mssql.sessions.length).toBe(logins + 1);
  });

  it("logs in with podIdentity azure-workload: an Entra ID token for SQL Database", async () => {
    const tenantId = "11111111-2222-3333-4444-555555555555";
    const clientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    const federatedToken = `eyJ.canary-${randomBytes(6).toString("hex")}.sig`;
    const file = join(mkdtempSync(join(tmpdir(), "tidal-wi-")), "token");
    writeFileSync(file, federatedToken);
    entra.addApp({ tenantId, clientId, federatedToken });
    const scope = `${MSSQL_SPN}.default`;
    mssql.accessTokens.set(entra.tokenFor(clientId, scope), clientId);
    const sql = query({ columns: [{ name: "", type: "int" }], rows: [[4]] });
    const trigger = measurer(cleanup, {
      metadata: {
        host: "127.0.0.1",
        port: String(mssql.port),
        database: "jobs",
        query: sql,
        targetValue: "1",
      },
      podIdentity: {
        provider: "azure-workload",
        identityId: clientId,
        identityTenantId: tenantId,
        identityAuthorityHost: entra.authorityHost,
      },
      processEnvironment: { AZURE_FEDERATED_TOKEN_FILE: file },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ value: 4, active: true });
    expect(mssql.sessions.at(-1)).toEqual({ user: clientId, database: "jobs", appName: "tidal" });
    expect(entra.requests.at(-1)).toMatchObject({ clientId, scope, kind: "assertion", status: 200 });
    expect(JSON.stringify(sample)).not.toContain(federatedToken);

    mssql.accessTokens.clear();
    const refused = measurer(cleanup, {
      metadata: {
        host: "127.0.0.1",
        port: String(mssql.port),
        database: "master",
        query: sql,
        targetValue: "1",
      },
      podIdentity: {
        provider: "azure-workload",
        identityId: clientId,
        identityTenantId: tenantId,
        identityAuthorityHost: entra.authorityHost,
      },
      processEnvironment: { AZURE_FEDERATED_TOKEN_FILE: file },
    });
    const error = (await refused.measure()).error;
    expect(error).toBe(
      `cannot connect to SQL Server at 127.0.0.1:${mssql.port}: Login failed for user '<token-identified principal>'.`,
    );
    expect(error).not.toContain(federatedToken);
  });

  it("reports NULL, a value that is no number, and a missing table", async () => {
    const connectionString = `sqlserver://keda:${encodeURIComponent(PASSWORD)}@127.0.0.1:${mssql.port}?database=jobs`;
    const run = async (result: QueryResult) =>
      (
        await measurer(cleanup, {
          metadata: { query: query(result), targetValue: "1" },
          authParams: { connectionString },
        }).measure()
      ).error;
    expect(await run({ columns: [{ name: "", type: "int" }], rows: [[null]] })).toBe(
      "query returned NULL in the first column; wrap it in COALESCE(..., 0)",
    );
    expect(await run({ columns: [{ name: "", type: "bit" }], rows: [[true]] })).toBe(
      "query returned a boolean in the first column, not a number",
    );
    expect(await run({ error: { number: 208, message: "Invalid object name 'dbo.jobs'." } })).toBe(
      "query failed: Invalid object name 'dbo.jobs'.",
    );
  });

  it("reports wrong credentials and a missing database without the password", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const sql = query({ columns: [{ name: "", type: "int" }], rows: [[1]] });
    const badPassword = measurer(cleanup, {
      metadata: {
        host: "127.0.0.1",
        port: String(mssql.port),
        username: "keda",
        query: sql,
        targetValue: "1",
      },
      authParams: { password: wrong },
    });
    const sample = await badPassword.measure();
    expect(sample.error).toBe(
      `cannot connect to SQL Server at 127.0.0.1:${mssql.port}: Login failed for user 'keda'.`,
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
    const missing = uniqueName("absent");
    const database = measurer(cleanup, {
      metadata: {
        host: "127.0.0.1",
        port: String(mssql.port),
        username: "keda",
        database: missing,
        query: sql,
        targetValue: "1",
      },
      authParams: { password: PASSWORD },
    });
    const noDatabase = await database.measure();
    expect(noDatabase.error).toBe(
      `cannot connect to SQL Server at 127.0.0.1:${mssql.port}: Cannot open database "${missing}" requested by the login. The login failed. Login failed for user 'keda'.`,
    );
    expectNoCanary(noDatabase);
  });

  it("reports a server that cannot encrypt when encrypt=true", async () => {
    const sql = query({ columns: [{ name: "", type: "int" }], rows: [[1]] });
    const trigger = measurer(cleanup, {
      metadata: { query: sql, targetValue: "1" },
      authParams: {
        connectionString: `sqlserver://keda:${encodeURIComponent(PASSWORD)}@127.0.0.1:${mssql.port}?encrypt=true`,
      },
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      /^cannot connect to SQL Server at 127\.0\.0\.1:\d+: Server did not negotiate encryption/,
    );
    expectNoCanary(sample);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        host: "127.0.0.1",
        port: String(port),
        username: "keda",
        query: "SELECT 1",
        targetValue: "5",
      },
      authParams: { password: PASSWORD },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot connect to SQL Server at 127.0.0.1:${port}: Failed to connect to 127.0.0.1:${port} - connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expectNoCanary(sample);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
