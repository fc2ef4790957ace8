import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("couchdb"));

const server = () => new URL(services.couchdbUrl);
const admin = () => ({
  username: decodeURIComponent(server().username),
  password: decodeURIComponent(server().password),
});

/**
 * A database name no other test uses. Not uniqueName: its "tidal-" prefix is the test password,
 * which error messages redact.
 */
const databaseName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(4).toString("hex")}`;

async function couch(method: string, path: string, body?: unknown): Promise<unknown> {
  const { username, password } = admin();
  const response = await fetch(new URL(path, `${server().protocol}//${server().host}`), {
    method,
    headers: {
      "Content-Type": "application/json",
      Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const answer: unknown = await response.json();
  if (!response.ok) throw new Error(`CouchDB ${method} ${path}: ${JSON.stringify(answer)}`);
  return answer;
}

/** A database with `feet` documents having feet 1, 2, …; deleted by the cleanup. */
async function animals(cleanup: Cleanup, count: number): Promise<string> {
  const name = databaseName("animals");
  await couch("PUT", `/${name}`);
  cleanup.add(() => couch("DELETE", `/${name}`));
  await add(name, count, 1);
  return name;
}

async function add(name: string, count: number, firstFeet: number): Promise<void> {
  const docs = Array.from({ length: count }, (_, index) => ({ feet: firstFeet + index, greeting: "hello" }));
  await couch("POST", `/${name}/_bulk_docs`, { docs });
}

const query = (minimum: number) =>
  JSON.stringify({ selector: { feet: { $gt: minimum } }, fields: ["_id", "feet", "greeting"] });

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "couchdb", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("couchdb scaler against pouchdb-server", () => {
  const cleanup = useCleanup();

  it("counts the documents a Mango query finds, inactive at activationQueryValue and active above it", async () => {
    const name = await animals(cleanup, 4);
    const trigger = measurer(cleanup, {
      metadata: { query: query(1), queryValue: "2", activationQueryValue: "3" },
      authParams: { host: server().hostname, port: server().port, ...admin(), dbName: name },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-coucdb-${name}`,
      value: 3,
      active: false,
    });
    await add(name, 1, 10);
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("connects with connectionStringFromEnv, its credentials in the URL", async () => {
    const name = await animals(cleanup, 2);
    const trigger = measurer(cleanup, {
      metadata: { query: query(0), queryValue: "1", dbName: name, connectionStringFromEnv: "COUCHDB_URL" },
      resolvedEnv: { COUCHDB_URL: services.couchdbUrl },
    });
    expect(await trigger.measure()).toMatchObject({ value: 2 });
  });

  it("sends only the query's selector and fields, as KEDA does: other keys such as limit are dropped", async () => {
    // CouchDB then applies its default limit of 25 documents; pouchdb-server has no default limit.
    const name = await animals(cleanup, 30);
    const trigger = measurer(cleanup, {
      metadata: { query: JSON.stringify({ selector: { feet: { $gt: 0 } }, limit: 2 }), queryValue: "1" },
      authParams: { host: server().hostname, port: server().port, ...admin(), dbName: name },
    });
    expect(await trigger.measure()).toMatchObject({ value: 30 });
  });

  it("names a database that does not exist", async () => {
    const name = databaseName("missing");
    const trigger = measurer(cleanup, {
      metadata: { query: query(0), queryValue: "1", dbName: name },
      authParams: { host: server().hostname, port: server().port, ...admin() },
    });
    expect((await trigger.measure()).error).toMatch(
      new RegExp(
        `^error executing query: CouchDB answered HTTP 404: not_found: .*\\(does the database "${name}" exist\\?\\)$`,
      ),
    );
  });

  it("reports wrong credentials without showing the password", async () => {
    const name = await animals(cleanup, 1);
    const password = `wrong-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { query: query(0), queryValue: "1" },
      authParams: {
        host: server().hostname,
        port: server().port,
        username: admin().username,
        password,
        dbName: name,
      },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      "error executing query: CouchDB answered HTTP 401: unauthorized: Name or password is incorrect. (check the password)",
    );
    expect(sample.error).not.toContain(password);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const password = `canary-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { query: query(0), queryValue: "5", dbName: "animals" },
      authParams: { connectionString: `http://admin:${password}@127.0.0.1:${port}` },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
