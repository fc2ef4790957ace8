import { expect } from "vitest";
import {
  plain,
  rowInputs,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
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
  inputs: (row) => ({
    ...rowInputs(row),
    ...(row.podIdentityProvider
      ? { podIdentity: { provider: String(row.podIdentityProvider) } as PodIdentity }
      : {}),
  }),
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
