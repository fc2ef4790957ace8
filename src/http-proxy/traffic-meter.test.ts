import { describe, expect, it } from "vitest";
import { TrafficMeter, TrafficMeters } from "./traffic-meter.ts";

function manualClock(start = 0): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe("TrafficMeter", () => {
  it("counts requests in flight up and down", () => {
    const meter = new TrafficMeter({ windowMs: 60_000, granularityMs: 1000 }, () => 0);
    meter.arrive();
    meter.arrive();
    meter.arrive();
    expect(meter.metrics().concurrency).toBe(3);
    meter.depart();
    meter.depart();
    expect(meter.metrics().concurrency).toBe(1);
  });

  it("measures the request rate with the injected clock", () => {
    const clock = manualClock();
    const meter = new TrafficMeter({ windowMs: 10_000, granularityMs: 1000 }, clock.now);
    for (let second = 0; second < 4; second++) {
      for (let request = 0; request < 5; request++) meter.arrive();
      clock.advance(1000);
    }
    clock.advance(-1);
    expect(meter.metrics().requestRate).toBe(5);
    clock.advance(10_001);
    expect(meter.metrics()).toEqual({ concurrency: 20, requestRate: 0 });
  });
});

describe("TrafficMeters", () => {
  it("keeps a route's meter while its window stays the same", () => {
    const meters = new TrafficMeters(() => 0);
    const meter = meters.meterFor({ key: "ns/a" });
    meter.arrive();
    expect(meters.meterFor({ key: "ns/a", requestRate: { windowMs: 60_000, granularityMs: 1000 } })).toBe(
      meter,
    );
    expect(meters.metrics("ns/a")).toEqual({ concurrency: 1, requestRate: 1 });
  });

  it("starts a route's counts over when its window or granularity changes", () => {
    const meters = new TrafficMeters(() => 0);
    meters.meterFor({ key: "ns/a" }).arrive();
    meters.meterFor({ key: "ns/a", requestRate: { windowMs: 60_000, granularityMs: 2000 } });
    expect(meters.metrics("ns/a")).toEqual({ concurrency: 0, requestRate: 0 });
  });

  it("forgets routes no longer retained and reads zeros for them", () => {
    const meters = new TrafficMeters(() => 0);
    meters.meterFor({ key: "ns/a" }).arrive();
    meters.meterFor({ key: "ns/b" }).arrive();
    meters.retain(new Set(["ns/b"]));
    expect(meters.metrics("ns/a")).toEqual({ concurrency: 0, requestRate: 0 });
    expect(meters.metrics("ns/b")).toEqual({ concurrency: 1, requestRate: 1 });
  });
});
