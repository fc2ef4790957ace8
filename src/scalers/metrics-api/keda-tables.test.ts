import { expect } from "vitest";
import {
  plain,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { valueFromResponse, type ApiFormat } from "./response-value.ts";

const FILE = "metrics_api_scaler_test.json";

runParseVectors({ file: FILE, table: "testMetricsAPIMetadata", type: "metrics-api" });
runParseVectors({ file: FILE, table: "testMetricsAPIAuthMetadata", type: "metrics-api" });
runParseVectors({
  file: FILE,
  table: "metricsAPIMetricIdentifiers",
  type: "metrics-api",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

// KEDA's TestGetValueFromResponse: the value at valueLocation in JSON, YAML and Prometheus text.
runValueVectors(FILE, "TestGetValueFromResponse.testCases", {}, (row) => {
  const read = () => valueFromResponse(String(row.input), String(row.key), plain(row.format) as ApiFormat);
  if (row.expectErr) expect(read).toThrow();
  else expect(read()).toBeCloseTo(Number(row.expectVal), 10);
});
