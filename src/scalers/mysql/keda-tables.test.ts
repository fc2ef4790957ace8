import { kedaVar, runParseVectors, stringMap, type KedaRow } from "../../../test/support/keda-vectors.ts";

const FILE = "mysql_scaler_test.json";
const PLACEHOLDER_PORT = {
  tidalError: true,
  reason:
    "port test_port is not a number from 1 to 65535: an error when parsed; KEDA fails only when it connects",
  doc: "docs/keda-differences.md#mysql",
};
// KEDA's TestParseMySQLMetadata passes this environment for every row (not the row's own).
const resolvedEnv = stringMap(kedaVar(FILE, "testMySQLResolvedEnv"));

runParseVectors({
  file: FILE,
  table: "testMySQLMetadata",
  type: "mysql",
  inputs: (row) => ({
    metadata: stringMap(row.metadata),
    authParams: stringMap(row.authParams),
    resolvedEnv,
  }),
  differences: { 2: PLACEHOLDER_PORT, 3: PLACEHOLDER_PORT, 4: PLACEHOLDER_PORT },
});

runParseVectors({
  file: FILE,
  table: "mySQLMetricIdentifiers",
  type: "mysql",
  inputs: (row) => {
    const data = row.metadataTestData as KedaRow;
    return {
      metadata: stringMap(data.metadata),
      resolvedEnv: stringMap(data.resolvedEnv),
      index: Number(row.triggerIndex),
    };
  },
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.metricName) }),
  differences: { 1: PLACEHOLDER_PORT },
});
