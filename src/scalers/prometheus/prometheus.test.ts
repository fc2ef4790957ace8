import { describe, expect, it } from "vitest";
import { prepareScalerTrigger, withErrorMessages } from "../../../test/support/prepare-trigger.ts";
import { managedPrometheusScope } from "./prometheus.ts";
import { parsePrometheusFloat, prometheusQueryUrl, prometheusQueryValue } from "./query.ts";

function prepare(
  metadata: Record<string, string>,
  authParams: Record<string, string> = {},
  asMetricSource = false,
) {
  return withErrorMessages(
    prepareScalerTrigger("prometheus", metadata, { index: 2, authParams, asMetricSource }),
  );
}

const base = {
  serverAddress: "http://prometheus:9090",
  query: "sum(rate(http_requests_total[2m]))",
  threshold: "50",
};

describe("prometheus with a pod identity", () => {
  const workload = { podIdentity: { provider: "azure-workload" as const } };
  const errors = (metadata: Record<string, string>, authParams: Record<string, string> = {}) =>
    withErrorMessages(
      prepareScalerTrigger("prometheus", { ...base, ...metadata }, { authParams, ...workload }),
    ).errors;

  it("refuses authModes next to it, as KEDA does", () => {
    expect(errors({ authModes: "basic" }, { username: "u", password: "p" })).toEqual([
      "pod identity cannot be enabled with other auth types: remove authModes or the podIdentity (azure-workload)",
    ]);
    expect(errors({})).toEqual([]);
  });

  it("asks for Azure Managed Prometheus's scope of the trigger's cloud", () => {
    expect(managedPrometheusScope({})).toEqual({ value: "https://prometheus.monitor.azure.com/.default" });
    expect(managedPrometheusScope({ cloud: "AzureChinaCloud" })).toEqual({
      value: "https://prometheus.monitor.azure.cn/.default",
    });
    expect(
      managedPrometheusScope({
        cloud: "Private",
        azureManagedPrometheusResourceURL: "https://prom.example/.default",
      }),
    ).toEqual({ value: "https://prom.example/.default" });
    expect(errors({ cloud: "AzureGermanCloud" })).toEqual([
      "azure managed prometheus is not available in cloud AzureGermanCloud",
    ]);
    expect(errors({ cloud: "Private" })).toEqual([
      "azureManagedPrometheusResourceURL must be provided for Private cloud type",
    ]);
  });
});

describe("prometheus parameters", () => {
  it("reads KEDA's defaults and names the metric s<i>-prometheus with a milli target", () => {
    const prepared = prepare(base);
    expect(prepared.errors).toEqual([]);
    expect(prepared.params).toMatchObject({
      ignoreNullValues: true,
      unsafeSsl: false,
      activationThreshold: 0,
      method: "header",
    });
    expect(prepared.metricSpec).toMatchObject({
      metricName: "s2-prometheus",
      target: 50,
      activationTarget: 0,
    });
  });

  it("requires serverAddress, query and threshold", () => {
    expect(prepare({}).errors.join("\n")).toMatch(/serverAddress[\s\S]*query[\s\S]*/);
    expect(prepare({ serverAddress: base.serverAddress, query: base.query }).errors).toEqual([
      `missing required parameter "threshold"`,
    ]);
  });

  it("lets a formula source leave out threshold", () => {
    const prepared = prepare({ serverAddress: base.serverAddress, query: base.query }, {}, true);
    expect(prepared.errors).toEqual([]);
    expect(prepared.metricSpec?.target).toBe(0);
  });

  it("parses maps, durations and floats", () => {
    const prepared = prepare({
      ...base,
      threshold: "2.5",
      activationThreshold: "1.5",
      queryParameters: "dedup=true, partial_response=false",
      customHeaders: "X-Scope-OrgID=tenant-a",
      ignoreNullValues: "false",
      timeout: "1500",
    });
    expect(prepared.errors).toEqual([]);
    expect(prepared.params).toMatchObject({
      threshold: 2.5,
      activationThreshold: 1.5,
      queryParameters: { dedup: "true", partial_response: "false" },
      customHeaders: { "X-Scope-OrgID": "tenant-a" },
      ignoreNullValues: false,
      timeout: 1500,
    });
    expect(prepare({ ...base, timeout: "10s" }).params.timeout).toBe(10_000);
  });

  it("rejects bad values with the key named", () => {
    expect(prepare({ ...base, threshold: "lots" }).errors).toEqual([
      `parameter "threshold" value "lots" must be a number`,
    ]);
    expect(prepare({ ...base, serverAddress: "prometheus:9090 x" }).errors[0]).toMatch(
      /serverAddress .* is not a URL/,
    );
    expect(prepare({ ...base, timeout: "soon" }).errors[0]).toMatch(/timeout/);
  });

  it("checks the shared auth block", () => {
    expect(prepare({ ...base, authModes: "bearer" }).errors).toEqual([
      "bearer authentication needs bearerToken",
    ]);
    expect(
      prepare({ ...base, authModes: "basic,bearer" }, { username: "u", bearerToken: "t" }).errors,
    ).toEqual(["authModes may contain only one of bearer, basic, oauth"]);
    expect(prepare({ ...base }, { authModes: "basic", username: "u" }).errors).toEqual([]);
    expect(prepare({ ...base, authMode: "tls" }, { cert: "C" }).errors).toEqual([
      "tls authentication needs cert and key",
    ]);
    expect(prepare({ ...base, authModes: "kerberos" }).errors[0]).toMatch(
      /must be among apiKey, basic, tls, bearer, custom/,
    );
    expect(prepare({ ...base, authModes: "oauth" }).errors).toEqual([
      "oauth authentication needs oauthTokenURI and clientID",
    ]);
  });

  it("warns about credentials put in metadata", () => {
    const prepared = prepare({ ...base, bearerToken: "x" });
    expect(prepared.problems).toContainEqual(
      expect.objectContaining({ key: "bearerToken", severity: "warning" }),
    );
  });
});

