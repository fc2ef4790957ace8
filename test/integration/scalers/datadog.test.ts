import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DATADOG_API_URL_VARIABLE } from "../../../src/scalers/datadog/datadog.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeDatadogApi, FakeDatadogClusterAgent } from "../../support/fakes/fake-datadog.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Datadog is a SaaS: the scaler is driven against fake-datadog, loopback fakes of the Datadog API's
// query endpoint and of the Cluster Agent's external metrics API, over HTTPS. The API fake is named
// by TIDAL_DATADOG_API_URL in Tidal's environment; the Cluster Agent's URL is built as KEDA builds it
// (https://<service>.<namespace>:<port>), with service "127.0.0" and namespace "1".
const API_KEY = `canary-api-${randomBytes(6).toString("hex")}`;
const APP_KEY = `canary-app-${randomBytes(6).toString("hex")}`;
const TOKEN = `canary-token-${randomBytes(6).toString("hex")}`;
let api: FakeDatadogApi;
let agent: FakeDatadogClusterAgent;

beforeAll(async () => {
  await trustFakeCertificate();
  api = await FakeDatadogApi.start({ tls: true });
  api.keys.set(API_KEY, new Set([APP_KEY]));
  agent = await FakeDatadogClusterAgent.start();
  agent.tokens.add(TOKEN);
});
afterAll(async () => {
  await api.close();
  await agent.close();
});

const keys = { apiKey: API_KEY, appKey: APP_KEY };

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "datadog",
    processEnvironment: { [DATADOG_API_URL_VARIABLE]: api.url },
    ...trigger,
  });
  cleanup.add(() => connected.close());
  return connected;
}

function expectNoCanary(output: unknown): void {
  for (const secret of [API_KEY, APP_KEY, TOKEN]) expect(JSON.stringify(output)).not.toContain(secret);
}

