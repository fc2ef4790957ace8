/**
 * KEDA's tests of its cassandra scaler (pkg/scalers/cassandra_scaler_test.go) as data: the
 * metadata table, the TLS authentication parameters and the metric names.
 */
import { expect } from "vitest";
import {
  kedaVar,
  rowInputs,
  runParseVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";

const FILE = "cassandra_scaler_test.json";

runParseVectors({ file: FILE, table: "testCassandraMetadata", type: "cassandra" });

// TestParseCassandraTLS: KEDA's successMetaData with each row's authentication parameters.
runParseVectors({
  file: FILE,
  table: "tlsAuthParamsTestData",
  type: "cassandra",
  inputs: (row) => ({
    metadata: stringMap(kedaVar(FILE, "successMetaData")),
    authParams: stringMap(row.authParams),
  }),
  expect: (row) => ({ check: (prepared) => expect(prepared.params.tls === "enable").toBe(row.tlsEnabled) }),
});

runParseVectors({
  file: FILE,
  table: "cassandraMetricIdentifiers",
  type: "cassandra",
  inputs: (row) => ({ ...rowInputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.metricName) }),
});
