import { describe, expect, it } from "vitest";
import { readyCount, rescalePool, startingPool } from "./replica-pool.ts";

describe("replica pool", () => {
  it("starts with ready replicas", () => {
    expect(readyCount(startingPool(3), 0)).toBe(3);
  });

  it("adds replicas that become ready after the startup delay", () => {
    const pool = rescalePool(startingPool(1), 3, 40);
    expect(pool).toEqual([0, 40, 40]);
    expect(readyCount(pool, 39)).toBe(1);
    expect(readyCount(pool, 40)).toBe(3);
  });

  it.each([
    // desired, pool after: one ready (0), two starting (50, 80)
    [2, [0, 50]],
    [1, [0]],
    [0, []],
  ])("scaling [0, 50, 80] to %d removes the not-yet-ready replicas first", (desired, expected) => {
    expect(rescalePool([0, 50, 80], desired, 100)).toEqual(expected);
  });
});
