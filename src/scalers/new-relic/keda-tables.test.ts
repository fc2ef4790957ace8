import { runParseVectors, stringMap, type KedaRow } from "../../../test/support/keda-vectors.ts";

const FILE = "newrelic_scaler_test.json";

runParseVectors({ file: FILE, table: "testNewRelicMetadata", type: "new-relic" });

runParseVectors({
  file: FILE,
  table: "newrelicMetricIdentifiers",
  type: "new-relic",
  inputs: (row) => {
    const data = row.metadataTestData as KedaRow;
    return {
      metadata: stringMap(data.metadata),
      authParams: stringMap(data.authParams),
      index: Number(row.triggerIndex),
    };
  },
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});
