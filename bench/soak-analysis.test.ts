import { describe, expect, it } from "vitest";
import { analyseSoak, slopePerHour, type SoakSample } from "./soak-analysis.ts";

const MINUTE = 60_000;

function samples(values: (minute: number) => Partial<SoakSample>, minutes = 60): SoakSample[] {
  return Array.from({ length: minutes * 6 + 1 }, (_, index) => {
    const minute = index / 6;
    return {
      at: minute * MINUTE,
      rssMiB: 200,
      fds: 40,
      threads: 11,
      children: 3,
      resources: 30,
      timers: 12,
      ...values(minute),
    };
  });
}

describe("analyseSoak", () => {
  it("passes flat series with noise and a warm-up ramp", () => {
    const result = analyseSoak(
      samples((minute) => ({
        rssMiB: minute < 10 ? 100 + minute * 10 : 200 + Math.sin(minute) * 6,
        children: minute % 2 < 1 ? 1 : 3,
      })),
      { warmupMs: 10 * MINUTE, windowMs: 10 * MINUTE },
    );
    expect(result.grows).toBe(false);
    expect(result.verdicts.find((verdict) => verdict.series === "rssMiB")?.firstWindowMedian).toBeCloseTo(
      200,
      -1,
    );
  });

  it("flags a series that keeps growing after the warm-up, with its slope", () => {
    const result = analyseSoak(
      samples((minute) => ({ timers: 12 + Math.floor(minute) })),
      { warmupMs: 10 * MINUTE, windowMs: 10 * MINUTE },
    );
    expect(result.grows).toBe(true);
    const timers = result.verdicts.find((verdict) => verdict.series === "timers");
    expect(timers?.grows).toBe(true);
    expect(timers?.slopePerHour).toBeCloseTo(60, 0);
    expect(result.verdicts.filter((verdict) => verdict.grows).map((verdict) => verdict.series)).toEqual([
      "timers",
    ]);
  });

  it("computes a least-squares slope per hour", () => {
    expect(slopePerHour([0, MINUTE * 30, MINUTE * 60], [10, 15, 20])).toBeCloseTo(10);
    expect(slopePerHour([0], [1])).toBe(0);
  });
});
