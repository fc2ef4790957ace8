import { describe, expect, it } from "vitest";
import { runParseVectors, stringMap, type KedaRow } from "../../../test/support/keda-vectors.ts";
import { catalogEndpoint, identityV3Base, tokenRequestBody } from "./keystone.ts";
import { gnocchiMeasuresUrl, gnocchiValue } from "./metric.ts";

const METRICS = "openstack_metrics_scaler_test.json";
const SWIFT = "openstack_swift_scaler_test.json";

function inputs(row: KedaRow) {
  const metadata = (row.metadataTestData as { metadata?: unknown } | undefined)?.metadata;
  const auth = (row.authMetadataTestData as { authMetadata?: unknown } | undefined)?.authMetadata;
  return {
    metadata: stringMap(metadata),
    authParams: stringMap(auth),
    index: Number(row.triggerIndex ?? row.scaledIndex ?? 0),
  };
}

// TestOpenstackMetricsGetMetricsForSpecScaling: valid rows and their metric names.
runParseVectors({
  file: METRICS,
  table: "TestOpenstackMetricsGetMetricsForSpecScaling.testCases",
  type: "openstack-metric",
  inputs,
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name), target: 1250 }),
});
for (const table of [
  "TestOpenstackMetricsGetMetricsForSpecScalingInvalidMetaData.testCases",
  "TestOpenstackMetricAuthenticationInvalidAuthMetadata.testCases",
]) {
  runParseVectors({ file: METRICS, table, type: "openstack-metric", inputs, kedaError: () => true });
}

runParseVectors({
  file: SWIFT,
  table: "TestOpenstackSwiftGetMetricSpecForScaling.testCases",
  type: "openstack-swift",
  inputs,
  kedaError: () => false,
  expect: (row) => {
    const metadata = inputs(row).metadata;
    return { metricName: String(row.name), target: Number(metadata.objectCount ?? 2) };
  },
});
for (const table of [
  "TestParseOpenstackSwiftMetadataForInvalidCases.testCases",
  "TestParseOpenstackSwiftAuthenticationMetadataForInvalidCases.testCases",
]) {
  runParseVectors({ file: SWIFT, table, type: "openstack-swift", inputs, kedaError: () => true });
}

describe("Keystone and Gnocchi requests as KEDA makes them", () => {
  it("posts to <authURL>/v3/auth/tokens, once even when authURL ends in /v3", () => {
    expect(identityV3Base("http://keystone:5000")).toBe("http://keystone:5000/v3");
    expect(identityV3Base("http://keystone:5000/v3/")).toBe("http://keystone:5000/v3");
    expect(identityV3Base("http://cloud/identity/v3")).toBe("http://cloud/identity/v3");
  });
  it("asks for a password token scoped to the project, or an application credential token", () => {
    expect(tokenRequestBody({ authUrl: "", userId: "u", password: "p", projectId: "proj" })).toEqual({
      auth: {
        identity: { methods: ["password"], password: { user: { id: "u", password: "p" } } },
        scope: { project: { id: "proj" } },
      },
    });
    expect(tokenRequestBody({ authUrl: "", appCredentialId: "id", appCredentialSecret: "s" })).toEqual({
      auth: {
        identity: { methods: ["application_credential"], application_credential: { id: "id", secret: "s" } },
      },
    });
  });
  it("reads the measures from a start granularity/60 - 1 minutes back, in whole minutes", () => {
    const now = Date.parse("2026-03-01T10:17:42.500Z");
    const url = gnocchiMeasuresUrl(
      {
        metricsURL: "http://gnocchi:8041/v1/metric/",
        metricID: "abc",
        aggregationMethod: "mean",
        granularity: 300,
      },
      now,
    );
    expect(url.toString()).toBe(
      "http://gnocchi:8041/v1/metric/abc/measures?aggregation=mean&granularity=300&start=2026-03-01T10%3A13%3A00",
    );
    const short = gnocchiMeasuresUrl(
      {
        metricsURL: "http://gnocchi:8041/v1/metric",
        metricID: "abc",
        aggregationMethod: "max",
        granularity: 60,
      },
      now,
    );
    expect(short.searchParams.get("start")).toBe("2026-03-01T10:17:00");
  });
  it("takes the last measure's value; no measure is 0; a malformed one is an error", () => {
    const read = (body: string) => gnocchiValue({ status: 200, body });
    expect(
      read('[["2026-03-01T10:00:00+00:00", 300.0, 12.5], ["2026-03-01T10:05:00+00:00", 300.0, 7.0]]'),
    ).toBe(7);
    expect(read("[]")).toBe(0);
    expect(() => read('[["t", 300.0]]')).toThrow("unexpected json response");
    expect(() => read('[["t", 300.0, "x"]]')).toThrow("failed to convert interface type to float64");
    expect(() => gnocchiValue({ status: 404, body: '{"description": "Metric abc does not exist"}' })).toThrow(
      /^Gnocchi answered HTTP 404/,
    );
  });
  it("finds the one public object-store endpoint of the catalog (in the region)", () => {
    const catalog = [
      {
        type: "object-store",
        endpoints: [
          { url: "http://a/v1/AUTH_p", interface: "public", region: "one" },
          { url: "http://b/v1/AUTH_p", interface: "public", region: "two" },
          { url: "http://internal/v1/AUTH_p", interface: "internal", region: "one" },
        ],
      },
    ];
    expect(catalogEndpoint(catalog, "object-store", "two")).toBe("http://b/v1/AUTH_p");
    expect(() => catalogEndpoint(catalog, "object-store")).toThrow(/2 public object-store endpoints/);
    expect(() => catalogEndpoint(catalog, "metric")).toThrow(/no public metric endpoint/);
  });
});
