import { randomBytes } from "node:crypto";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { uniqueIdentifier, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("mongodb"));

let client: MongoClient;
beforeAll(async () => {
  client = new MongoClient(services.mongodbUrl, { serverSelectionTimeoutMS: 10_000 });
  await client.connect();
});
afterAll(() => client?.close());

const url = () => new URL(services.mongodbUrl);

/** A collection in the tidal database with `pending` pending and `done` done tasks; dropped by the cleanup. */
async function tasks(cleanup: Cleanup, pending: number, done = 0): Promise<string> {
  const name = uniqueIdentifier("tasks");
  const collection = client.db("tidal").collection(name);
  const documents = [
    ...Array.from({ length: pending }, (_, index) => ({ status: "pending", index })),
    ...Array.from({ length: done }, (_, index) => ({ status: "done", index })),
  ];
  if (documents.length > 0) await collection.insertMany(documents);
  else await client.db("tidal").createCollection(name);
  cleanup.add(() => collection.drop().catch(() => undefined));
  return name;
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "mongodb", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

const query = '{"status": "pending"}';

describe("mongodb scaler against FerretDB", () => {
  const cleanup = useCleanup();

  it("counts the matching documents, inactive at activationQueryValue and active above it", async () => {
    const collection = await tasks(cleanup, 3, 2);
    const trigger = measurer(cleanup, {
      metadata: { dbName: "tidal", collection, query, queryValue: "2", activationQueryValue: "3" },
      authParams: { connectionString: services.mongodbUrl },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-mongodb-${collection}`,
      value: 3,
      active: false,
    });
    await client.db("tidal").collection(collection).insertOne({ status: "pending" });
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("builds the connection from host, port, username and password, the password from the environment", async () => {
    const collection = await tasks(cleanup, 2);
    const trigger = measurer(cleanup, {
      metadata: { collection, query, queryValue: "1", passwordFromEnv: "MONGO_PASSWORD" },
      authParams: {
        dbName: "tidal",
        host: url().hostname,
        port: url().port,
        username: decodeURIComponent(url().username),
      },
      resolvedEnv: { MONGO_PASSWORD: decodeURIComponent(url().password) },
    });
    expect(await trigger.measure()).toMatchObject({ value: 2, active: true });
  });

  it("takes extended JSON filters", async () => {
    const collection = await tasks(cleanup, 5);
    const trigger = measurer(cleanup, {
      metadata: {
        dbName: "tidal",
        collection,
        query: '{"index": {"$gte": {"$numberInt": "3"}}}',
        queryValue: "1",
      },
      authParams: { connectionString: services.mongodbUrl },
    });
    expect(await trigger.measure()).toMatchObject({ value: 2 });
  });

  it("reads a missing collection as 0, inactive", async () => {
    const trigger = measurer(cleanup, {
      metadata: { dbName: "tidal", collection: uniqueIdentifier("none"), query, queryValue: "1" },
      authParams: { connectionString: services.mongodbUrl },
    });
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
  });

  it("names an empty filter as KEDA refuses it", async () => {
    const collection = await tasks(cleanup, 1);
    const trigger = measurer(cleanup, {
      metadata: { dbName: "tidal", collection, query: "{}", queryValue: "1" },
      authParams: { connectionString: services.mongodbUrl },
    });
    expect((await trigger.measure()).error).toBe("failed to parse query: empty bson document");
  });

  it("reports wrong credentials without showing the password", async () => {
    const collection = await tasks(cleanup, 1);
    const password = `wrong-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { collection, query, queryValue: "1" },
      authParams: { dbName: "tidal", host: url().hostname, port: url().port, username: "tidal", password },
      timeoutMs: 10_000,
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(/^cannot connect to MongoDB: Authentication failed/);
    expect(sample.error).not.toContain(password);
  });

  it("reports an unreachable server within the deadline, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const password = `canary-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { dbName: "tidal", collection: "tasks", query, queryValue: "5" },
      authParams: { connectionString: `mongodb://tidal:${password}@127.0.0.1:${port}/tidal` },
      timeoutMs: 1500,
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(/^cannot connect to MongoDB: .*ECONNREFUSED/);
    expect(sample.error).not.toContain(password);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
