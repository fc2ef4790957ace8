import { expect } from "vitest";
import {
  errorsOf,
  prepareRow,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { semicolonList } from "../elasticsearch/search-value.ts";
import { opensearchProblems } from "./opensearch.ts";

const FILE = "opensearch_scaler_test.json";
const DOC = "docs/keda-differences.md#opensearch";

// KEDA checks each row with a Go function; the facts it asserts, per row name, in Tidal's terms.
const CHECKS: Record<string, Record<string, unknown>> = {
  "auth fields read from AuthParams": {
    addresses: ["http://authparam-host:9200"],
    username: "auth-user",
    password: "auth-pass",
  },
  "password resolved from environment variable": { password: "env-secret" },
  "TLS auth: clientCert and clientKey, no basic auth needed": {
    enableTLS: true,
    clientCert: "cert-data",
    clientKey: "key-data",
  },
  "multiple addresses parsed with comma separator": { addresses: ["http://a:9200", "http://b:9200"] },
  "activationTargetValue is parsed": { activationTargetValue: 5 },
  "ignoreNullValues is parsed": { ignoreNullValues: true },
  "unsafeSsl is parsed": { unsafeSsl: true },
  "default values applied when optional fields absent": {
    unsafeSsl: false,
    activationTargetValue: 0,
    ignoreNullValues: false,
  },
};

runParseVectors({
  file: FILE,
  table: "TestParseOpensearchMetadata.tests",
  type: "opensearch",
  kedaError: (row) => Boolean(row.wantErr),
  expect: (row) => {
    const name = String(row.name);
    return {
      ...(name === "searchTemplateName: metric name derived from template name"
        ? { metricName: "s0-opensearch-my-template" }
        : {}),
      ...(name.startsWith("query:") ? { metricName: "s0-opensearch-query" } : {}),
      params: CHECKS[name] ?? {},
      check: (prepared) => {
        if (name === "multiple indexes parsed with semicolon separator") {
          expect(semicolonList(prepared.params.index as string)).toEqual(["idx1", "idx2", "idx3"]);
        }
        if (name === "parameters parsed with semicolon separator") {
          expect(semicolonList(prepared.params.parameters as string)).toEqual(["key1:val1", "key2:val2"]);
        }
      },
    };
  },
});

// KEDA's TestOpensearchMetadataValidate: its Validate on a parsed struct (Go field names).
runValueVectors(FILE, "TestOpensearchMetadataValidate.tests", {}, (row) => {
  const meta = row.meta as Record<string, unknown>;
  const problems = opensearchProblems({
    enableTLS: Boolean(meta.EnableTLS),
    clientCert: meta.ClientCert as string | undefined,
    clientKey: meta.ClientKey as string | undefined,
    username: meta.Username as string | undefined,
    password: meta.Password as string | undefined,
    searchTemplateName: meta.SearchTemplateName as string | undefined,
    query: meta.Query as string | undefined,
  });
  if (row.wantErr) expect(problems.map((problem) => problem.message)).toContain(String(row.wantErr));
  else expect(problems).toEqual([]);
});

// KEDA's TestGetMetricsAndActivity_InvalidParameters: a search template parameter that is not
// key:value fails each poll in KEDA; Tidal reports it when the trigger is validated.
runValueVectors(
  FILE,
  "TestGetMetricsAndActivity_InvalidParameters.tests",
  {
    0: { reason: "reported when the trigger is validated, not at each poll", doc: DOC },
    1: { reason: "reported when the trigger is validated, not at each poll", doc: DOC },
    2: { reason: "reported when the trigger is validated, not at each poll", doc: DOC },
  },
  (row: KedaRow) => {
    const prepared = prepareRow("opensearch", {
      metadata: {
        addresses: "http://localhost:9200",
        index: "jobs",
        searchTemplateName: "pending",
        parameters: String(row.parameter),
        valueLocation: "hits.total.value",
        targetValue: "1",
      },
      authParams: stringMap({ username: "admin", password: "secret" }),
    });
    expect(errorsOf(prepared)).toEqual([
      `invalid parameter format "${String(row.parameter)}", expected key:value`,
    ]);
  },
);
