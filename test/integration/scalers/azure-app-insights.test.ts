import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import {
  AZURE_CLIENT,
  AZURE_TENANT,
  useFakeAzureMonitor,
} from "../../support/fakes/azure-monitor-with-entra.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Application Insights has no local server: the scaler calls the documented REST API of
// fake-azure-monitor, with client-secret tokens from fake-entra.
const APP = "app-1234";

const azure = useFakeAzureMonitor((monitor) => {
  monitor.setAppMetric(APP, "customMetrics/queueLength", { avg: 12.5, max: 20 });
  monitor.setAppMetric(APP, "customMetrics/empty", { avg: null });
});

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "azure-app-insights",
    ...trigger,
    metadata: {
      applicationInsightsId: APP,
      tenantId: AZURE_TENANT,
      metricId: "customMetrics/queueLength",
      metricAggregationTimespan: "0:5",
      metricAggregationType: "avg",
      targetValue: "10",
      cloud: "Private",
      appInsightsResourceURL: azure.monitor.origin,
      activeDirectoryEndpoint: azure.entra.authorityHost,
      ...trigger.metadata,
    },
    authParams: trigger.authParams ?? {
      activeDirectoryClientId: AZURE_CLIENT,
      activeDirectoryClientPassword: azure.secret,
    },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("azure-app-insights scaler against fake-azure-monitor", () => {
  const cleanup = useCleanup();

  it("reads the metric's aggregation over the timespan, active above activationTargetValue", async () => {
    const trigger = measurer(cleanup, {
      metadata: { activationTargetValue: "12.5", metricFilter: "cloud/roleName eq 'api'" },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-azure-app-insights-customMetrics-queueLength",
      value: 12.5,
      active: false,
    });
    const request = azure.monitor.requests.at(-1);
    expect(request?.path).toBe(`/v1/apps/${APP}/metrics/customMetrics/queueLength`);
    expect(Object.fromEntries(request?.query ?? [])).toEqual({
      aggregation: "avg",
      timespan: "PT00H05M",
      filter: "cloud/roleName eq 'api'",
    });
    expect(await measurer(cleanup, { metadata: { metricAggregationType: "max" } }).measure()).toMatchObject({
      value: 20,
      active: true,
    });
  });

  it("fails on a null value, or reads it as 0 with ignoreNullValues", async () => {
    const strict = await measurer(cleanup, { metadata: { metricId: "customMetrics/empty" } }).measure();
    expect(strict.error).toBe("metric customMetrics/empty was nil for aggregation type avg");
    const lenient = measurer(cleanup, {
      metadata: { metricId: "customMetrics/empty", ignoreNullValues: "true" },
    });
    expect(await lenient.measure()).toMatchObject({ value: 0, active: false });
  });

  it("names an application or a metric that does not exist", async () => {
    const app = await measurer(cleanup, { metadata: { applicationInsightsId: "no-such-app" } }).measure();
    expect(app.error).toBe(
      "app insights request failed with status code 404 (no such application or metric): ApplicationNotFoundError: The application could not be found",
    );
    const metric = await measurer(cleanup, { metadata: { metricId: "requests/nope" } }).measure();
    expect(metric.error).toMatch(
      /status code 400: BadArgumentError: The metric requests\/nope is not a valid metric/,
    );
  });

  it("says the client secret was refused, without the secret", async () => {
    const wrong = `canary-wrong-${randomBytes(6).toString("hex")}`;
    const sample = await measurer(cleanup, {
      authParams: { activeDirectoryClientId: AZURE_CLIENT, activeDirectoryClientPassword: wrong },
    }).measure();
    expect(sample.error).toMatch(/AADSTS7000215/);
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, { metadata: { appInsightsResourceURL: `https://127.0.0.1:${port}` } });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot reach https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(azure.secret);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 40]);
  });
});
