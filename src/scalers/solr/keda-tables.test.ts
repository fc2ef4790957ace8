/**
 * KEDA's tests of its solr scaler (pkg/scalers/solr_scaler_test.go) as data: the metadata table,
 * the metric names, and the answers KEDA must report as errors (any status but 200, a null body).
 */
import { describe, expect, it } from "vitest";
import { kedaParseTable, type KedaRow } from "../../../test/support/keda-rows.ts";
import { solrValue } from "./solr.ts";

const METADATA: KedaRow[] = [
  {
    line: 25,
    name: "nothing passed",
    metadata: {},
    isError: true,
  },
  {
    line: 27,
    name: "properly formed metadata",
    metadata: {
      collection: "my_core",
      host: "http://192.168.49.2:30217",
      query: "*:*",
      targetQueryValue: "1",
    },
    authParams: {
      password: "test_password",
      username: "test_username",
    },
    isError: false,
  },
  {
    line: 29,
    name: "no query passed",
    metadata: {
      collection: "my_core",
      host: "http://192.168.49.2:30217",
      targetQueryValue: "1",
    },
    authParams: {
      password: "test_password",
      username: "test_username",
    },
    isError: false,
  },
  {
    line: 31,
    name: "no host passed",
    metadata: {
      collection: "my_core",
      query: "*:*",
      targetQueryValue: "1",
    },
    authParams: {
      password: "test_password",
      username: "test_username",
    },
    isError: true,
  },
  {
    line: 33,
    name: "no collection passed",
    metadata: {
      host: "http://192.168.49.2:30217",
      query: "*:*",
      targetQueryValue: "1",
    },
    authParams: {
      password: "test_password",
      username: "test_username",
    },
    isError: true,
  },
  {
    line: 35,
    name: "no targetQueryValue passed",
    metadata: {
      collection: "my_core",
      host: "http://192.168.49.2:30217",
      query: "*:*",
    },
    authParams: {
      password: "test_password",
      username: "test_username",
    },
    isError: true,
  },
  {
    line: 37,
    name: "no username passed",
    metadata: {
      collection: "my_core",
      host: "http://192.168.49.2:30217",
      query: "*:*",
      targetQueryValue: "1",
    },
    authParams: {
      password: "test_password",
    },
    isError: true,
  },
  {
    line: 39,
    name: "no password passed",
    metadata: {
      collection: "my_core",
      host: "http://192.168.49.2:30217",
      query: "*:*",
      targetQueryValue: "1",
    },
    authParams: {
      username: "test_username",
    },
    isError: true,
  },
];

const METRIC_NAMES: KedaRow[] = [
  {
    line: 43,
    metadata: {
      collection: "my_core",
      host: "http://192.168.49.2:30217",
      query: "*:*",
      targetQueryValue: "1",
    },
    authParams: {
      password: "test_password",
      username: "test_username",
    },
    isError: false,
    index: 0,
    metricName: "s0-solr",
  },
  {
    line: 44,
    metadata: {
      collection: "my_core",
      host: "http://192.168.49.2:30217",
      targetQueryValue: "1",
    },
    authParams: {
      password: "test_password",
      username: "test_username",
    },
    isError: false,
    index: 1,
    metricName: "s1-solr",
  },
];

kedaParseTable("solr", "testSolrMetadata", METADATA);
kedaParseTable("solr", "solrMetricIdentifiers", METRIC_NAMES);

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
