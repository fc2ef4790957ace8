/**
 * The elastic-forecast scaler against fake-elasticsearch (test/support/fakes/fake-elasticsearch.ts):
 * the fake answers Elasticsearch's ML forecast API and writes the forecast's results into the
 * OpenSearch test server, which runs the scaler's search for the bucket at now + lookAhead.
 */
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeElasticsearch } from "../../support/fakes/fake-elasticsearch.ts";
import { eventually, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("opensearch"));

const credentials = () => ({ username: services.opensearchUsername, password: services.opensearchPassword });
const jobName = (prefix: string) => `${prefix}-${process.pid}-${randomBytes(4).toString("hex")}`;

async function elasticsearch(cleanup: Cleanup): Promise<FakeElasticsearch> {
  const fake = await FakeElasticsearch.start(services.opensearchUrl);
  cleanup.add(() => fake.close());
  return fake;
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "elastic-forecast", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("elastic-forecast scaler against fake-elasticsearch and OpenSearch", () => {
  const cleanup = useCleanup();

  it("creates a forecast and reads the prediction for now + lookAhead", async () => {
    const fake = await elasticsearch(cleanup);
    const job = jobName("requests");
    const start = Date.now();
    // The prediction grows with time, so the bucket read shows which one the search found.
    fake.addJob(job, { bucketSpanMs: 60_000, predict: (time) => (time - start < 4 * 60_000 ? 10 : 50) });
    const trigger = measurer(cleanup, {
      metadata: {
        addresses: fake.url,
        jobID: job,
        lookAhead: "5m",
        targetValue: "20",
        activationTargetValue: "30",
      },
      authParams: credentials(),
    });
    const reading = await eventually("the forecast to be created and read", async () => {
      const sample = await trigger.measure();
      return sample.value !== undefined && sample.value > 0 ? sample : undefined;
    });
    expect(reading).toMatchObject({ metricName: `s0-elastic-forecast-${job}`, value: 50, active: true });
    expect(fake.forecasts).toEqual([
      { jobId: job, forecastId: expect.any(String), body: { duration: "600s", expires_in: "600s" } },
    ]);
  });

  it("reads 0 for a partition the forecast does not have", async () => {
    const fake = await elasticsearch(cleanup);
    const job = jobName("by-app");
    fake.addJob(job, { bucketSpanMs: 60_000, predict: () => 7, partitionFieldValue: "checkout" });
    const other = measurer(cleanup, {
      metadata: {
        addresses: fake.url,
        jobID: job,
        lookAhead: "2m",
        targetValue: "5",
        partitionFieldValue: "search",
      },
      authParams: credentials(),
    });
    await eventually("the forecast to be created", () => fake.forecasts.length === 1);
    expect(await other.measure()).toMatchObject({ value: 0, active: false });
    const same = measurer(cleanup, {
      metadata: {
        addresses: fake.url,
        jobID: job,
        lookAhead: "2m",
        targetValue: "5",
        partitionFieldValue: "checkout",
      },
      authParams: credentials(),
    });
    await eventually("the partition's forecast to be read", async () => (await same.measure()).value === 7);
  });

  it("reports a job Elasticsearch does not have, and wrong credentials without showing them", async () => {
    const fake = await elasticsearch(cleanup);
    const missing = measurer(cleanup, {
      metadata: { addresses: fake.url, jobID: jobName("missing"), targetValue: "5" },
      authParams: credentials(),
    });
    await eventually("the failed forecast to be reported", async () =>
      (await missing.measure()).error?.endsWith("elasticsearch returned HTTP 404"),
    );
    const password = `wrong-${randomBytes(6).toString("hex")}`;
    const refused = measurer(cleanup, {
      metadata: { addresses: fake.url, jobID: jobName("refused"), targetValue: "5" },
      authParams: { username: services.opensearchUsername, password },
    });
    const error = await eventually(
      "the refused forecast to be reported",
      async () => (await refused.measure()).error,
    );
    expect(error).toMatch(
      /^forecast for job .*: elasticsearch authentication failed \(HTTP 401\): check username\/password or apiKey$/,
    );
    expect(error).not.toContain(password);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { addresses: `http://127.0.0.1:${port}`, jobID: "requests", targetValue: "2.5" },
      authParams: credentials(),
    });
    const error = await eventually("the failure to be reported", async () => (await trigger.measure()).error);
    expect(error).toBe(
      `forecast for job requests: cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 10]);
  });
});
