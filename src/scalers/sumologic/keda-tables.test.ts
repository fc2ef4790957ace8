import type { IncomingHttpHeaders } from "node:http";
import { expect } from "vitest";
import {
  errorsOf,
  plain,
  prepareRow,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import type { HttpRequestClient, HttpResponse } from "../shared/http-get.ts";
import { SumoClient, type Aggregator, type SumoQuery } from "./client.ts";

const FILE = "sumologic_scaler_test.json";
const CLIENT_FILE = "sumologic/sumologic_test.json";
const HOST_NOT_A_URL = {
  tidalError: true,
  reason: 'host "fake" is not a URL: an error when parsed; KEDA fails only when it sends a request',
  doc: "docs/keda-differences.md#sumologic",
};

runParseVectors({ file: FILE, table: "testSumologicMetadata", type: "sumologic" });

runParseVectors({
  file: FILE,
  table: "sumologicMetricIdentifiers",
  type: "sumologic",
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

/** Go struct field names of KEDA's types as the JSON keys their tags give. */
function wire(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wire);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => {
      const name =
        key === "ID"
          ? "id"
          : key === "RowID"
            ? "rowId"
            : key === "Map"
              ? "map"
              : key[0]!.toLowerCase() + key.slice(1);
      // A map of fields (a record's Map) keeps its keys.
      return [name, key === "Map" ? item : wire(item)];
    }),
  );
}

/** KEDA's httptest server for a client test, in memory: every answer has the row's status code. */
function stub(route: (method: string, url: URL) => unknown, status: number): HttpRequestClient {
  const send = async (
    method: string,
    url: URL,
  ): Promise<HttpResponse & { headers: IncomingHttpHeaders }> => ({
    status,
    body: `${JSON.stringify(wire(plain(route(method, url) ?? null)))}\n`,
    headers: {},
  });
  return {
    send: (method, url) => send(method, url),
    get: (url) => send("GET", url),
    post: (url) => send("POST", url),
    close() {},
  };
}

function clientOf(row: KedaRow, http: HttpRequestClient): SumoClient {
  return new SumoClient(http, {
    host: "https://127.0.0.1:1",
    accessId: "fake",
    accessKey: "fake",
    logsPollingIntervalMs: 1,
    maxRetries: 3,
    backoffMs: 1,
  });
}

function queryOf(row: KedaRow, type: "logs" | "metrics"): SumoQuery {
  const nanoseconds = (value: unknown) =>
    Number((value as { nanoseconds?: number } | undefined)?.nanoseconds ?? 0);
  return {
    type,
    query: typeof row.query === "string" ? row.query : undefined,
    queries: stringMap(row.queries),
    resultQueryRowId: typeof row.resultQueryRowID === "string" ? row.resultQueryRowID : undefined,
    quantizationMs: nanoseconds(row.quantization) / 1e6,
    rollup: String(row.rollup ?? "Avg"),
    resultField: typeof row.resultField === "string" ? row.resultField : undefined,
    timerangeMs: nanoseconds(row.timerange) / 1e6,
    timezone: String(row.tz),
    aggregator: String(row.aggregation) as Aggregator,
  };
}

// KEDA's TestNewClient: the host, access ID and access key a client needs.
runValueVectors(CLIENT_FILE, "TestNewClient.tests", { 0: HOST_NOT_A_URL }, (row, _index, difference) => {
  const config = plain(row.config) as Record<string, string>;
  const prepared = prepareRow("sumologic", {
    metadata: {
      ...(config.Host ? { host: config.Host } : {}),
      queryType: "logs",
      query: "q | count as n",
      resultField: "n",
      timerange: "5m",
      threshold: "1",
    },
    authParams: {
      ...(config.AccessID ? { accessID: config.AccessID } : {}),
      ...(config.AccessKey ? { accessKey: config.AccessKey } : {}),
    },
  });
  expect(errorsOf(prepared).length > 0).toBe(difference ? difference.tidalError : Boolean(row.expectErr));
});

// KEDA's TestGetLogSearchResult: a search job created, polled, its records read and the job deleted.
runValueVectors(CLIENT_FILE, "TestGetLogSearchResult.tests", {}, async (row) => {
  const job = (row.createJobResponse as { ID: string }).ID;
  const http = stub(
    (method, url) => {
      if (method === "POST" && url.pathname === "/api/v1/search/jobs") return row.createJobResponse;
      if (method === "GET" && url.pathname === `/api/v1/search/jobs/${job}`) return row.jobStatusResponse;
      if (method === "GET" && url.pathname === `/api/v1/search/jobs/${job}/records`)
        return row.recordsResponse;
      return undefined;
    },
    Number(plain(row.statusCode)),
  );
  const read = clientOf(row, http).value(queryOf(row, "logs"), new AbortController().signal);
  if (row.expectErr) await expect(read).rejects.toThrow();
  else await expect(read).resolves.toEqual(expect.any(Number));
});

// KEDA's TestGetMetricsSearchResult and TestGetMultiMetricsSearchResult.
for (const table of ["TestGetMetricsSearchResult.tests", "TestGetMultiMetricsSearchResult.tests"]) {
  runValueVectors(CLIENT_FILE, table, {}, async (row) => {
    const http = stub(() => row.response, Number(plain(row.statusCode)));
    const read = clientOf(row, http).value(queryOf(row, "metrics"), new AbortController().signal);
    if (row.expectErr) await expect(read).rejects.toThrow();
    else expect(await read).toBe(Number(row.expectedResult));
  });
}
