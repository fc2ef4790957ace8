/**
 * KEDA's tests of its graphite scaler (pkg/scalers/graphite_scaler_test.go) as data: metadata,
 * authentication and metric-name tables, and the values read from render answers.
 */
import { describe, expect, it } from "vitest";
import { kedaParseTable, type KedaRow } from "../../../test/support/keda-rows.ts";
import { graphiteValue } from "./graphite.ts";

const METADATA: KedaRow[] = [
  {
    line: 27,
    metadata: {},
    isError: true,
  },
  {
    line: 29,
    name: "all properly formed",
    metadata: {
      activationThreshold: "23",
      query: "stats.counters.http.hello-world.request.count.count",
      queryTime: "-30Seconds",
      serverAddress: "http://localhost:81",
      threshold: "100",
    },
    isError: false,
  },
  {
    line: 31,
    name: "missing serverAddress",
    metadata: {
      query: "stats.counters.http.hello-world.request.count.count",
      queryTime: "-30Seconds",
      serverAddress: "",
      threshold: "100",
    },
    isError: true,
  },
  {
    line: 33,
    name: "malformed threshold",
    metadata: {
      query: "stats.counters.http.hello-world.request.count.count",
      queryTime: "-30Seconds",
      serverAddress: "http://localhost:81",
      threshold: "one",
    },
    isError: true,
  },
  {
    line: 35,
    name: "malformed activationThreshold",
    metadata: {
      activationThreshold: "one",
      query: "stats.counters.http.hello-world.request.count.count",
      queryTime: "-30Seconds",
      serverAddress: "http://localhost:81",
      threshold: "100",
    },
    isError: true,
  },
  {
    line: 37,
    name: "missing query",
    metadata: {
      query: "",
      queryTime: "-30Seconds",
      serverAddress: "http://localhost:81",
      threshold: "100",
    },
    isError: true,
  },
  {
    line: 39,
    name: "missing queryTime",
    metadata: {
      query: "stats.counters.http.hello-world.request.count.count",
      queryTime: "",
      serverAddress: "http://localhost:81",
      threshold: "100",
    },
    isError: true,
  },
];

const AUTH: KedaRow[] = [
  {
    line: 55,
    name: "success basicAuth",
    metadata: {
      authMode: "basic",
      query: "stats.counters.http.hello-world.request.count.count",
      queryTime: "-30Seconds",
      serverAddress: "http://localhost:81",
      threshold: "100",
    },
    authParams: {
      password: "pass",
      username: "user",
    },
    isError: false,
  },
  {
    line: 57,
    name: "fail basicAuth with no username",
    metadata: {
      authMode: "basic",
      query: "stats.counters.http.hello-world.request.count.count",
      queryTime: "-30Seconds",
      serverAddress: "http://localhost:81",
      threshold: "100",
    },
    isError: true,
  },
  {
    line: 59,
    name: "fail if using non-basicAuth authMode",
    metadata: {
      authMode: "tls",
      query: "stats.counters.http.hello-world.request.count.count",
      queryTime: "-30Seconds",
      serverAddress: "http://localhost:81",
      threshold: "100",
    },
    authParams: {
      username: "user",
    },
    isError: true,
  },
];

const METRIC_NAMES: KedaRow[] = [
  {
    line: 43,
    metadata: {
      activationThreshold: "23",
      query: "stats.counters.http.hello-world.request.count.count",
      queryTime: "-30Seconds",
      serverAddress: "http://localhost:81",
      threshold: "100",
    },
    isError: false,
    index: 0,
    metricName: "s0-graphite",
  },
  {
    line: 44,
    metadata: {
      activationThreshold: "23",
      query: "stats.counters.http.hello-world.request.count.count",
      queryTime: "-30Seconds",
      serverAddress: "http://localhost:81",
      threshold: "100",
    },
    isError: false,
    index: 1,
    metricName: "s1-graphite",
  },
];

const QUERY_RESULTS: {
  line: number;
  name: string;
  body: string;
  status: number;
  value: number;
  isError: boolean;
}[] = [
  {
    line: 71,
    name: "no results",
    body: '[{"target":"sumSeries(metric)","tags":{"name":"metric","aggregatedBy":"sum"},"datapoints":[]}]',
    status: 200,
    value: 0,
    isError: false,
  },
  {
    line: 78,
    name: "valid response, latest datapoint is non-null",
    body: '[{"target":"sumSeries(metric)","tags":{"name":"metric","aggregatedBy":"sum"},"datapoints":[[1,10000000]]}]',
    status: 200,
    value: 1,
    isError: false,
  },
  {
    line: 85,
    name: "valid response, latest datapoint is null",
    body: '[{"target":"sumSeries(metric)","tags":{"name":"metric","aggregatedBy":"sum"},"datapoints":[[1,10000000],[null,10000010]]}]',
    status: 200,
    value: 1,
    isError: false,
  },
  {
    line: 92,
    name: "invalid response, all datapoints are null",
    body: '[{"target":"sumSeries(metric)","tags":{"name":"metric","aggregatedBy":"sum"},"datapoints":[[null,10000000],[null,10000010]]}]',
    status: 200,
    value: -1,
    isError: true,
  },
  {
    line: 99,
    name: "multiple results",
    body: '[{"target":"sumSeries(metric1)","tags":{"name":"metric1","aggregatedBy":"sum"},"datapoints":[[1,1000000]]}, {"target":"sumSeries(metric2)","tags":{"name":"metric2","aggregatedBy":"sum"},"datapoints":[[1,1000000]]}]',
    status: 200,
    value: -1,
    isError: true,
  },
  {
    line: 106,
    name: "error status response",
    body: "{}",
    status: 400,
    value: -1,
    isError: true,
  },
];

kedaParseTable("graphite", "testGrapMetadata", METADATA);
kedaParseTable("graphite", "testGraphiteAuthMetadata", AUTH);
kedaParseTable("graphite", "graphiteMetricIdentifiers", METRIC_NAMES);

// KEDA's TestGrapScalerExecuteGrapQuery: the value read from an answer, or an error.
describe("KEDA's testGrapQueryResults", () => {
  it.each(QUERY_RESULTS.map((row) => [row.name, row] as const))("%s", (_name, row) => {
    const read = () => graphiteValue({ status: row.status, body: row.body }, "metric");
    if (row.isError) expect(read).toThrow();
    else expect(read()).toBe(row.value);
  });
});
