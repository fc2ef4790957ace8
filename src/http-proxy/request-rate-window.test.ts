import { describe, expect, it } from "vitest";
import { RequestRateWindow } from "./request-rate-window.ts";

function recordAt(window: RequestRateWindow, ...times: number[]): void {
  for (const time of times) window.record(time);
}

describe("RequestRateWindow", () => {
  it("is zero before any request", () => {
    expect(new RequestRateWindow(60_000, 1000).rate(5000)).toBe(0);
  });

  it("averages over the buckets since the first request while the window fills", () => {
    const window = new RequestRateWindow(60_000, 1000);
    recordAt(window, 10_000, 10_100, 10_900, 11_000, 12_500, 12_600);
    // Buckets 10, 11 and 12 hold 3, 1 and 2 requests.
    expect(window.rate(12_999)).toBe(2);
  });

  it("averages over the whole window once it is full", () => {
    const window = new RequestRateWindow(10_000, 1000);
    for (let second = 0; second < 20; second++) recordAt(window, second * 1000, second * 1000 + 500);
    expect(window.rate(19_999)).toBe(2);
  });

  it("keeps counting quiet buckets after requests resume", () => {
    const window = new RequestRateWindow(10_000, 1000);
    recordAt(window, 0, 0, 0, 0, 5000);
    // Five requests across buckets 0..5.
    expect(window.rate(5000)).toBeCloseTo(5 / 6, 3);
  });

  it("drops requests older than the window and reads zero after a silent window", () => {
    const window = new RequestRateWindow(10_000, 1000);
    recordAt(window, 0, 0, 0, 9000);
    // At 10s bucket 0 has left the window; the average still divides by the buckets written.
    expect(window.rate(10_000)).toBe(0.1);
    expect(window.rate(18_999)).toBe(0.1);
    expect(window.rate(19_000)).toBe(0);
  });

  it("starts afresh after a window without requests", () => {
    const window = new RequestRateWindow(10_000, 1000);
    recordAt(window, 0, 0, 0, 0);
    recordAt(window, 30_000);
    expect(window.rate(30_000)).toBe(1);
  });

  it("counts per granularity, not per second", () => {
    const window = new RequestRateWindow(60_000, 2000);
    recordAt(window, 0, 100, 1900, 2000);
    expect(window.rate(3999)).toBe(2);
  });

  it("rejects a non-positive window or granularity", () => {
    expect(() => new RequestRateWindow(0, 1000)).toThrow(RangeError);
    expect(() => new RequestRateWindow(1000, 0)).toThrow(RangeError);
  });
});
