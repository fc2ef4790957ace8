/**
 * KEDA's tests of its graphite scaler (pkg/scalers/graphite_scaler_test.go) as data: metadata,
 * authentication and metric-name tables, and the values read from render answers.
 */
import { expect } from "vitest";
import {
  plain,
  rowInputs,
  runParseVectors,
  runValueVectors,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { graphiteValue } from "./graphite.ts";

const FILE = "graphite_scaler_test.json";

runParseVectors({ file: FILE, table: "testGrapMetadata", type: "graphite" });
runParseVectors({ file: FILE, table: "testGraphiteAuthMetadata", type: "graphite" });

runParseVectors({
  file: FILE,
  table: "graphiteMetricIdentifiers",
  type: "graphite",
  inputs: (row) => ({ ...rowInputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

// KEDA's TestGrapScalerExecuteGrapQuery: the value read from an answer, or an error.
runValueVectors(FILE, "testGrapQueryResults", {}, (row) => {
  const response = { status: Number(plain(row.responseStatus)), body: String(row.bodyStr) };
  const read = () => graphiteValue(response, "metric");
  if (row.isError) expect(read).toThrow();
  else expect(read()).toBe(Number(row.expectedValue));
});
