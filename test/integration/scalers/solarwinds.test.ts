import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { startFakeSolarWinds, type FakeSolarWinds } from "../../support/fakes/fake-solarwinds.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// SolarWinds Observability is a SaaS: the scaler is driven against fake-solarwinds, a loopback fake
// of its documented metric measurements endpoint.
const TOKEN = `canary-${randomBytes(8).toString("hex")}`;
let solarwinds: FakeSolarWinds;

beforeAll(async () => {
  solarwinds = await startFakeSolarWinds();
  solarwinds.tokens.add(TOKEN);
  const old = Date.now() - 3_600_000;
  solarwinds.series.push(
    {
      metric: "jobs.pending",
      attributes: { queue: "orders" },
      points: [{ value: 4 }, { value: 8 }, { value: 100, at: old }],
    },
    { metric: "jobs.pending", attributes: { queue: "mail" }, points: [{ value: 1 }] },
    { metric: "jobs.idle", points: [{ value: 0, at: old }] },
  );
});
afterAll(() => solarwinds.close());

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "solarwinds",
    ...trigger,
    metadata: {
      host: solarwinds.origin,
      metricName: "jobs.pending",
      aggregation: "AVG",
      intervalS: "300",
      targetValue: "5",
      ...trigger.metadata,
    },
    authParams: trigger.authParams ?? { apiToken: TOKEN },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("solarwinds scaler against fake-solarwinds", () => {
  const cleanup = useCleanup();

  it("reads the interval's aggregate of the filtered grouping, active above activationValue", async () => {
    const sample = await measurer(cleanup, {
      metadata: { filter: "queue:orders", activationValue: "6" },
    }).measure();
    expect(sample).toMatchObject({ metricName: "s0-solarwinds", value: 6, active: false });
    const request = solarwinds.requests.at(-1);
    expect(request?.path).toBe("/v1/metrics/jobs.pending/measurements");
    expect(request?.query.get("seriesType")).toBe("SCALAR");
    expect(request?.query.get("aggregateBy")).toBe("AVG");
    expect(request?.query.get("filter")).toBe("queue:orders");
    const start = Date.parse(request?.query.get("startTime") ?? "");
    const end = Date.parse(request?.query.get("endTime") ?? "");
    expect(end - start).toBe(300_000);
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);

    const max = measurer(cleanup, { metadata: { filter: "queue:[orders,mail]", aggregation: "MAX" } });
    expect(await max.measure()).toMatchObject({ value: 8, active: true });
  });

  it("fails as KEDA does when the interval has no measurement", async () => {
    const sample = await measurer(cleanup, { metadata: { metricName: "jobs.idle" } }).measure();
    expect(sample.error).toBe(
      "no measurements found in response (metric jobs.idle has no data in the interval)",
    );
  });

  it("says the token was refused, without the token", async () => {
    const wrong = `canary-wrong-${randomBytes(6).toString("hex")}`;
    const sample = await measurer(cleanup, { authParams: { apiToken: wrong } }).measure();
    expect(sample.error).toBe(
      "SolarWinds answered HTTP 401 for metric jobs.pending (check the apiToken): Unauthorized: Invalid or missing API token",
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("names a metric that does not exist", async () => {
    const sample = await measurer(cleanup, { metadata: { metricName: "no.such.metric" } }).measure();
    expect(sample.error).toBe(
      "SolarWinds answered HTTP 404 for metric no.such.metric: ResourceNotFound: Metric no.such.metric not found",
    );
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, { metadata: { host: `http://127.0.0.1:${port}` } });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(TOKEN);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
