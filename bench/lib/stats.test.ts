import { describe, expect, it } from "vitest";
import { distribution, median, percentile, seededRandom } from "./stats.ts";

describe("percentile", () => {
  it("interpolates between the closest ranks", () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([4, 1, 3, 2], 0)).toBe(1);
    expect(percentile([4, 1, 3, 2], 1)).toBe(4);
    expect(percentile([10, 20], 0.95)).toBeCloseTo(19.5);
    expect(
      percentile(
        Array.from({ length: 101 }, (_, index) => index),
        0.99,
      ),
    ).toBe(99);
  });

  it("is NaN without samples and rejects a quantile outside 0..1", () => {
    expect(percentile([], 0.5)).toBeNaN();
    expect(() => percentile([1], 1.5)).toThrow(RangeError);
  });

  it("summarizes a distribution without changing the input", () => {
    const values = [5, 1, 4, 2, 3];
    expect(distribution(values)).toEqual({ count: 5, min: 1, p50: 3, p95: 4.8, p99: 4.96, max: 5, mean: 3 });
    expect(values).toEqual([5, 1, 4, 2, 3]);
    expect(median([7])).toBe(7);
  });
});

describe("seededRandom", () => {
  it("repeats its sequence for a seed, within [0, 1)", () => {
    const first = seededRandom(42);
    const second = seededRandom(42);
    const draws = Array.from({ length: 1000 }, () => first());
    expect(draws).toEqual(Array.from({ length: 1000 }, () => second()));
    expect(draws.every((draw) => draw >= 0 && draw < 1)).toBe(true);
  });
});
