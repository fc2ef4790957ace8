import { runParseVectors, stringMap, type KedaRow } from "../../../test/support/keda-vectors.ts";

const FILE = "arangodb_scaler_test.json";

runParseVectors({ file: FILE, table: "testArangoDBMetadata", type: "arangodb" });

runParseVectors({
  file: FILE,
  table: "testArangoDBAuthMetadata",
  type: "arangodb",
  // KEDA checks that basic authentication is on only when authModes names it.
  expect: (row) => ({ params: { authModes: stringMap(row.metadata).authModes?.split(",") } }),
});

runParseVectors({
  file: FILE,
  table: "arangoDBMetricIdentifiers",
  type: "arangodb",
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
