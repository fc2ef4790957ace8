import { describe, expect, it } from "vitest";
import {
  formatCalendarDuration,
  formatGoDuration,
  parseCalendarDuration,
  parseDuration,
} from "./duration.ts";

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

describe("parseCalendarDuration (go-str2duration)", () => {
  it("reads Go's units plus days and weeks", () => {
    expect(parseCalendarDuration("2h")).toBe(7_200_000);
    expect(parseCalendarDuration("7d")).toBe(604_800_000);
    expect(parseCalendarDuration("1w2d")).toBe(9 * 86_400_000);
    expect(parseCalendarDuration("1.5h")).toBe(5_400_000);
    expect(parseCalendarDuration("2m")).toBe(120_000);
    expect(parseCalendarDuration("0")).toBe(0);
    expect(parseCalendarDuration("-2h")).toBe(-7_200_000);
    expect(parseCalendarDuration(".5s")).toBe(500);
  });

  it("rejects what go-str2duration rejects", () => {
    for (const bad of ["", "5", "2 h", "2x", "h", "1d2", "-", ".s", "2hh"])
      expect(parseCalendarDuration(bad), bad).toBeUndefined();
  });
});

describe("formatCalendarDuration", () => {
  it("prints as go-str2duration's String does", () => {
    expect(formatCalendarDuration(0)).toBe("0s");
    expect(formatCalendarDuration(604_800_000 + 4 * 86_400_000 + 7_200_000 + 185_000)).toBe("1w4d2h3m5s");
    expect(formatCalendarDuration(86_400_000)).toBe("1d");
    expect(formatCalendarDuration(120_000)).toBe("2m");
    expect(formatCalendarDuration(500)).toBe("500ms");
  });
});
