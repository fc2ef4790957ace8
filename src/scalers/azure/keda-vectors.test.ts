/**
 * KEDA's test tables of azure-pipelines, azure-monitor, azure-log-analytics, azure-app-insights
 * and azure-data-explorer (test/conformance/keda/), run through test/support/keda-vectors.ts.
 * (The older Azure scalers' rows are in keda-tables.test.ts.)
 */
import { describe, expect, it } from "vitest";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import {
  errorsOf,
  kedaVar,
  plain,
  prepareRow,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { appInsightsQuery, appInsightsTimespan, appInsightsValue } from "./app-insights.ts";
import { dataExplorerValue } from "./data-explorer.ts";
import { logAnalyticsValue } from "./log-analytics.ts";
import { aggregationIntervalMs, monitorResourceId, monitorValue } from "./monitor.ts";
import {
  agentCanRunJob,
  jobRequestsUrl,
  pipelinesQueueLength,
  poolIdFromNameAnswer,
  type JobRequest,
} from "./pipelines.ts";

const PIPELINES = "azure_pipelines_scaler_test.json";

// TestParseAzurePipelinesMetadata. KEDA also looks the pool up while parsing (its stub answers
// every request with one pool); Tidal looks it up at the first measurement (below, and in the
// integration test), so these rows check the parameters alone.
runParseVectors({
  file: PIPELINES,
  table: "testAzurePipelinesMetadata",
  type: "azure-pipelines",
  expect: () => ({ metricName: "s0-azure-pipelines-1", target: 1 }),
});

runParseVectors({
  file: PIPELINES,
  table: "azurePipelinesMetricIdentifiers",
  type: "azure-pipelines",
  inputs: (row) => ({
    metadata: { poolID: "1", targetPipelinesQueueLength: "1" },
    authParams: { organizationURL: "https://dev.azure.com/sample", personalAccessToken: "sample" },
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

// TestValidateAzurePipelinesPool: what the pool lookup makes of the API's answer.
runValueVectors(PIPELINES, "testValidateAzurePipelinesPoolData", {}, (row) => {
  const metadata = stringMap(row.metadata);
  const status = Number(row.httpCode);
  const resolve = () => {
    if (status < 200 || status > 299) throw new Error(`status ${status}`);
    if (metadata.poolName) return poolIdFromNameAnswer(String(row.response), metadata.poolName);
    return Number(metadata.poolID);
  };
  expect(row.queryParam).toBe(metadata.poolName ? "poolName" : "poolID");
  if (row.isError) expect(resolve).toThrow();
  else expect(resolve()).toBe(1);
});

// TestAzurePipelinesQueueURLTest.
runValueVectors(PIPELINES, "testValidateAzurePipelinesQueueURLData", {}, (row) => {
  const metadata = row.metadata as {
    Parent?: string;
    JobsToFetch?: number;
    FetchUnfinishedJobsOnly?: boolean;
  };
  const url = jobRequestsUrl(
    {
      organizationURL: "http://org",
      parent: metadata.Parent,
      jobsToFetch: metadata.JobsToFetch ?? 0,
      fetchUnfinishedJobsOnly: metadata.FetchUnfinishedJobsOnly ?? false,
    },
    1,
  );
  expect(url).toBe(String(row.expectedURL).replace("%s", "http://org").replace("%d", "1"));
});

// KEDA's TestAzurePipelines* queue-length tests (not tables): the same jobs and verdicts.
describe("KEDA's queue length of job requests", () => {
  const base = {
    organizationURL: "http://org",
    requireAllDemands: false,
    requireAllDemandsAndIgnoreOthers: false,
    caseInsensitiveDemandsProcessing: false,
    targetPipelinesQueueLength: 1,
    activationTargetPipelinesQueueLength: 0,
    jobsToFetch: 250,
    fetchUnfinishedJobsOnly: false,
  };
  const queued = (demands: string[], agents: string[] = []): JobRequest => ({
    demands,
    matchedAgents: agents.map((name) => ({ name })),
  });
  it("counts waiting jobs only: not finished, not received by an agent", () => {
    expect(
      pipelinesQueueLength(
        [
          queued(["kubectl"]),
          { ...queued(["kubectl"]), result: "succeeded", receiveTime: "2022-09-28T11:20:32Z" },
          { ...queued(["kubectl"]), receiveTime: "2022-09-28T11:20:32Z" },
          { ...queued(["kubectl"]), receiveTime: "0001-01-01T00:00:00" },
        ],
        base,
      ),
    ).toBe(2);
  });
  it("matches the parent agent by name", () => {
    const values = { ...base, parent: "dotnet60-keda-template" };
    expect(
      pipelinesQueueLength(
        [queued([], ["dotnet60-keda-template"]), queued([], ["other"]), queued([])],
        values,
      ),
    ).toBe(1);
  });
  it("matches demands: all of the job's, exactly, or all of the agent's", () => {
    const job = queued(["dotnet60", "java", "Agent.Version -gtVersion 2.182.1"]);
    expect(agentCanRunJob(job, { ...base, demands: "dotnet60,java" })).toBe(true);
    expect(agentCanRunJob(job, { ...base, demands: "dotnet60" })).toBe(false);
    expect(agentCanRunJob(job, { ...base, demands: "dotnet60,java,cmake", requireAllDemands: true })).toBe(
      false,
    );
    expect(
      agentCanRunJob(job, { ...base, demands: "dotnet60", requireAllDemandsAndIgnoreOthers: true }),
    ).toBe(true);
    expect(agentCanRunJob(queued(["DotNet60"]), { ...base, demands: "dotnet60" })).toBe(false);
    expect(
      agentCanRunJob(queued(["DotNet60"]), {
        ...base,
        demands: "dotnet60",
        caseInsensitiveDemandsProcessing: true,
      }),
    ).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// azure-monitor, azure-log-analytics, azure-app-insights, azure-data-explorer

/** A KEDA podIdentity field (a provider name or a constant of one) as Tidal's podIdentity. */
function podIdentityOf(value: unknown, extra: Record<string, unknown> = {}): { podIdentity?: PodIdentity } {
  const provider = plain(value);
  if (!provider) return {};
  return { podIdentity: { provider: provider as PodIdentity["provider"], ...extra } as PodIdentity };
}

const MONITOR = "azure_monitor_scaler_test.json";
const monitorEnv = stringMap(kedaVar(MONITOR, "testAzMonitorResolvedEnv"));

runParseVectors({
  file: MONITOR,
  table: "testParseAzMonitorMetadata",
  type: "azure-monitor",
  inputs: (row) => ({
    metadata: stringMap(row.metadata),
    authParams: stringMap(row.authParams),
    resolvedEnv: { ...monitorEnv, ...stringMap(row.resolvedEnv) },
    ...podIdentityOf(row.podIdentity),
  }),
});
runParseVectors({
  file: MONITOR,
  table: "azMonitorMetricIdentifiers",
  type: "azure-monitor",
  inputs: (row) => {
    const data = row.metadataTestData as KedaRow;
    return {
      metadata: stringMap(data.metadata),
      authParams: stringMap(data.authParams),
      resolvedEnv: { ...monitorEnv, ...stringMap(data.resolvedEnv) },
      index: Number(row.triggerIndex),
    };
  },
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

const LOG_ANALYTICS = "azure_log_analytics_scaler_test.json";
const logAnalyticsEnv = stringMap(kedaVar(LOG_ANALYTICS, "sampleLogAnalyticsResolvedEnv"));
for (const [table, authParams, podIdentity] of [
  ["testLogAnalyticsMetadata", {}, undefined],
  [
    "testLogAnalyticsMetadataWithEmptyAuthParams",
    stringMap(kedaVar(LOG_ANALYTICS, "emptyLogAnalyticsAuthParams")),
    undefined,
  ],
  [
    "testLogAnalyticsMetadataWithAuthParams",
    stringMap(kedaVar(LOG_ANALYTICS, "LogAnalyticsAuthParams")),
    undefined,
  ],
  [
    "testLogAnalyticsMetadataWithPodIdentity",
    stringMap(kedaVar(LOG_ANALYTICS, "LogAnalyticsAuthParams")),
    "azure-workload",
  ],
  ["testParseMetadataUnsafeSsl", {}, undefined],
] as const) {
  runParseVectors({
    file: LOG_ANALYTICS,
    table,
    type: "azure-log-analytics",
    inputs: (row) => ({
      metadata: stringMap(row.metadata),
      authParams,
      resolvedEnv: logAnalyticsEnv,
      ...podIdentityOf(podIdentity),
    }),
    expect: (row) => (row.unsafeSsl === undefined ? undefined : { params: { unsafeSsl: row.unsafeSsl } }),
  });
}
runParseVectors({
  file: LOG_ANALYTICS,
  table: "LogAnalyticsMetricIdentifiers",
  type: "azure-log-analytics",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    resolvedEnv: logAnalyticsEnv,
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

const APP_INSIGHTS = "azure_app_insights_scaler_test.json";
runParseVectors({
  file: APP_INSIGHTS,
  table: "azureAppInsightsScalerData",
  type: "azure-app-insights",
  inputs: (row) => {
    const config = row.config as {
      TriggerMetadata?: unknown;
      AuthParams?: unknown;
      ResolvedEnv?: unknown;
      PodIdentity?: { Provider?: unknown; IdentityID?: string; IdentityTenantID?: string };
    };
    return {
      metadata: stringMap(config.TriggerMetadata),
      authParams: stringMap(config.AuthParams),
      resolvedEnv: stringMap(config.ResolvedEnv),
      ...podIdentityOf(config.PodIdentity?.Provider, {
        ...(config.PodIdentity?.IdentityID ? { identityId: config.PodIdentity.IdentityID } : {}),
        ...(config.PodIdentity?.IdentityTenantID
          ? { identityTenantId: config.PodIdentity.IdentityTenantID }
          : {}),
      }),
    };
  },
});

// pkg/scalers/azure/azure_app_insights_test.go: the timespan, the query and the value's extraction.
runValueVectors("azure/azure_app_insights_test.json", "toISO8601Data", {}, (row) => {
  const timespan = appInsightsTimespan(String(row.time));
  if (row.isError) expect(timespan).toBeUndefined();
  else expect(timespan).toBe(row.expectedValue);
});
runValueVectors("azure/azure_app_insights_test.json", "queryParameterData", {}, (row) => {
  const info = row.info as { AggregationTimespan: string; AggregationType: string; Filter: string };
  const timespan = appInsightsTimespan(info.AggregationTimespan);
  if (row.isError) {
    expect(timespan).toBeUndefined();
    return;
  }
  const query = new URLSearchParams(
    appInsightsQuery({
      metricAggregationTimespan: info.AggregationTimespan,
      metricAggregationType: info.AggregationType,
      metricFilter: info.Filter || undefined,
    }),
  );
  expect(query.get("timespan")).toBe(row.expectedTimespan);
  expect(query.get("aggregation")).toBe(info.AggregationType);
  expect(query.get("filter")).toBe(info.Filter || null);
});
runValueVectors("azure/azure_app_insights_test.json", "testExtractAzAppInsightsData", {}, (row) => {
  // The row's answer is built by mockAppInsightsMetric(metricId, aggregation, value) in KEDA's test.
  const source = String((row.metricResult as { $unevaluated: string }).$unevaluated);
  const [, metricId, aggregation, value] =
    /mockAppInsightsMetric\("([^"]*)", "([^"]*)", (.*)\)$/.exec(source) ?? [];
  const number = /newMetricValue\(([\d.]+)\)/.exec(value ?? "")?.[1];
  const body = {
    value: {
      [metricId as string]: { [aggregation as string]: number === undefined ? null : Number(number) },
    },
  };
  const info = row.info as { AggregationType: string; MetricID: string };
  const read = () => appInsightsValue(body, info.MetricID, info.AggregationType);
  if (row.isError) expect(read).toThrow();
  else expect(read()).toBe(row.expectedValue);
});

const DATA_EXPLORER = "azure_data_explorer_scaler_test.json";
const explorerAuth = stringMap(kedaVar(DATA_EXPLORER, "validAuthParams"));
runParseVectors({
  file: DATA_EXPLORER,
  table: "testDataExplorerMetadataWithClientAndSecret",
  type: "azure-data-explorer",
});
runParseVectors({
  file: DATA_EXPLORER,
  table: "testDataExplorerMetadataWithPodIdentity",
  type: "azure-data-explorer",
  inputs: (row) => ({
    metadata: stringMap(row.metadata),
    authParams: stringMap(row.authParams),
    podIdentity: { provider: "azure-workload" },
  }),
});
// The metric name is "s<index>-azure-data-explorer-<databaseName>" (the row builds it with Sprintf).
runParseVectors({
  file: DATA_EXPLORER,
  table: "testDataExplorerMetricIdentifiers",
  type: "azure-data-explorer",
  inputs: (row) => {
    const data = row.metadataTestData as KedaRow;
    return {
      metadata: stringMap(data.metadata),
      authParams: stringMap(data.authParams),
      index: Number(row.triggerIndex),
      ...podIdentityOf((row.podIdentity as { Provider?: unknown }).Provider),
    };
  },
  kedaError: () => false,
  expect: (row) => ({
    metricName: `s${Number(row.triggerIndex)}-azure-data-explorer-${stringMap((row.metadataTestData as KedaRow).metadata).databaseName}`,
  }),
});
// pkg/scalers/azure/azure_data_explorer_test.go TestGetDataExplorerAuthConfig: the credentials a
// client needs, as the trigger's parameters.
runValueVectors("azure/azure_data_explorer_test.json", "testGetDataExplorerAuthConfigs", {}, (row) => {
  const metadata = row.testMetadata as Record<string, unknown>;
  const prepared = prepareRow("azure-data-explorer", {
    metadata: {
      endpoint: String(metadata.Endpoint),
      databaseName: "db",
      query: "print 1",
      threshold: "1",
      ...(metadata.TenantID ? { tenantId: String(metadata.TenantID) } : {}),
      ...(metadata.ClientID ? { clientId: String(metadata.ClientID) } : {}),
    },
    authParams: metadata.ClientSecret ? { clientSecret: String(metadata.ClientSecret) } : {},
    ...podIdentityOf((metadata.PodIdentity as { Provider?: unknown } | undefined)?.Provider),
  });
  expect(errorsOf(prepared).length > 0).toBe(Boolean(row.isError));
  void explorerAuth;
});

describe("KEDA's reading of a Data Explorer result (TestExtractDataExplorerMetricValue's cases)", () => {
  const table = (type: string, value: unknown) => ({ columns: [{ type }], rows: [[value]] });
  it("takes a real, int or long value of 0 or more", () => {
    expect(dataExplorerValue(table("long", 3), "q")).toBe(3);
    expect(dataExplorerValue(table("real", 2.5), "q")).toBe(2.5);
  });
  it("fails on no row, a negative value, a value that is not a number, or another type", () => {
    expect(() => dataExplorerValue({ columns: [{ type: "long" }], rows: [] }, "q")).toThrow("has no results");
    expect(() => dataExplorerValue(table("long", -1), "q")).toThrow("must be >= 0");
    expect(() => dataExplorerValue(table("long", "abc"), "q")).toThrow("failed to convert");
    expect(() => dataExplorerValue(table("string", "1"), "q")).toThrow("data type string is not valid");
  });
});

describe("KEDA's reading of Log Analytics and Monitor answers", () => {
  it("takes the one row's first column of type real, int or long", () => {
    const tables = [{ columnDescriptors: [{ name: "v", type: "long" }], rows: [[4]] }];
    expect(logAnalyticsValue(tables)).toBe(4);
    expect(() => logAnalyticsValue([{ columnDescriptors: [{ type: "string" }], rows: [["4"]] }])).toThrow(
      "should be real, int or long",
    );
    expect(() => logAnalyticsValue([{ columnDescriptors: [{ type: "long" }], rows: [[1], [2]] }])).toThrow(
      "too many rows",
    );
    expect(() => logAnalyticsValue([])).toThrow("there is no results");
    expect(() => logAnalyticsValue([{ columnDescriptors: [{ type: "real" }], rows: [[-1]] }])).toThrow(">=0");
  });
  it("takes the last point of the first series in the aggregation's field, and KEDA's interval", () => {
    const metrics = [{ timeseries: [{ data: [{ average: 1 }, { average: 7, total: 9 }] }] }];
    expect(monitorValue(metrics, "Average")).toBe(7);
    expect(monitorValue(metrics, "total")).toBe(9);
    expect(() => monitorValue(metrics, "Maximum")).toThrow("unsupported aggregation type Maximum");
    expect(() => monitorValue([{ timeseries: [] }], "Average")).toThrow("without timeseries");
    expect(aggregationIntervalMs(undefined)).toBe(300_000);
    expect(aggregationIntervalMs("0:15:0")).toBe(900_000);
    expect(aggregationIntervalMs("0:1")).toBeUndefined();
    expect(monitorResourceId({ resourceURI: "a/b/c", subscriptionId: "s", resourceGroupName: "g" })).toBe(
      "/subscriptions/s/resourceGroups/g/providers/a/b/c",
    );
  });
});
