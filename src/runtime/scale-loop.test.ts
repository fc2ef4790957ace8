import { describe, expect, it } from "vitest";
import { scaledObject } from "../api/schema/scaled-object.ts";
import { metricSpec } from "../engine/test-fixtures.ts";
import { TidalMetrics } from "../observability/metrics.ts";
import type { TriggerMeasurer } from "../scalers/prepared-trigger.ts";
import type { ScaleTarget } from "../targets/types.ts";
import { EventLog } from "./events.ts";
import { initialState } from "../engine/decide.ts";
import { ScaleLoop, type PollOutcome } from "./scale-loop.ts";

const redisSpec = metricSpec();

/** A target that does what it is told (an in-memory stand-in for a ProcessPool). */
class MemoryTarget implements ScaleTarget {
  replicas = 0;
  refuse = false;
  async getReplicas() {
    return this.replicas;
  }
  async setReplicas(replicas: number) {
    if (this.refuse) throw new Error("pool is shutting down");
    this.replicas = replicas;
  }
  async observedReplicas() {
    return { existing: this.replicas, ready: this.replicas };
  }
}

/** With `formula`, the trigger is named `jobs` and the object combines it with that formula. */
function setup(readings: (number | string)[], formula?: string, useCachedMetrics = false) {
  const spec = formula === undefined ? redisSpec : { ...redisSpec, name: "jobs" };
  const object = scaledObject.parse({
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: "orders", namespace: "shop" },
    spec: {
      scaleTargetRef: { kind: "ProcessPool", name: "workers" },
      cooldownPeriod: 60,
      triggers: [
        { type: "redis", metadata: {}, useCachedMetrics, ...(formula === undefined ? {} : { name: "jobs" }) },
      ],
      ...(formula === undefined
        ? {}
        : { advanced: { scalingModifiers: { formula, target: "10", activationTarget: "5" } } }),
    },
  });
  let now = Date.UTC(2026, 0, 1);
  const measurer = {
    prepared: { index: 0, metricSpec: spec },
    scaler: {},
    measure: async () => {
      const reading = readings.shift() ?? 0;
      return typeof reading === "string"
        ? { metricName: spec.metricName, error: reading, latencyMs: 1 }
        : { metricName: spec.metricName, value: reading, latencyMs: 1 };
    },
    close: async () => {},
  } as unknown as TriggerMeasurer;
  const target = new MemoryTarget();
  const events = new EventLog();
  const saved: PollOutcome[] = [];
  const persisted: { replicas: number }[] = [];
  const metrics = new TidalMetrics("test");
  const loop = new ScaleLoop({
    object,
    triggers: { measurers: [measurer], specs: [spec] },
    strategy: "direct",
    target,
    targetRef: { kind: "ProcessPool", name: "workers" },
    state: initialState(now),
    now: () => now,
    metrics,
    events,
    onPolled: async (outcome) => void saved.push(outcome),
    persist: async (state) => void persisted.push(state),
  });
  return {
    loop,
    target,
    events,
    saved,
    persisted,
    metrics,
    advance: (seconds: number) => (now += seconds * 1000),
  };
}

