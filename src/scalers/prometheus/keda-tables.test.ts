import { expect } from "vitest";
import {
  plain,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { prometheusQueryValue } from "./query.ts";

const FILE = "prometheus_scaler_test.json";

runParseVectors({ file: FILE, table: "testPromMetadata", type: "prometheus" });

runParseVectors({
  file: FILE,
  table: "prometheusMetricIdentifiers",
  type: "prometheus",
  inputs: (row) => ({ metadata: stringMap(identified(row).metadata), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

runParseVectors({
  file: FILE,
  table: "testPrometheusAuthMetadata",
  type: "prometheus",
  differences: {
    15: {
      tidalError: false,
      reason: "Tidal has no pod identities: tidal validate reports the TriggerAuthentication's podIdentity",
      doc: "docs/keda-differences.md#prometheus",
    },
  },
});

// KEDA's TestPrometheusScalerExecutePromQuery: the value read from a query's answer, or an error.
runValueVectors(FILE, "testPromQueryResult", {}, (row) => {
  const response = { status: Number(plain(row.responseStatus)), body: String(row.bodyStr) };
  const read = () =>
    prometheusQueryValue(response, {
      serverAddress: "http://localhost:9090",
      query: "up",
      ignoreNullValues: Boolean(row.ignoreNullValues),
    });
  if (row.isError) expect(read).toThrow();
  else expect(read()).toBe(Number(row.expectedValue));
});

function identified(row: KedaRow): KedaRow {
  return row.metadataTestData as KedaRow;
}
