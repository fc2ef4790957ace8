import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.ts";

describe("backoffDelay", () => {
  it("doubles from the initial delay and stays at the maximum", () => {
    const policy = { initialMs: 1_000, maxMs: 5_000 };
    expect([1, 2, 3, 4, 5, 100, 5_000].map((failures) => backoffDelay(policy, failures))).toEqual([
      1_000, 2_000, 4_000, 5_000, 5_000, 5_000, 5_000,
    ]);
  });
});
