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

// Log Analytics has no local server: the scaler drives @azure/monitor-query's LogsQueryClient
// against fake-azure-monitor, with client-secret tokens from fake-entra.
const WORKSPACE = "074dd9f8-c368-4220-9400-acb6e80fc325";
const QUERY = "Jobs | where Status == 'pending' | count";

const azure = useFakeAzureMonitor((monitor) => {
  monitor.setQueryResult(WORKSPACE, QUERY, [{ columns: [{ name: "Count", type: "long" }], rows: [[7]] }]);
  monitor.setQueryResult(WORKSPACE, "Jobs | project Name", [
    { columns: [{ name: "Name", type: "string" }], rows: [["a"]] },
  ]);
});

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "azure-log-analytics",
    ...trigger,
    metadata: {
      workspaceId: WORKSPACE,
      query: QUERY,
      threshold: "5",
      cloud: "Private",
      logAnalyticsResourceURL: azure.monitor.origin,
      ...trigger.metadata,
    },
    authParams: trigger.authParams ?? {
      tenantId: AZURE_TENANT,
      clientId: AZURE_CLIENT,
      clientSecret: azure.secret,
    },
    processEnvironment: { AZURE_AUTHORITY_HOST: azure.entra.authorityHost },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("azure-log-analytics scaler against fake-azure-monitor", () => {
  const cleanup = useCleanup();

  it("reads the query's one value, active above activationThreshold", async () => {
    const trigger = measurer(cleanup, { metadata: { activationThreshold: "7" } });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-azure-log-analytics-${WORKSPACE}`,
      value: 7,
      active: false,
    });
    const request = azure.monitor.requests.at(-1);
    expect(request).toMatchObject({ method: "POST", path: `/v1/workspaces/${WORKSPACE}/query` });
    // As KEDA sends it: the query alone, no timespan (the query says which rows it reads).
    expect(JSON.parse(request?.body ?? "{}")).toEqual({ query: QUERY });
    expect(await measurer(cleanup, { metadata: { activationThreshold: "6" } }).measure()).toMatchObject({
      active: true,
    });
  });

  it("fails as KEDA does on a result that is not one number, and on a query the service refuses", async () => {
    const text = await measurer(cleanup, { metadata: { query: "Jobs | project Name" } }).measure();
    expect(text.error).toBe(
      "error validating Log Analytics request. Details: value data type should be real, int or long, but received string",
    );
    const refused = await measurer(cleanup, { metadata: { query: "Jobs |" } }).measure();
    expect(refused.error).toMatch(/answered HTTP 400: The request had some invalid properties/);
  });

  it("names a workspace that does not exist, and refused credentials without the secret", async () => {
    const missing = await measurer(cleanup, {
      authParams: {
        tenantId: AZURE_TENANT,
        clientId: AZURE_CLIENT,
        clientSecret: azure.secret,
        workspaceId: "no-such-workspace",
      },
      metadata: { workspaceId: "" },
    }).measure();
    expect(missing.error).toMatch(/answered HTTP 404: The workspace could not be found/);
    const wrong = `canary-wrong-${randomBytes(6).toString("hex")}`;
    const refused = await measurer(cleanup, {
      authParams: { tenantId: AZURE_TENANT, clientId: AZURE_CLIENT, clientSecret: wrong },
    }).measure();
    expect(refused.error).toMatch(/AADSTS7000215/);
    expect(JSON.stringify(refused)).not.toContain(wrong);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, { metadata: { logAnalyticsResourceURL: `https://127.0.0.1:${port}` } });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      new RegExp(`cannot reach Log Analytics at https://127\\.0\\.0\\.1:${port}/v1: .*ECONNREFUSED`),
    );
    expect(JSON.stringify(sample)).not.toContain(azure.secret);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
