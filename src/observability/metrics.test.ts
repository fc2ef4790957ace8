import { describe, expect, it } from "vitest";
import { TidalMetrics } from "./metrics.ts";

async function series(metrics: TidalMetrics, name: string): Promise<string[]> {
  const { body } = await metrics.text([name]);
  return body.split("\n").filter((line) => line.startsWith(`${name}{`));
}

describe("TidalMetrics", () => {
  it("counts registered objects and their triggers as KEDA does, once per object", async () => {
    const metrics = new TidalMetrics("0.0.0");
    metrics.registerObject("scaledobject", "shop", "orders", ["redis", "cron"]);
    metrics.registerObject("scaledobject", "shop", "orders", ["redis"]);
    metrics.registerObject("scaledjob", "shop", "reports", ["redis"]);
    expect(await series(metrics, "keda_trigger_registered_total")).toEqual([
      'keda_trigger_registered_total{type="redis"} 2',
      'keda_trigger_registered_total{type="cron"} 0',
    ]);
    expect(await series(metrics, "keda_resource_registered_total")).toEqual([
      'keda_resource_registered_total{type="scaled_object",namespace="shop"} 1',
      'keda_resource_registered_total{type="scaled_job",namespace="shop"} 1',
    ]);
    metrics.forgetObject("scaledobject", "shop", "orders");
    metrics.forgetObject("scaledobject", "shop", "orders");
    expect(await series(metrics, "keda_resource_registered_total")).toContain(
      'keda_resource_registered_total{type="scaled_object",namespace="shop"} 0',
    );
    expect(await series(metrics, "keda_trigger_registered_total")).toContain(
      'keda_trigger_registered_total{type="redis"} 1',
    );
  });

  it("records how late each evaluation starts against the one before plus the interval", async () => {
    const metrics = new TidalMetrics("0.0.0");
    metrics.recordLoopStart("scaledobject", "shop", "orders", 30_000, 1_000_000);
    metrics.recordLoopStart("scaledobject", "shop", "orders", 30_000, 1_030_250);
    expect(await series(metrics, "keda_internal_scale_loop_latency_seconds")).toEqual([
      'keda_internal_scale_loop_latency_seconds{namespace="shop",type="scaledobject",resource="orders"} 0.25',
    ]);
    metrics.recordLoopStart("scaledobject", "shop", "orders", 30_000, 1_040_000);
    expect(await series(metrics, "keda_internal_scale_loop_latency_seconds")).toEqual([
      'keda_internal_scale_loop_latency_seconds{namespace="shop",type="scaledobject",resource="orders"} 0',
    ]);
    metrics.forgetObject("scaledobject", "shop", "orders");
    expect(await series(metrics, "keda_internal_scale_loop_latency_seconds")).toEqual([]);
  });
});