describe("datadog scaler through the Datadog API (fake-datadog)", () => {
  const cleanup = useCleanup();

  it("reads the last point with a value, inactive at activationQueryValue and active above it", async () => {
    const query = `sum:${uniqueName("jobs.queued")}{env:test}.as_count()`;
    api.queries.set(query, [{ metric: "jobs.queued", values: [1, 6, null] }]);
    const trigger = measurer(cleanup, {
      metadata: { query, queryValue: "3", activationQueryValue: "6", age: "120", timeWindowOffset: "30" },
      authParams: keys,
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ value: 6, active: false });
    expect(sample.metricName).toBe(`s0-datadog-${query.slice(0, query.indexOf("{")).replace(/[.:]/g, "-")}`);
    expectNoCanary(sample);
    api.queries.set(query, [{ metric: "jobs.queued", values: [7.5] }]);
    expect(await trigger.measure()).toMatchObject({ value: 7.5, active: true });
    const request = api.requests.findLast((entry) => entry.query.get("query") === query);
    expect(request?.headers["dd-api-key"]).toBe(API_KEY);
    expect(request?.headers["dd-application-key"]).toBe(APP_KEY);
    expect(Number(request?.query.get("to")) - Number(request?.query.get("from"))).toBe(120);
    expect(Math.abs(Number(request?.query.get("to")) - (Date.now() / 1000 - 30))).toBeLessThan(60);
  });

  it("combines several series with queryAggregator, and fails without one", async () => {
    const query = `avg:${uniqueName("cpu")}{*} by {host}`;
    api.queries.set(query, [
      { metric: "cpu", values: [2] },
      { metric: "cpu", values: [4] },
    ]);
    const average = measurer(cleanup, {
      metadata: { query, queryValue: "1", queryAggregator: "average" },
      authParams: keys,
    });
    expect(await average.measure()).toMatchObject({ value: 3 });
    const none = measurer(cleanup, { metadata: { query, queryValue: "1" }, authParams: keys });
    expect((await none.measure()).error).toBe(
      "error getting metrics from Datadog: query returned more than 1 series; modify the query to return only 1 series or add a queryAggregator",
    );
  });

  it("reads metricUnavailableValue when there is no point, and fails without it", async () => {
    const query = `sum:${uniqueName("empty")}{*}`;
    api.queries.set(query, []);
    const filled = measurer(cleanup, {
      metadata: { query, queryValue: "1", metricUnavailableValue: "2.5" },
      authParams: keys,
    });
    expect(await filled.measure()).toMatchObject({ value: 2.5 });
    const unfilled = measurer(cleanup, { metadata: { query, queryValue: "1" }, authParams: keys });
    expect((await unfilled.measure()).error).toBe(
      "error getting metrics from Datadog: no Datadog metrics returned for the given time window",
    );
  });

  it("reports a query Datadog cannot parse, a site the client does not know, and the rate limit", async () => {
    const bad = measurer(cleanup, {
      metadata: { query: "sum:nothing{*}.rollup(", queryValue: "1" },
      authParams: keys,
    });
    expect((await bad.measure()).error).toBe(
      "error getting metrics from Datadog: error when retrieving Datadog metrics: 400 Bad Request (Error parsing query: unable to parse sum:nothing{*}.rollup(: Rule 'scope_expr' didn't match)",
    );
    const site = measurer(cleanup, {
      metadata: { query: "sum:x{*}", queryValue: "1" },
      authParams: { ...keys, datadogSite: "example.com" },
    });
    expect((await site.measure()).error).toBe(
      // The site comes from the authentication, so it is masked.
      "error getting metrics from Datadog: The variable site in the server URL has invalid value ***. Must be [datadoghq.com us3.datadoghq.com us5.datadoghq.com datadoghq.eu ddog-gov.com]",
    );
    api.rateLimited = { limit: 1600, period: 3600, reset: 42 };
    try {
      const limited = measurer(cleanup, {
        metadata: { query: "sum:x{*}", queryValue: "1" },
        authParams: keys,
      });
      expect((await limited.measure()).error).toBe(
        "error getting metrics from Datadog: your Datadog account reached the 1600 queries per 3600 seconds rate limit, next limit reset will happen in 42 seconds",
      );
    } finally {
      api.rateLimited = undefined;
    }
  });

  it("reports wrong keys without showing them", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { query: "sum:x{*}", queryValue: "1" },
      authParams: { apiKey: API_KEY, appKey: wrong },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      "error getting metrics from Datadog: unauthorized to connect to Datadog. Check that your Datadog API and App keys are correct and that your App key has the correct permissions: 403 Forbidden (Forbidden)",
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
    expectNoCanary(sample);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { query: "sum:x{*}", queryValue: "5" },
      authParams: keys,
      processEnvironment: { [DATADOG_API_URL_VARIABLE]: `https://127.0.0.1:${port}` },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `error getting metrics from Datadog: cannot reach https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expectNoCanary(sample);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});

describe("datadog scaler through the Datadog Cluster Agent (fake-datadog)", () => {
  const cleanup = useCleanup();
  const service = () => ({
    datadogMetricsService: "127.0.0",
    datadogNamespace: "1",
    datadogMetricsServicePort: String(agent.port),
    authMode: "bearer",
    token: TOKEN,
  });

  it("reads a DatadogMetric's quantity, names the metric datadogmetric@<namespace>:<name>", async () => {
    const name = uniqueName("hits");
    agent.datadogMetrics.set(`web/${name}`, "2500m");
    const trigger = measurer(cleanup, {
      metadata: {
        useClusterAgentProxy: "true",
        datadogMetricName: name,
        datadogMetricNamespace: "web",
        targetValue: "2",
        activationTargetValue: "2.5",
      },
      authParams: service(),
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: `datadogmetric@web:${name}`, value: 2.5, active: false });
    expectNoCanary(sample);
    agent.datadogMetrics.set(`web/${name}`, "12");
    expect(await trigger.measure()).toMatchObject({ value: 12, active: true });
    const request = agent.requests.at(-1);
    expect(request?.path).toBe(
      `/apis/external.metrics.k8s.io/v1beta1/namespaces/web/datadogmetric@web:${name}`,
    );
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it("reads metricUnavailableValue for a DatadogMetric without data (422), and reports a missing one", async () => {
    const name = uniqueName("pending");
    agent.datadogMetrics.set(`web/${name}`, "unavailable");
    const filled = measurer(cleanup, {
      metadata: {
        useClusterAgentProxy: "true",
        datadogMetricName: name,
        datadogMetricNamespace: "web",
        targetValue: "2",
        metricUnavailableValue: "0",
      },
      authParams: service(),
    });
    expect(await filled.measure()).toMatchObject({ value: 0, active: false });
    const missing = measurer(cleanup, {
      metadata: {
        useClusterAgentProxy: "true",
        datadogMetricName: "absent",
        datadogMetricNamespace: "web",
        targetValue: "2",
      },
      authParams: service(),
    });
    expect((await missing.measure()).error).toBe(
      "error getting metric value: error getting metric value (status 404): DatadogMetric web/absent not found",
    );
  });

  it("reports a wrong token without showing it", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: {
        useClusterAgentProxy: "true",
        datadogMetricName: "x",
        datadogMetricNamespace: "web",
        targetValue: "2",
      },
      authParams: { ...service(), token: wrong },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      "error getting metric value: error getting metric value (status 401): Unauthorized",
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });
});
