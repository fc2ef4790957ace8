import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeDynatrace } from "../../support/fakes/fake-dynatrace.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Dynatrace is a SaaS: the scaler is driven against fake-dynatrace, a loopback fake of the
// documented Metrics API v2 and Grail query API, over HTTPS.
const API_TOKEN = `canary-api-${randomBytes(6).toString("hex")}`;
const PLATFORM_TOKEN = `canary-platform-${randomBytes(6).toString("hex")}`;
let dynatrace: FakeDynatrace;

beforeAll(async () => {
  await trustFakeCertificate();
  dynatrace = await FakeDynatrace.start({ tls: true });
  dynatrace.apiTokens.add(API_TOKEN);
  dynatrace.platformTokens.add(PLATFORM_TOKEN);
});
afterAll(() => dynatrace.close());

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "dynatrace", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

function expectNoCanary(output: unknown): void {
  expect(JSON.stringify(output)).not.toContain(API_TOKEN);
  expect(JSON.stringify(output)).not.toContain(PLATFORM_TOKEN);
}

describe("dynatrace scaler (fake-dynatrace)", () => {
  const cleanup = useCleanup();

  it("reads the first value of a metric selector with an API token, from now-2h by default", async () => {
    const selector = `${uniqueName("ext:queue")}:splitBy():fold`;
    dynatrace.metrics.set(selector, [[4, 9]]);
    const trigger = measurer(cleanup, {
      metadata: {
        host: `${dynatrace.url}/`,
        metricSelector: selector,
        threshold: "2",
        activationThreshold: "4",
      },
      authParams: { token: API_TOKEN },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: "s0-dynatrace", value: 4, active: false });
    expectNoCanary(sample);
    dynatrace.metrics.set(selector, [[12.5]]);
    expect(await trigger.measure()).toMatchObject({ value: 12.5, active: true });
    const request = dynatrace.requests.findLast((entry) => entry.query.get("metricSelector") === selector);
    expect(request?.path).toBe("/api/v2/metrics/query");
    expect(request?.query.get("from")).toBe("now-2h");
    expect(request?.headers.authorization).toBe(`Api-Token ${API_TOKEN}`);
  });

  it("reads null as 0, and sends from when given", async () => {
    const selector = uniqueName("ext:sparse");
    dynatrace.metrics.set(selector, [[null, 3]]);
    const trigger = measurer(cleanup, {
      metadata: { metricSelector: selector, from: "now-5m", threshold: "1" },
      authParams: { host: dynatrace.url, token: API_TOKEN },
    });
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
    expect(dynatrace.requests.at(-1)?.query.get("from")).toBe("now-5m");
  });

  it("runs a DQL query with a platform token, polling until it succeeds", async () => {
    const query = `fetch logs | filter matchesValue(service, "${uniqueName("svc")}") | summarize r = count()`;
    dynatrace.queries.set(query, { records: [{ r: 42 }], runningPolls: 2 });
    const trigger = measurer(cleanup, {
      metadata: {
        host: dynatrace.url,
        query,
        threshold: "10",
        queryPollingWait: "10ms",
        queryTimeoutSeconds: "30",
      },
      authParams: { token: PLATFORM_TOKEN },
    });
    expect(await trigger.measure()).toMatchObject({ value: 42, active: true });
    const execute = dynatrace.requests.findLast((entry) => entry.path.endsWith("query:execute"));
    expect(execute?.headers.authorization).toBe(`Bearer ${PLATFORM_TOKEN}`);
    expect(JSON.parse(execute?.body ?? "{}")).toEqual({ query, fetchTimeoutSeconds: 30 });
    const polls = dynatrace.requests.filter((entry) => entry.path.endsWith("query:poll"));
    expect(polls.length).toBeGreaterThanOrEqual(3);
  });

  it("reports a query that fails, one that never finishes, and a metric that does not exist", async () => {
    const failing = uniqueName("fetch failing");
    dynatrace.queries.set(failing, { records: [], finalState: "FAILED" });
    const failed = measurer(cleanup, {
      metadata: { host: dynatrace.url, query: failing, threshold: "1", queryPollingWait: "1ms" },
      authParams: { token: PLATFORM_TOKEN },
    });
    expect((await failed.measure()).error).toBe("error executing DQL query: query failed");
    const slow = uniqueName("fetch slow");
    dynatrace.queries.set(slow, { records: [{ r: 1 }], runningPolls: 10 });
    const unfinished = measurer(cleanup, {
      metadata: {
        host: dynatrace.url,
        query: slow,
        threshold: "1",
        queryPollingWait: "1ms",
        queryPollingTries: "3",
      },
      authParams: { token: PLATFORM_TOKEN },
    });
    expect((await unfinished.measure()).error).toBe("DQL query did not complete within 3 attempts");
    const missing = measurer(cleanup, {
      metadata: { host: dynatrace.url, metricSelector: "ext:absent", threshold: "1" },
      authParams: { token: API_TOKEN },
    });
    expect((await missing.measure()).error).toBe(
      `/api/v2/metrics/query: api returned 404: {"error":{"code":404,"message":"Metric selector 'ext:absent' could not be resolved: metric key not found"}}`,
    );
  });

  it("reports a wrong token without showing it", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { host: dynatrace.url, metricSelector: "ext:any", threshold: "1" },
      authParams: { token: wrong },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      '/api/v2/metrics/query: api returned 401 (check the token and its scopes): {"error":{"code":401,"message":"Token Authentication failed"}}',
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { host: `https://127.0.0.1:${port}`, metricSelector: "ext:any", threshold: "5" },
      authParams: { token: API_TOKEN },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot reach https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expectNoCanary(sample);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
