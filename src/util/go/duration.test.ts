import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  it("reads Go durations and bare milliseconds", () => {
    expect(parseDuration("1500")).toBe(1500);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("500us")).toBe(0.5);
    expect(parseDuration("10ns")).toBeCloseTo(0.00001);
  });

  it("rejects what Go rejects", () => {
    for (const bad of ["5 s", "s", "1d", "1m30", "-5s", ""]) expect(parseDuration(bad), bad).toBeUndefined();
  });
});
