import { describe, expect, it } from "vitest";
import { formatGoDuration, parseDuration } from "./duration.ts";

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

describe("formatGoDuration", () => {
  it("prints what Go's Duration.String prints", () => {
    expect(formatGoDuration(0)).toBe("0s");
    expect(formatGoDuration(500)).toBe("500ms");
    expect(formatGoDuration(1500)).toBe("1.5s");
    expect(formatGoDuration(60_000)).toBe("1m0s");
    expect(formatGoDuration(90_000)).toBe("1m30s");
    expect(formatGoDuration(120_250)).toBe("2m0.25s");
    expect(formatGoDuration(3_600_000)).toBe("1h0m0s");
    expect(formatGoDuration(5_430_000)).toBe("1h30m30s");
    expect(formatGoDuration(-2000)).toBe("-2s");
  });
});
