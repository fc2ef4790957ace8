/**
 * KEDA's tests of its couchdb scaler (pkg/scalers/couchdb_scaler_test.go) as data: the metadata
 * table and the metric names (KEDA's coucdb- spelling).
 */
import { rowInputs, runParseVectors, type KedaRow } from "../../../test/support/keda-vectors.ts";

const FILE = "couchdb_scaler_test.json";

runParseVectors({ file: FILE, table: "testCOUCHDBMetadata", type: "couchdb" });

runParseVectors({
  file: FILE,
  table: "couchDBMetricIdentifiers",
  type: "couchdb",
  inputs: (row) => ({ ...rowInputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});
