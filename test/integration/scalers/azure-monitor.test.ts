import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

// Azure Monitor has no local server: the scaler drives @azure/monitor-query against
// fake-azure-monitor, with client-secret and workload-identity tokens from fake-entra.
const RESOURCE =
  "/subscriptions/sub-1/resourceGroups/prod/providers/Microsoft.ContainerService/managedClusters/aks";

const azure = useFakeAzureMonitor((monitor) => {
  monitor.metrics.push({
    resourceId: RESOURCE,
    name: "kube_pod_status_ready",
    namespace: "insights.container/pods",
    points: [
      { average: 2, total: 20, maximum: 4 },
      { average: 6, total: 60, maximum: 9 },
    ],
  });
});

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "azure-monitor",
    ...trigger,
    metadata: {
      resourceURI: "Microsoft.ContainerService/managedClusters/aks",
      tenantId: AZURE_TENANT,
      subscriptionId: "sub-1",
      resourceGroupName: "prod",
      metricName: "kube_pod_status_ready",
      metricAggregationType: "Average",
      targetValue: "5",
      cloud: "Private",
      azureResourceManagerEndpoint: azure.monitor.origin,
      ...trigger.metadata,
    },
    authParams: trigger.authParams ?? {
      activeDirectoryClientId: AZURE_CLIENT,
      activeDirectoryClientPassword: azure.secret,
    },
    processEnvironment: trigger.processEnvironment ?? { AZURE_AUTHORITY_HOST: azure.entra.authorityHost },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("azure-monitor scaler against fake-azure-monitor", () => {
  const cleanup = useCleanup();

  it("reads the last point in the aggregation with a client secret, active above activationTargetValue", async () => {
    const trigger = measurer(cleanup, {
      metadata: {
        activationTargetValue: "6",
        metricAggregationInterval: "0:15:0",
        metricFilter: "namespace eq 'default'",
      },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-azure-monitor-kube_pod_status_ready",
      value: 6,
      active: false,
    });
    const request = azure.monitor.requests.at(-1);
    expect(request?.path).toBe(`${RESOURCE}/providers/Microsoft.Insights/metrics`);
    expect(request?.query.get("metricnames")).toBe("kube_pod_status_ready");
    expect(request?.query.get("aggregation")).toBe("Average");
    expect(request?.query.get("$filter")).toBe("namespace eq 'default'");
    const [start, end] = (request?.query.get("timespan") ?? "").split("/").map((item) => Date.parse(item));
    expect((end as number) - (start as number)).toBe(900_000);
    expect(azure.entra.requests.at(-1)).toMatchObject({
      clientId: AZURE_CLIENT,
      kind: "secret",
      status: 200,
    });
    const total = measurer(cleanup, {
      metadata: { metricAggregationType: "Total", metricNamespace: "insights.container/pods" },
    });
    expect(await total.measure()).toMatchObject({ value: 60, active: true });
  });

  it("authenticates with podIdentity azure-workload", async () => {
    const identity = "bbbbbbbb-bbbb-cccc-dddd-eeeeeeeeeeee";
    const federatedToken = `eyJ.canary-${randomBytes(6).toString("hex")}.sig`;
    const file = join(mkdtempSync(join(tmpdir(), "tidal-wi-")), "token");
    writeFileSync(file, federatedToken);
    azure.entra.addApp({ tenantId: AZURE_TENANT, clientId: identity, federatedToken });
    azure.monitor.bearerTokens.add(azure.entra.tokenFor(identity, `${azure.monitor.origin}/.default`));
    const sample = await measurer(cleanup, {
      authParams: {},
      podIdentity: {
        provider: "azure-workload",
        identityId: identity,
        identityTenantId: AZURE_TENANT,
        identityAuthorityHost: azure.entra.authorityHost,
      },
      processEnvironment: { AZURE_FEDERATED_TOKEN_FILE: file },
    }).measure();
    expect(sample).toMatchObject({ value: 6 });
    expect(azure.entra.requests.at(-1)).toMatchObject({ clientId: identity, kind: "assertion", status: 200 });
  });

  it("names a resource or a metric that does not exist", async () => {
    const resource = await measurer(cleanup, {
      metadata: { resourceURI: "Microsoft.ContainerService/managedClusters/gone" },
    }).measure();
    expect(resource.error).toMatch(
      /^metric kube_pod_status_ready of .*\/gone: Azure Monitor at https:\/\/127\.0\.0\.1:\d+ answered HTTP 404: The Resource .* was not found\./,
    );
    const metric = await measurer(cleanup, { metadata: { metricName: "no_such_metric" } }).measure();
    expect(metric.error).toMatch(/answered HTTP 400: Failed to find metric configuration/);
  });

  it("says the client secret was refused, without the secret", async () => {
    const wrong = `canary-wrong-${randomBytes(6).toString("hex")}`;
    const sample = await measurer(cleanup, {
      authParams: { activeDirectoryClientId: AZURE_CLIENT, activeDirectoryClientPassword: wrong },
    }).measure();
    expect(sample.error).toMatch(
      /client secret credential \(client \*\*\*\): .*AADSTS7000215: Invalid client secret/,
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
    expect(JSON.stringify(sample)).not.toContain(azure.secret);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { azureResourceManagerEndpoint: `https://127.0.0.1:${port}` },
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      new RegExp(`cannot reach Azure Monitor at https://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    expect(JSON.stringify(sample)).not.toContain(azure.secret);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
