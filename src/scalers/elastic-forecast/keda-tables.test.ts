import { expect } from "vitest";
import {
  plain,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
  type VectorInputs,
} from "../../../test/support/keda-vectors.ts";
import { forecastDurationMs } from "./elastic-forecast.ts";

const FILE = "elastic_forecast_scaler_test.json";

const inputs = (row: KedaRow, index = 0): VectorInputs => ({
  metadata: stringMap(row.metadata),
  authParams: stringMap(row.authParams),
  resolvedEnv: stringMap(row.resolvedEnv),
  index,
});

const nanoseconds = (value: unknown) => Number((value as { nanoseconds: number }).nanoseconds);

runParseVectors({
  file: FILE,
  table: "elasticForecastTestCases",
  type: "elastic-forecast",
  inputs: (row) => inputs(row),
  kedaError: (row) => row.expectedError != null,
  expect: (row) => {
    const expected = row.expectedMetadata as Record<string, unknown>;
    return {
      metricName: String(expected.MetricName),
      target: Number(expected.TargetValue),
      activationTarget: Number(expected.ActivationTargetValue),
      params: {
        jobID: expected.JobID,
        index: expected.Index,
        lookAhead: nanoseconds(expected.LookAhead) / 1e6,
        unsafeSsl: expected.UnsafeSsl,
        ...(expected.Addresses ? { addresses: expected.Addresses } : {}),
        ...(expected.Username ? { username: expected.Username, password: expected.Password } : {}),
        ...(expected.CloudID ? { cloudID: expected.CloudID, apiKey: expected.APIKey } : {}),
        ...(expected.PartitionFieldValue ? { partitionFieldValue: expected.PartitionFieldValue } : {}),
        ...(expected.ByFieldValue ? { byFieldValue: expected.ByFieldValue } : {}),
      },
    };
  },
});

runParseVectors({
  file: FILE,
  table: "TestElasticForecastGetMetricSpecForScaling.metricIdentifiers",
  type: "elastic-forecast",
  inputs: (row) => inputs(row.metadataTestData as KedaRow, Number(row.triggerIndex)),
  kedaError: (row) => (row.metadataTestData as KedaRow).expectedError != null,
  expect: (row) => ({ metricName: String(row.name) }),
});

// KEDA's TestElasticForecastDuration: the forecast window is twice lookAhead.
runValueVectors(FILE, "TestElasticForecastDuration.cases", {}, (row) => {
  expect(forecastDurationMs(nanoseconds(plain(row.lookAhead)) / 1e6)).toBe(
    nanoseconds(plain(row.expectedDuration)) / 1e6,
  );
});
