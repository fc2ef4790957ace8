import { expect } from "vitest";
import {
  prepareRow,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import type { HttpClient, HttpResponse } from "../shared/http-get.ts";
import { dqlValue } from "./dynatrace.ts";

const FILE = "dynatrace_scaler_test.json";

runParseVectors({
  file: FILE,
  table: "testDynatraceMetadata",
  type: "dynatrace",
  kedaError: (row) => Boolean(row.errorCase),
});

runParseVectors({
  file: FILE,
  table: "dynatraceMetricIdentifiers",
  type: "dynatrace",
  inputs: (row) => {
    const data = row.metadataTestData as KedaRow;
    return {
      metadata: stringMap(data.metadata),
      authParams: stringMap(data.authParams),
      index: Number(row.triggerIndex),
    };
  },
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

/**
 * KEDA's stub of the DQL API in TestDynatraceGetMetricByQuery, in memory: execute answers 202
 * RUNNING (or 400), poll answers RUNNING `pollResponseAfter` times, then SUCCEEDED with the value.
 */
function dqlStub(row: KedaRow): HttpClient {
  let polls = 0;
  const json = (status: number, body: unknown): HttpResponse => ({ status, body: JSON.stringify(body) });
  return {
    async post(url) {
      expect(url.pathname).toBe("/platform/storage/query/v1/query:execute");
      return row.executeResponseFail
        ? { status: 400, body: "Bad Request\n" }
        : json(202, { state: "RUNNING", requestToken: "token" });
    },
    async get(url) {
      expect(url.pathname).toBe("/platform/storage/query/v1/query:poll");
      expect(url.searchParams.get("request-token")).toBe("token");
      if (row.pollResponseFail) return { status: 400, body: "Bad Request\n" };
      polls += 1;
      if (polls > Number(row.pollResponseAfter ?? 0)) {
        return json(200, { state: "SUCCEEDED", result: { records: [{ r: Number(row.metricValue ?? 0) }] } });
      }
      return json(200, { state: "RUNNING", result: { records: null } });
    },
    async send() {
      throw new Error("the DQL stub answers only the POST and GET KEDA's test stubs");
    },
    close() {},
  };
}

// KEDA's TestDynatraceGetMetricByQuery (queryPollingWait 0s, queryPollingTries 2).
runValueVectors(FILE, "TestDynatraceGetMetricByQuery.testCases", {}, async (row) => {
  const prepared = prepareRow("dynatrace", {
    metadata: {
      threshold: "100",
      query: "dql-query",
      host: "http://127.0.0.1:1",
      queryPollingWait: "0s",
      queryPollingTries: "2",
    },
    authParams: { token: "123ws" },
  });
  const read = dqlValue(dqlStub(row), prepared.params as never, new AbortController().signal);
  if (row.isError) await expect(read).rejects.toThrow();
  else expect(await read).toBe(Number(row.metricValue));
});
