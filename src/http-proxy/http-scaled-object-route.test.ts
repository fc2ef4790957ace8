import { describe, expect, it } from "vitest";
import type { HttpScaledObject } from "../api/schema/http-scaled-object.ts";
import { httpScaledObjectRoute } from "./http-scaled-object-route.ts";

function httpScaledObject(spec: Partial<HttpScaledObject["spec"]>, namespace?: string): HttpScaledObject {
  return {
    apiVersion: "http.keda.sh/v1alpha1",
    kind: "HTTPScaledObject",
    metadata: { name: "shop", ...(namespace ? { namespace } : {}) },
    spec: { scaleTargetRef: { name: "shop" }, scaledownPeriod: 300, ...spec },
  };
}

describe("httpScaledObjectRoute", () => {
  it("takes the key, hosts, prefixes and timeouts of the object", () => {
    const route = httpScaledObjectRoute(
      httpScaledObject(
        {
          hosts: ["shop.example.com"],
          pathPrefixes: ["/cart"],
          timeouts: { conditionWait: "45s", responseHeader: "1m30s" },
        },
        "retail",
      ),
    );
    expect(route).toEqual({
      key: "retail/shop",
      hosts: ["shop.example.com"],
      pathPrefixes: ["/cart"],
      conditionWaitMs: 45_000,
      responseHeaderTimeoutMs: 90_000,
      requestRate: undefined,
    });
  });

  it("uses the default namespace and leaves unset timeouts to the proxy", () => {
    const route = httpScaledObjectRoute(httpScaledObject({}));
    expect(route.key).toBe("default/shop");
    expect(route.conditionWaitMs).toBeUndefined();
    expect(route.responseHeaderTimeoutMs).toBeUndefined();
  });

  it("carries the request-rate window and granularity, defaulting what does not parse", () => {
    const route = httpScaledObjectRoute(
      httpScaledObject({
        scalingMetric: { requestRate: { targetValue: 10, window: "2m", granularity: "soon" } },
      }),
    );
    expect(route.requestRate).toEqual({ windowMs: 120_000, granularityMs: 1000 });
  });
});
