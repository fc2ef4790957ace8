import { expect } from "vitest";
import {
  plain,
  prepareRow,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
  type VectorInputs,
} from "../../../test/support/keda-vectors.ts";
import { clusterAgentHeaders, datadogQueryHasScope } from "./datadog.ts";

const FILE = "datadog_scaler_test.json";

function inputs(row: KedaRow, clusterAgent: boolean, index = 0): VectorInputs {
  const metricType = plain(row.metricType);
  return {
    // KEDA's createAndValidateMetadata picks the mode itself; Tidal reads it from useClusterAgentProxy.
    metadata: { ...stringMap(row.metadata), ...(clusterAgent ? { useClusterAgentProxy: "true" } : {}) },
    authParams: stringMap(row.authParams),
    index,
    ...(metricType ? { metricType: metricType as "AverageValue" | "Value" } : {}),
  };
}

runParseVectors({
  file: FILE,
  table: "testDatadogAPIMetadata",
  type: "datadog",
  inputs: (row) => inputs(row, false),
});

runParseVectors({
  file: FILE,
  table: "testDatadogClusterAgentMetadata",
  type: "datadog",
  inputs: (row) => inputs(row, true),
  // KEDA checks that the service URL holds the service's namespace, not the metric's.
  expect: (row) => {
    const auth = stringMap(row.authParams);
    return { params: { datadogNamespace: auth.datadogNamespace } };
  },
});

runParseVectors({
  file: FILE,
  table: "datadogMetricIdentifiers",
  type: "datadog",
  inputs: (row) =>
    inputs(row.metadataTestData as KedaRow, Number(plain(row.typeOfScaler)) === 1, Number(row.triggerIndex)),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

// KEDA's TestDatadogScalerParseQueries: a query needs a scope in braces.
runValueVectors(FILE, "testParseQueries", {}, (row) => {
  expect(datadogQueryHasScope(String(row.input))).toBe(!row.isError);
});

// KEDA's TestDatadogMetadataValidateUseFiller: metricUnavailableValue, in both modes.
runValueVectors(FILE, "TestDatadogMetadataValidateUseFiller.testCases", {}, (row) => {
  const clusterAgent = Boolean(row.useClusterAgent);
  const metadata: Record<string, string> = clusterAgent
    ? {
        useClusterAgentProxy: "true",
        datadogMetricName: "test-metric",
        datadogMetricNamespace: "test-namespace",
        queryValue: "7",
      }
    : { query: "sum:trace.redis.command.hits{env:none,service:redis}.as_count()", queryValue: "7" };
  const authParams: Record<string, string> = clusterAgent
    ? { datadogMetricsService: "datadog-metrics-service", datadogNamespace: "default" }
    : { apiKey: "apiKey", appKey: "appKey", datadogSite: "datadogSite" };
  if (row.metricUnavailableValue) metadata.metricUnavailableValue = String(row.metricUnavailableValue);
  const prepared = prepareRow("datadog", { metadata, authParams });
  expect(prepared.problems.filter((problem) => problem.severity === "error")).toEqual([]);
  const fill = prepared.params.metricUnavailableValue;
  expect(fill !== undefined).toBe(Boolean(row.expectedUseFiller));
  if (row.expectedUseFiller) expect(fill).toBe(Number(row.expectedFillValue));
});

// KEDA's TestGetDatadogClusterAgentHTTPRequest: the bearer header only with bearer authentication.
runValueVectors(FILE, "TestGetDatadogClusterAgentHTTPRequest.testCases", {}, (row) => {
  const headers = clusterAgentHeaders(row.enableBearerAuth ? "bearer" : undefined, String(row.bearerToken));
  expect(headers.Authorization !== undefined).toBe(Boolean(row.expectedAuthHeader));
  if (row.expectedAuthHeader) expect(headers.Authorization).toBe(`Bearer ${String(row.bearerToken)}`);
});
