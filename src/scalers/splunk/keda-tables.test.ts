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
import { splunkExportUrl, splunkValue } from "./splunk.ts";

const FILE = "splunk_scaler_test.json";
const CLIENT_FILE = "splunk/splunk_test.json";

runParseVectors({ file: FILE, table: "testSplunkMetadata", type: "splunk" });

runParseVectors({
  file: FILE,
  table: "SplunkMetricIdentifiers",
  type: "splunk",
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

const METADATA = {
  host: "https://localhost:8089",
  savedSearchName: "fakeSavedSearchName",
  valueField: "count",
  targetValue: "1",
  activationValue: "5",
};

/** A client Config of KEDA's splunk package as the authentication parameters that give it. */
function authOf(config: Record<string, unknown>): Record<string, string> {
  const auth: Record<string, string> = {};
  if (config.Username) auth.username = String(config.Username);
  if (config.Password) auth.password = String(config.Password);
  if (config.APIToken) auth.apiToken = String(config.APIToken);
  return auth;
}

// KEDA's TestNewClient: which credentials make a client.
runValueVectors(CLIENT_FILE, "TestNewClient.tests", {}, (row) => {
  const config = plain(row.config) as Record<string, unknown>;
  const prepared = prepareRow("splunk", {
    metadata: { ...METADATA, unsafeSsl: String(Boolean(config.UnsafeSsl)) },
    authParams: authOf(config),
  });
  expect(errorsOf(prepared).length > 0).toBe(Boolean(row.expectErr));
});

// KEDA's TestSavedSearch: the request's path and query, and the answer read (or an error).
runValueVectors(CLIENT_FILE, "TestSavedSearch.tests", {}, (row) => {
  const config = plain(row.config) as Record<string, unknown>;
  const url = splunkExportUrl("http://127.0.0.1:8089", String(config.Username));
  expect(url.pathname).toBe(`/servicesNS/${String(config.Username)}/search/search/jobs/export`);
  expect(url.searchParams.get("output_mode")).toBe("json");
  const result = (plain(row.response) as { Result: Record<string, string> }).Result;
  const response = { status: Number(plain(row.statusCode)), body: `${JSON.stringify({ result })}\n` };
  const read = () => splunkValue(response, "count");
  if (row.expectErr) expect(read).toThrow();
  else expect(read()).toBe(Number(row.metricValue));
});

// KEDA's TestToMetric: the value field of the first result row as a float.
runValueVectors(CLIENT_FILE, "TestToMetric.tests", {}, (row) => {
  const result = (plain(row.response) as { Result: Record<string, string> }).Result;
  const read = () => splunkValue({ status: 200, body: JSON.stringify({ result }) }, String(row.valueField));
  if (row.expectErr) expect(read).toThrow();
  else expect(read()).toBe(Number(row.expectedMetricValue));
});
