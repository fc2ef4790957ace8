import { describe, expect, it } from "vitest";
import { prepareScalerTrigger, withErrorMessages } from "../../../test/support/prepare-trigger.ts";
import { httpAuthorization, type HttpAuthParams } from "../shared/http-auth.ts";
import { valueFromResponse } from "./response-value.ts";

function prepare(
  metadata: Record<string, string>,
  authParams: Record<string, string> = {},
  asMetricSource = false,
) {
  return withErrorMessages(
    prepareScalerTrigger("metrics-api", metadata, { index: 1, authParams, asMetricSource }),
  );
}

const base = {
  url: "http://app:1317/api/v1/stats",
  valueLocation: "components.worker.tasks",
  targetValue: "8",
};

describe("metrics-api parameters", () => {
  it("reads KEDA's defaults and names the metric s<i>-metric-api-<valueLocation>, normalized", () => {
    const prepared = prepare(base);
    expect(prepared.errors).toEqual([]);
    expect(prepared.params).toMatchObject({
      format: "json",
      activationTargetValue: 0,
      unsafeSsl: false,
      method: "header",
    });
    expect(prepared.metricSpec).toMatchObject({
      metricName: "s1-metric-api-components-worker-tasks",
      target: 8,
    });
  });

  it("requires url, valueLocation and a non-zero targetValue unless used by a formula", () => {
    expect(prepare({}).errors.join("\n")).toMatch(/"url"[\s\S]*"valueLocation"/);
    expect(prepare({ ...base, targetValue: "" }).errors).toEqual([
      `missing required parameter "targetValue"`,
    ]);
    expect(prepare({ ...base, targetValue: "0" }).errors).toEqual(["targetValue must not be 0"]);
    expect(prepare({ url: base.url, valueLocation: "v" }, {}, true).errors).toEqual([]);
  });

  it("accepts the formats KEDA knows and refuses xml and Kubernetes endpoint aggregation", () => {
    expect(prepare({ ...base, format: "yaml" }).errors).toEqual([]);
    expect(prepare({ ...base, format: "prometheus", valueLocation: 'up{job="x"}' }).errors).toEqual([]);
    expect(prepare({ ...base, format: "xml" }).errors).toEqual([
      "format xml is not supported; use json, yaml or prometheus",
    ]);
    expect(prepare({ ...base, format: "csv" }).errors[0]).toMatch(
      /must be one of json, xml, yaml, prometheus/,
    );
    expect(prepare({ ...base, aggregateFromKubeServiceEndpoints: "true" }).errors[0]).toMatch(
      /not supported/,
    );
  });

  it("refuses a URL that is not http(s)", () => {
    expect(prepare({ ...base, url: "app:1317/stats" }).errors).toEqual([
      `url "app:1317/stats" is not an http or https URL`,
    ]);
  });

  it("takes the API key from metadata or authentication, with method and parameter name", () => {
    const prepared = prepare(
      { ...base, authMode: "apiKey", method: "query", keyParamName: "token" },
      { apiKey: "s3cret" },
    );
    expect(prepared.errors).toEqual([]);
    expect(prepared.redact("key s3cret")).toBe("key ***");
    expect(httpAuthorization(prepared.params as unknown as HttpAuthParams, false).query).toEqual({
      token: "s3cret",
    });
  });
});

describe("httpAuthorization", () => {
  const none = { method: "header" as const };

  it("sets the headers of each mode", () => {
    expect(
      httpAuthorization({ ...none, authModes: ["basic"], username: "u", password: "p" }, false).headers,
    ).toEqual({
      Authorization: `Basic ${Buffer.from("u:p").toString("base64")}`,
    });
    expect(httpAuthorization({ ...none, authModes: ["bearer"], bearerToken: "t" }, false).headers).toEqual({
      Authorization: "Bearer t",
    });
    expect(
      httpAuthorization(
        {
          ...none,
          authModes: ["custom", "apiKey"],
          customAuthHeader: "X-Auth",
          customAuthValue: "v",
          apiKey: "k",
        },
        false,
      ).headers,
    ).toEqual({ "X-Auth": "v", "X-API-KEY": "k" });
    expect(httpAuthorization({ method: "query", authModes: ["apiKey"], apiKey: "k" }, false).query).toEqual({
      api_key: "k",
    });
  });

  it("ignores credentials of modes that are not enabled", () => {
    expect(
      httpAuthorization({ ...none, username: "u", bearerToken: "t", cert: "C", key: "K" }, false),
    ).toEqual({
      headers: {},
      query: {},
      tls: { rejectUnauthorized: true },
    });
  });

  it("builds TLS options: the CA always, the client certificate in tls mode", () => {
    expect(
      httpAuthorization({ ...none, authModes: ["tls"], cert: "C", key: "K", ca: "A" }, true).tls,
    ).toEqual({
      ca: "A",
      cert: "C",
      key: "K",
      rejectUnauthorized: false,
    });
    expect(httpAuthorization({ ...none, ca: "A" }, false).tls).toEqual({ ca: "A", rejectUnauthorized: true });
  });
});

describe("valueFromResponse", () => {
  it("reads JSON numbers and quantities through a GJSON path", () => {
    const body = JSON.stringify({
      components: { worker: { tasks: 12, memory: "500m", name: "w", on: true } },
    });
    expect(valueFromResponse(body, "components.worker.tasks", "json")).toBe(12);
    expect(valueFromResponse(body, "components.worker.memory", "json")).toBe(0.5);
    expect(() => valueFromResponse(body, "components.worker.name", "json")).toThrow(
      "valueLocation must point to value of type number or a string representing a Quantity got: 'w'",
    );
    expect(() => valueFromResponse(body, "components.worker.on", "json")).toThrow("got: 'True'");
    expect(() => valueFromResponse(body, "components.missing", "json")).toThrow("got: 'Null'");
    expect(() => valueFromResponse("<html>", "a", "json")).toThrow(/not valid JSON/);
  });

  it("reads YAML through a dotted path with array indexes", () => {
    const body = "queues:\n  - name: orders\n    depth: 7\n  - name: mails\n    depth: 2Ki\nenabled: true\n";
    expect(valueFromResponse(body, "queues.0.depth", "yaml")).toBe(7);
    expect(valueFromResponse(body, "queues.1.depth", "yaml")).toBe(2048);
    expect(() => valueFromResponse(body, "queues.2.depth", "yaml")).toThrow(
      "key '2' not found in path 'queues.2.depth'",
    );
    expect(() => valueFromResponse(body, "queues.0", "yaml")).toThrow(
      "path 'queues.0' does not lead to a value",
    );
    expect(() => valueFromResponse(body, "enabled", "yaml")).toThrow("got: 'True'");
    expect(() => valueFromResponse("a: [1,", "a", "yaml")).toThrow(/not valid YAML/);
  });

  it("reads Prometheus text through a series selector", () => {
    expect(
      valueFromResponse(
        'jobs{state="queued"} 5\njobs{state="running"} 2\n',
        'jobs{state="running"}',
        "prometheus",
      ),
    ).toBe(2);
  });
});
