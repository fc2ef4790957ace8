import { describe, expect, it } from "vitest";
import { httpScaledObject } from "../../api/schema/http-scaled-object.ts";
import { httpScalingMetric, httpTrigger, scaledObjectForHttp } from "./http-scaling.ts";

const parse = (spec: Record<string, unknown>) =>
  httpScaledObject.parse({
    apiVersion: "http.keda.sh/v1alpha1",
    kind: "HTTPScaledObject",
    metadata: { name: "web", namespace: "apps" },
    spec: { scaleTargetRef: { name: "web-pool" }, ...spec },
  });

describe("HTTPScaledObject scaling", () => {
  it("becomes the ScaledObject the add-on would create: min/max, cooldown from scaledownPeriod", () => {
    const object = scaledObjectForHttp(parse({ replicas: { min: 1, max: 4 }, scaledownPeriod: 45 }));
    expect(object.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "tidal.dev/v1alpha1", kind: "ProcessPool", name: "web-pool" },
      minReplicaCount: 1,
      maxReplicaCount: 4,
      cooldownPeriod: 45,
    });
    expect(scaledObjectForHttp(parse({})).spec).toMatchObject({
      minReplicaCount: 0,
      maxReplicaCount: 100,
      cooldownPeriod: 300,
    });
  });

  it("scales on concurrency by default (target 100) or on the request rate when asked", () => {
    expect(httpScalingMetric(parse({}))).toEqual({ metric: "concurrency", target: 100 });
    expect(httpScalingMetric(parse({ targetPendingRequests: 7 }))).toEqual({
      metric: "concurrency",
      target: 7,
    });
    expect(httpScalingMetric(parse({ scalingMetric: { requestRate: { targetValue: 25 } } }))).toEqual({
      metric: "requestRate",
      target: 25,
    });
  });

  it("reads the route's meter and wakes on demand", async () => {
    const wakes: string[] = [];
    const trigger = httpTrigger(parse({ scalingMetric: { concurrency: { targetValue: 5 } } }), {
      metrics: (key) => ({ concurrency: key === "apps/web" ? 12 : 0, requestRate: 3 }),
      onDemand: (key, wake) => {
        wakes.push(key);
        wake();
        return () => {};
      },
    });
    expect(trigger.metricSpec).toMatchObject({
      metricName: "s0-http-apps-web",
      target: 5,
      targetType: "AverageValue",
    });
    const scaler = trigger.definition?.connect({}, {} as never);
    expect(await scaler?.measure(new AbortController().signal)).toEqual({ value: 12, active: true });
    let woken = 0;
    scaler?.watch?.(
      () => (woken += 1),
      () => {},
    );
    expect(wakes).toEqual(["apps/web"]);
    expect(woken).toBe(1);
  });
});
