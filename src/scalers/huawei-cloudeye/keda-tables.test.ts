import { describe, expect, it } from "vitest";
import { runParseVectors, stringMap, type KedaRow } from "../../../test/support/keda-vectors.ts";
import { huaweiCanonicalRequest, huaweiSign, huaweiSignature } from "../../auth/identity/huawei.ts";
import { cloudEyeQuery, cloudEyeValue } from "./cloudeye.ts";

const FILE = "huawei_cloudeye_scaler_test.json";

runParseVectors({
  file: FILE,
  table: "testHuaweiCloudeyeMetadata",
  type: "huawei-cloudeye",
  expect: (row) => ({ target: Number(stringMap(row.metadata).targetMetricValue) }),
});
runParseVectors({
  file: FILE,
  table: "huaweiCloudeyeMetricIdentifiers",
  type: "huawei-cloudeye",
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

describe("Cloud Eye's query and answer as KEDA reads them", () => {
  const values = {
    namespace: "SYS.ELB",
    metricName: "mb_l7_qps",
    dimensionName: "lbaas_instance_id",
    dimensionValue: "id-1",
    targetMetricValue: 1,
    activationTargetMetricValue: 0,
    metricCollectionTime: 300,
    metricFilter: "average" as const,
    metricPeriod: "300",
    IdentityEndpoint: "",
    ProjectID: "p",
    Region: "r",
    Cloud: "c",
    AccessKey: "ak",
    SecretKey: "sk",
  };
  it("asks for the window from whole minutes", () => {
    const now = Date.parse("2026-03-01T10:17:42Z");
    expect(cloudEyeQuery(values, now)).toEqual({
      metrics: [
        {
          namespace: "SYS.ELB",
          dimensions: [{ name: "lbaas_instance_id", value: "id-1" }],
          metric_name: "mb_l7_qps",
        },
      ],
      from: Date.parse("2026-03-01T10:12:00Z"),
      to: Date.parse("2026-03-01T10:17:00Z"),
      period: "300",
      filter: "average",
    });
  });
  it("reads the first datapoint of the filter's aggregation", () => {
    expect(
      cloudEyeValue({ metrics: [{ datapoints: [{ average: 3, timestamp: 1 }, { average: 9 }] }] }, "average"),
    ).toBe(3);
    expect(() => cloudEyeValue({ metrics: [{ datapoints: [] }] }, "average")).toThrow(
      "metric Data not received",
    );
    expect(() => cloudEyeValue({ metrics: [] }, "average")).toThrow("metric Data not received");
    expect(() => cloudEyeValue({ metrics: [{ datapoints: [{ max: 3 }] }] }, "average")).toThrow(
      "metric Data not float64",
    );
  });
  it("signs every header, the canonical path ending in / and the body's hash", () => {
    const url = new URL("https://ces.example.com/V1.0/p/batch-query-metric-data?b=2&a=1");
    const headers = huaweiSign(
      { method: "POST", url, body: "{}", headers: { "Content-Type": "application/json" } },
      { accessKey: "AK", secretKey: "SK" },
      new Date("2026-03-01T10:17:42Z"),
    );
    expect(headers["X-Sdk-Date"]).toBe("20260301T101742Z");
    expect(headers.Authorization).toMatch(
      /^SDK-HMAC-SHA256 Credential=AK\/20260301\/\/\/sdk_request, SignedHeaders=content-type;host;x-sdk-date, Signature=[0-9a-f]{64}$/,
    );
    const canonical = huaweiCanonicalRequest({ method: "POST", url, body: "{}", headers }, [
      "content-type",
      "host",
      "x-sdk-date",
    ]);
    expect(canonical.split("\n").slice(0, 3)).toEqual([
      "POST",
      "/V1.0/p/batch-query-metric-data/",
      "a=1&b=2",
    ]);
    const signature = /Signature=(\w+)/.exec(headers.Authorization ?? "")?.[1];
    expect(huaweiSignature(canonical, "20260301T101742Z", "SK")).toBe(signature);
    expect(huaweiSignature(canonical, "20260301T101742Z", "other")).not.toBe(signature);
  });
});
