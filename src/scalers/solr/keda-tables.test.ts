/**
 * KEDA's tests of its solr scaler (pkg/scalers/solr_scaler_test.go) as data: the metadata table,
 * the metric names, and the answers KEDA must report as errors (any status but 200, a null body).
 */
import { describe, expect, it } from "vitest";
import { rowInputs, runParseVectors, type KedaRow } from "../../../test/support/keda-vectors.ts";
import { solrValue } from "./solr.ts";

const FILE = "solr_scaler_test.json";

runParseVectors({ file: FILE, table: "testSolrMetadata", type: "solr" });

runParseVectors({
  file: FILE,
  table: "solrMetricIdentifiers",
  type: "solr",
  inputs: (row) => ({ ...rowInputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

// KEDA's TestSolrGetItemCountErrorsOnNon200 and TestSolrGetItemCountHandlesNullBody.
describe("KEDA's solr answers that are errors", () => {
  const url = new URL("http://solr:8983/solr/my_core/select?q=*%3A*&wt=json");
  it.each([
    [500, `{"responseHeader":{"status":500},"error":{"msg":"no servers hosting shard","code":500}}`],
    [401, `{"responseHeader":{"status":401},"error":{"msg":"require authentication","code":401}}`],
    [404, `{"responseHeader":{"status":404},"error":{"msg":"no such collection","code":404}}`],
    [200, "null"],
  ])("HTTP %s: %s", (status, body) => {
    expect(() => solrValue({ status, body }, url)).toThrow();
  });
  it("reads numFound", () => {
    expect(solrValue({ status: 200, body: '{"response":{"numFound":7,"docs":[]}}' }, url)).toBe(7);
  });
});