describe("ScaleLoop", () => {
  it("activates from zero in KEDA's poll, follows the HPA math in its syncs, and reports both", async () => {
    const { loop, target, events, persisted, metrics, advance } = setup([45, 45, 45]);
    await loop.evaluate();
    expect(target.replicas).toBe(1);
    advance(15);
    await loop.syncHpa();
    expect(target.replicas).toBe(4);
    advance(15);
    await loop.syncHpa();
    expect(target.replicas).toBe(5);
    const reasons = events
      .recent({ kind: "ScaledObject", namespace: "shop", name: "orders" })
      .map((event) => event.reason);
    expect(reasons).toEqual(["KEDAScaleTargetActivated", "SuccessfulRescale", "SuccessfulRescale"]);
    expect(persisted.at(-1)?.replicas).toBe(5);
    const snapshot = loop.snapshot();
    expect(snapshot).toMatchObject({
      name: "orders",
      replicas: 4,
      desiredReplicas: 5,
      active: true,
      ready: true,
    });
    expect(snapshot.triggers).toEqual([
      {
        name: "",
        type: "redis",
        metricName: "s0-redis-jobs",
        value: 45,
        target: 10,
        active: true,
        error: null,
        forecast: null,
      },
    ]);
    expect(loop.lastTrace()?.desiredReplicas).toBe(5);
    expect((await metrics.text()).body).toContain(
      'keda_scaler_metrics_value{namespace="shop",metric="s0-redis-jobs",scaledObject="orders",scaler="redisScaler",triggerIndex="0",type="scaledobject"} 45',
    );
  });

  it("exposes KEDA's metrics: activity kept through a failed read, errors counted, build info", async () => {
    const { loop, metrics } = setup([45, "connection refused"]);
    const series = (name: string) =>
      `${name}{namespace="shop",metric="s0-redis-jobs",scaledObject="orders",scaler="redisScaler",triggerIndex="0",type="scaledobject"}`;
    await loop.evaluate();
    await loop.evaluate();
    const text = (await metrics.text()).body;
    expect(text).toContain(`${series("keda_scaler_active")} 1`);
    expect(text).toContain(`${series("keda_scaler_metrics_value")} 45`);
    expect(text).toContain(`${series("keda_scaler_detail_errors_total")} 1`);
    expect(text).toMatch(
      /^keda_build_info\{version="test",git_commit="",goversion="v\d+[^"]*",goos="\w+",goarch="\w+"\} 1$/m,
    );
  });

  it("records a formula's result as KEDA's composite-metric series, with no per-trigger activity", async () => {
    const { loop, metrics } = setup([4, 12], "jobs * 2");
    const composite = (name: string) =>
      `${name}{namespace="shop",metric="composite-metric",scaledObject="orders",scaler="composite-metric",triggerIndex="0",type="scaledobject"}`;
    await loop.evaluate();
    let text = (await metrics.text()).body;
    expect(text).toContain(`${composite("keda_scaler_metrics_value")} 8`);
    expect(text).toContain(`${composite("keda_scaler_active")} 1`);
    expect(text).toContain(
      'keda_scaler_metrics_value{namespace="shop",metric="s0-redis-jobs",scaledObject="orders",scaler="jobs"',
    );
    expect(text).not.toContain('keda_scaler_active{namespace="shop",metric="s0-redis-jobs"');
    expect(text).not.toContain(composite("keda_scaler_detail_errors_total"));
    await loop.evaluate();
    text = (await metrics.text()).body;
    expect(text).toContain(`${composite("keda_scaler_metrics_value")} 24`);
  });

  it("reports a failing trigger once, and its recovery", async () => {
    const { loop, events } = setup(["connection refused", "connection refused", 0]);
    await loop.evaluate();
    await loop.evaluate();
    await loop.evaluate();
    const reasons = events
      .recent({ kind: "ScaledObject", namespace: "shop", name: "orders" })
      .map((event) => event.reason);
    expect(reasons).toEqual(["KEDAScalerFailed", "KEDAScalerRecovered"]);
  });

  it("keeps the current count when the target refuses to scale", async () => {
    const { loop, target, events, saved } = setup([45]);
    target.refuse = true;
    await loop.evaluate();
    expect(target.replicas).toBe(0);
    expect(saved.at(-1)?.replicas).toBe(0);
    expect(events.recent({ kind: "ScaledObject", namespace: "shop", name: "orders" })[0]?.reason).toBe(
      "KEDAScaleTargetActivationFailed",
    );
  });

  it("syncs on fresh reads, or on the last poll's value for useCachedMetrics triggers, as KEDA's metrics server", async () => {
    const fresh = setup([45, 5, 5]);
    await fresh.loop.evaluate();
    fresh.advance(15);
    await fresh.loop.syncHpa();
    // A fresh read of 5 against a target of 10: one replica is enough.
    expect(fresh.target.replicas).toBe(1);

    const cached = setup([45, 5, 5], undefined, true);
    await cached.loop.evaluate();
    cached.advance(15);
    await cached.loop.syncHpa();
    // The poll's 45 is served again: the HPA scales up.
    expect(cached.target.replicas).toBe(4);
  });

  it("does not sync at 0 replicas or while paused, as the HPA does nothing then", async () => {
    const { loop, target } = setup([0, 45]);
    await loop.evaluate();
    expect(await loop.syncHpa()).toBeUndefined();
    expect(target.replicas).toBe(0);
  });
});
