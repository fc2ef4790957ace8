/**
 * The influxdb scaler against InfluxDB 1.8's InfluxDB 2 compatible Flux API (/api/v2/query),
 * which the scaler asks through @influxdata/influxdb-client as KEDA asks through InfluxDB 2's Go
 * client. Points are written with InfluxDB 1.x's /write API.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("influxdb"));

async function influx(path: string, body: string): Promise<void> {
  const [user = "", password = ""] = services.influxdbToken.split(":");
  const response = await fetch(new URL(path, services.influxdbUrl), {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
      "Content-Type": path.startsWith("/query") ? "application/x-www-form-urlencoded" : "text/plain",
    },
    body,
  });
  if (!response.ok) throw new Error(`InfluxDB ${path}: HTTP ${response.status}: ${await response.text()}`);
}

/** A database no other test uses; dropped by the cleanup. */
async function database(cleanup: Cleanup): Promise<string> {
  const name = `jobs_${process.pid}_${randomBytes(4).toString("hex")}`;
  await influx("/query", `q=${encodeURIComponent(`CREATE DATABASE ${name}`)}`);
  cleanup.add(() => influx("/query", `q=${encodeURIComponent(`DROP DATABASE ${name}`)}`));
  return name;
}

async function write(db: string, lines: string[]): Promise<void> {
  await influx(`/write?db=${db}&precision=ms`, lines.join("\n"));
}

const lastOf = (db: string, measurement: string, field: string) =>
  `from(bucket: "${db}/autogen") |> range(start: -1h) |> filter(fn: (r) => r._measurement == "${measurement}" and r._field == "${field}") |> last()`;

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "influxdb", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("influxdb scaler against InfluxDB 1.8's Flux API", () => {
  const cleanup = useCleanup();
  const auth = () => ({ authToken: services.influxdbToken });

  it("reads the first record's _value, inactive at the activation threshold and active above it", async () => {
    const db = await database(cleanup);
    const now = Date.now();
    await write(db, [`queue,name=orders depth=3 ${now - 1000}`]);
    const trigger = measurer(cleanup, {
      metadata: {
        serverURL: services.influxdbUrl,
        organizationName: "jobs-org",
        query: lastOf(db, "queue", "depth"),
        thresholdValue: "2",
        activationThresholdValue: "3",
      },
      authParams: auth(),
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-influxdb-jobs-org",
      value: 3,
      active: false,
    });
    await write(db, [`queue,name=orders depth=4.5 ${now}`]);
    expect(await trigger.measure()).toMatchObject({ value: 4.5, active: true });
  });

  it("reads an integer field; a string field or an empty result is an error, as in KEDA", async () => {
    const db = await database(cleanup);
    await write(db, [`queue,name=orders pending=7i,owner="team-a" ${Date.now()}`]);
    const base = { serverURL: services.influxdbUrl, organizationName: "jobs-org", thresholdValue: "1" };
    const integer = measurer(cleanup, {
      metadata: { ...base, query: lastOf(db, "queue", "pending") },
      authParams: auth(),
    });
    expect(await integer.measure()).toMatchObject({ value: 7 });
    const text = measurer(cleanup, {
      metadata: { ...base, query: lastOf(db, "queue", "owner") },
      authParams: auth(),
    });
    expect((await text.measure()).error).toBe("value of type string could not be converted into a float");
    const none = measurer(cleanup, {
      metadata: { ...base, query: lastOf(db, "absent", "depth") },
      authParams: auth(),
    });
    expect((await none.measure()).error).toBe("no results found from query");
  });

  it("reports wrong credentials without showing them, and a bucket InfluxDB does not have", async () => {
    const token = `tidal:wrong-${randomBytes(6).toString("hex")}`;
    const base = { serverURL: services.influxdbUrl, organizationName: "jobs-org", thresholdValue: "1" };
    const refused = measurer(cleanup, {
      metadata: { ...base, query: lastOf("jobs", "queue", "depth") },
      authParams: { authToken: token },
    });
    const sample = await refused.measure();
    expect(sample.error).toMatch(/authorization failed/);
    expect(sample.error).not.toContain(token.slice(6));
    const missing = `missing_${randomBytes(4).toString("hex")}`;
    const noBucket = measurer(cleanup, {
      metadata: { ...base, query: lastOf(missing, "queue", "depth") },
      authParams: auth(),
    });
    expect((await noBucket.measure()).error).toBe(
      "failed to initialize execute state: no database (HTTP 500)",
    );
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        serverURL: `http://127.0.0.1:${port}`,
        organizationName: "jobs-org",
        query: lastOf("jobs", "queue", "depth"),
        thresholdValue: "2.5",
      },
      authParams: auth(),
    });
    expect((await trigger.measure()).error).toMatch(/ECONNREFUSED/);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 10]);
  });
});
