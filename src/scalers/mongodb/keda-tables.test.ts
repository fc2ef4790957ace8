/**
 * KEDA's tests of its mongodb scaler (pkg/scalers/mongo_scaler_test.go) as data: the metadata
 * table, the metric names, and the connection strings KEDA builds from separate parameters.
 */
import { expect } from "vitest";
import { rowInputs, runParseVectors, type KedaRow } from "../../../test/support/keda-vectors.ts";
import { mongoConnectionString } from "./mongodb.ts";

const FILE = "mongo_scaler_test.json";

runParseVectors({ file: FILE, table: "testMONGODBMetadata", type: "mongodb" });

runParseVectors({
  file: FILE,
  table: "mongoDBMetricIdentifiers",
  type: "mongodb",
  inputs: (row) => ({ ...rowInputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

// TestParseMongoDBConnectionString: the connection string KEDA builds from the parameters.
runParseVectors({
  file: FILE,
  table: "mongoDBConnectionStringTestDatas",
  type: "mongodb",
  inputs: (row) => rowInputs(row.metadataTestData as KedaRow),
  kedaError: () => false,
  expect: (row) => ({
    check: (prepared) => expect(mongoConnectionString(prepared.params as never)).toBe(row.connectionString),
  }),
});
