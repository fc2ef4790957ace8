import { expect } from "vitest";
import {
  plain,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
  type VectorInputs,
} from "../../../test/support/keda-vectors.ts";
import { searchTemplateBody } from "./elasticsearch.ts";
import { semicolonList } from "./search-value.ts";

const FILE = "elasticsearch_scaler_test.json";

const inputs = (row: KedaRow, index = 0): VectorInputs => ({
  metadata: stringMap(row.metadata),
  authParams: stringMap(row.authParams),
  resolvedEnv: stringMap(row.resolvedEnv),
  index,
});

/** KEDA's expectedMetadata, in Tidal's parameter names (Index and Parameters stay ;-separated text). */
function expectedParams(row: KedaRow): Record<string, unknown> {
  const expected = plain(row.expectedMetadata) as Record<string, unknown>;
  const params: Record<string, unknown> = {
    addresses: expected.Addresses,
    username: expected.Username,
    password: expected.Password,
    valueLocation: expected.ValueLocation,
    targetValue: expected.TargetValue,
    activationTargetValue: expected.ActivationTargetValue ?? 0,
    unsafeSsl: expected.UnsafeSsl ?? false,
  };
  if (expected.SearchTemplateName) params.searchTemplateName = expected.SearchTemplateName;
  if (expected.Query) params.query = expected.Query;
  return params;
}

runParseVectors({
  file: FILE,
  table: "testCases",
  type: "elasticsearch",
  inputs: (row) => inputs(row),
  kedaError: (row) => row.expectedError !== null && row.expectedError !== undefined,
  expect: (row) => {
    const expected = plain(row.expectedMetadata) as Record<string, unknown>;
    return {
      metricName: String(expected.MetricName),
      target: Number(expected.TargetValue),
      params: expectedParams(row),
      check: (prepared) => {
        expect(semicolonList(prepared.params.index as string)).toEqual(expected.Index);
        if (expected.Parameters) {
          expect(semicolonList(prepared.params.parameters as string)).toEqual(expected.Parameters);
        }
      },
    };
  },
});

runParseVectors({
  file: FILE,
  table: "TestElasticsearchGetMetricSpecForScaling.elasticsearchMetricIdentifiers",
  type: "elasticsearch",
  inputs: (row) => inputs(row.metadataTestData as KedaRow, Number(row.triggerIndex)),
  kedaError: (row) => (row.metadataTestData as KedaRow).expectedError != null,
  expect: (row) => ({ metricName: String(row.name) }),
});

// KEDA's TestElasticsearchBuildQuery: the search template request's body.
runValueVectors(FILE, "TestElasticsearchBuildQuery.testCases", {}, (row) => {
  const metadata = stringMap(row.metadata);
  expect(searchTemplateBody(String(metadata.searchTemplateName), semicolonList(metadata.parameters))).toEqual(
    plain(row.expectedQuery),
  );
});