describe("prometheusQueryUrl", () => {
  const query = {
    serverAddress: "http://prom:9090/prefix",
    query: 'sum(up{job="a b"})',
    ignoreNullValues: true,
  };

  it("builds KEDA's request with the time in RFC 3339 UTC seconds", () => {
    const url = prometheusQueryUrl(query, {}, Date.UTC(2026, 0, 2, 3, 4, 5, 678));
    expect(url.pathname).toBe("/prefix/api/v1/query");
    expect(url.searchParams.get("query")).toBe('sum(up{job="a b"})');
    expect(url.searchParams.get("time")).toBe("2026-01-02T03:04:05Z");
    expect(url.search).toContain("query=sum%28up%7Bjob%3D%22a+b%22%7D%29");
  });

  it("adds namespace, query parameters and an API key", () => {
    const url = prometheusQueryUrl(
      { ...query, namespace: "team-a", queryParameters: { dedup: "true" } },
      { api_key: "k" },
      0,
    );
    expect(url.searchParams.get("namespace")).toBe("team-a");
    expect(url.searchParams.get("dedup")).toBe("true");
    expect(url.searchParams.get("api_key")).toBe("k");
  });
});

describe("prometheusQueryValue", () => {
  const params = { serverAddress: "http://p", query: "q", ignoreNullValues: true };
  const strict = { ...params, ignoreNullValues: false };
  const ok = (data: unknown) => ({ status: 200, body: JSON.stringify({ status: "success", data }) });
  const vector = (...values: string[]) => ({
    resultType: "vector",
    result: values.map((value) => ({ metric: {}, value: [1, value] })),
  });

  it("reads the single series of a vector", () => {
    expect(prometheusQueryValue(ok(vector("42.5")), params)).toBe(42.5);
    expect(prometheusQueryValue(ok(vector("-3")), params)).toBe(-3);
  });

  it("reads a scalar result", () => {
    expect(prometheusQueryValue(ok({ resultType: "scalar", result: [1, "7"] }), params)).toBe(7);
  });

  it("reads an empty result as 0 only when ignoreNullValues", () => {
    expect(prometheusQueryValue(ok(vector()), params)).toBe(0);
    expect(() => prometheusQueryValue(ok(vector()), strict)).toThrow(/returned no value/);
  });

  it.each(["NaN", "+Inf", "-Inf"])("reads %s as 0 only when ignoreNullValues", (text) => {
    expect(prometheusQueryValue(ok(vector(text)), params)).toBe(0);
    expect(() => prometheusQueryValue(ok(vector(text)), strict)).toThrow(text);
  });

  it("fails on more than one series", () => {
    expect(() => prometheusQueryValue(ok(vector("1", "2")), params)).toThrow(/returned 2 series/);
  });

  it("reports the status and Prometheus' error for a non-2xx answer", () => {
    const body = JSON.stringify({
      status: "error",
      errorType: "bad_data",
      error: 'invalid parameter "query": 1:5: parse error',
    });
    expect(() => prometheusQueryValue({ status: 400, body }, params)).toThrow(
      'prometheus query api returned HTTP 400: bad_data: invalid parameter "query": 1:5: parse error',
    );
    expect(() => prometheusQueryValue({ status: 502, body: "Bad Gateway" }, params)).toThrow(
      /HTTP 502: Bad Gateway/,
    );
  });

  it("fails on a body that is not JSON or a value that is not a number", () => {
    expect(() => prometheusQueryValue({ status: 200, body: "<html>" }, params)).toThrow(/not JSON/);
    expect(() => prometheusQueryValue(ok(vector("many")), params)).toThrow(/not a number/);
  });
});

describe("parsePrometheusFloat", () => {
  it.each([
    ["1.5", 1.5],
    ["1e3", 1000],
    ["+Inf", Infinity],
    ["-Inf", -Infinity],
    [".25", 0.25],
  ])("%s → %d", (text, value) => expect(parsePrometheusFloat(text)).toBe(value));

  it("reads NaN and rejects words", () => {
    expect(parsePrometheusFloat("NaN")).toBeNaN();
    expect(parsePrometheusFloat("")).toBeUndefined();
    expect(parsePrometheusFloat("ten")).toBeUndefined();
  });
});
