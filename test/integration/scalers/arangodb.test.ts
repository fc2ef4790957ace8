import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeArangoDb } from "../../support/fakes/fake-arangodb.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// ArangoDB has no package that runs here (not in Debian, nor on the registries): the scaler is
// driven against fake-arangodb, a loopback fake of ArangoDB's documented HTTP API, over HTTPS.
const PASSWORD = `canary-${randomBytes(6).toString("hex")}`;
const JWT_SECRET = `canary-jwt-${randomBytes(6).toString("hex")}`;
let arango: FakeArangoDb;

beforeAll(async () => {
  await trustFakeCertificate();
  arango = await FakeArangoDb.start({ tls: true });
  arango.users.set("reader", PASSWORD);
  arango.jwtSecret = JWT_SECRET;
  arango.databases.set("jobs", new Set(["tasks"]));
});
afterAll(() => arango.close());

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "arangodb", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

const basic = { authModes: "basic" };
const credentials = { username: "reader", password: PASSWORD };

function query(value: unknown): string {
  const text = `RETURN { value: ${uniqueName("q").length} } /* ${uniqueName("q")} */`;
  arango.queries.set(text, [{ value }]);
  return text;
}

describe("arangodb scaler (fake-arangodb)", () => {
  const cleanup = useCleanup();

  it("reads the value of the one document, inactive at activationQueryValue and active above it", async () => {
    const aql = query(4);
    const trigger = measurer(cleanup, {
      metadata: {
        ...basic,
        endpoints: arango.url,
        dbName: "jobs",
        collection: "tasks",
        query: aql,
        queryValue: "2",
        activationQueryValue: "4",
      },
      authParams: credentials,
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: "s0-arangodb", value: 4, active: false });
    expect(JSON.stringify(sample)).not.toContain(PASSWORD);
    arango.queries.set(aql, [{ value: 4.5 }]);
    expect(await trigger.measure()).toMatchObject({ value: 4.5, active: true });
    const cursor = arango.requests.findLast((request) => request.path === "/_db/jobs/_api/cursor");
    expect(JSON.parse(cursor?.body ?? "{}")).toEqual({ query: aql, count: true });
  });

  it("authenticates with a superuser JWT signed with the bearer secret, and fails over between endpoints", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        authModes: "bearer",
        endpoints: `https://127.0.0.1:${port},${arango.url}`,
        dbName: "jobs",
        collection: "tasks",
        query: query(9),
        queryValue: "1",
      },
      authParams: { bearerToken: JWT_SECRET },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ value: 9 });
    expect(JSON.stringify(sample)).not.toContain(JWT_SECRET);
    expect(arango.requests.at(-1)?.headers.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it("reports a missing database, a missing collection, a query ArangoDB rejects, and several documents", async () => {
    const read = async (metadata: Record<string, string>) =>
      (
        await measurer(cleanup, {
          metadata: {
            ...basic,
            endpoints: arango.url,
            dbName: "jobs",
            collection: "tasks",
            queryValue: "1",
            ...metadata,
          },
          authParams: credentials,
        }).measure()
      ).error;
    expect(await read({ dbName: "absent", query: query(1) })).toBe(
      "failed to inspect arangoDB, absent database not found",
    );
    expect(await read({ collection: "absent", query: query(1) })).toBe(
      "failed to inspect arangoDB, absent collection not found in jobs database",
    );
    expect(await read({ query: "RETRUN 1" })).toBe(
      "failed to inspect arangoDB, failed to execute the query, AQL: syntax error, unexpected identifier near 'RETRUN 1' at position 1:1 (while parsing)",
    );
    const several = `FOR t IN tasks RETURN t /* ${uniqueName("q")} */`;
    arango.queries.set(several, [{ value: 1 }, { value: 2 }]);
    expect(await read({ query: several })).toBe(
      "failed to inspect arangoDB, more than one values received, please check the query (2 documents)",
    );
  });

  it("reports wrong credentials without the password", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: {
        ...basic,
        endpoints: arango.url,
        dbName: "jobs",
        collection: "tasks",
        query: query(1),
        queryValue: "1",
      },
      authParams: { username: "reader", password: wrong },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      "failed to inspect arangoDB, failed to check if jobs database exists, not authorized to execute this request",
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        ...basic,
        endpoints: `https://127.0.0.1:${port}`,
        dbName: "jobs",
        collection: "tasks",
        query: "RETURN 1",
        queryValue: "5",
      },
      authParams: credentials,
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `failed to inspect arangoDB, failed to check if jobs database exists, cannot reach https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(PASSWORD);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
