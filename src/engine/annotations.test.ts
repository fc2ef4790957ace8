import { describe, expect, it } from "vitest";
import { ANNOTATIONS, parseControlAnnotations } from "./annotations.ts";

describe("parseControlAnnotations", () => {
  it("returns nothing set without annotations", () => {
    expect(parseControlAnnotations(undefined)).toEqual({
      paused: false,
      pausedScaleIn: false,
      pausedScaleOut: false,
      forceActivation: false,
      warnings: [],
    });
  });

  it.each([
    ["true", true, 0],
    ["True", true, 0],
    ["1", true, 0],
    ["false", false, 0],
    ["F", false, 0],
    ["yes", true, 1],
    ["", true, 1],
  ])("paused=%j → paused %j", (value, paused, warningCount) => {
    const result = parseControlAnnotations({ [ANNOTATIONS.paused]: value });
    expect(result.paused).toBe(paused);
    expect(result.warnings).toHaveLength(warningCount);
  });

  it.each([
    ["3", { replicas: 3 }],
    ["0", { replicas: 0 }],
    ["+2", { replicas: 2 }],
  ])("paused-replicas=%j pauses at %j", (value, expected) => {
    const result = parseControlAnnotations({ [ANNOTATIONS.pausedReplicas]: value });
    expect(result.paused).toBe(true);
    expect(result.pausedReplicas).toEqual(expected);
  });

  it.each(["two", "1.5", "-1", ""])("paused-replicas=%j pauses and reports an error", (value) => {
    const result = parseControlAnnotations({ [ANNOTATIONS.pausedReplicas]: value });
    expect(result.paused).toBe(true);
    expect(result.pausedReplicas).toHaveProperty("error");
    expect(result.warnings[0]).toContain("paused-replicas");
  });

  it("paused-replicas pauses even when paused=false", () => {
    const result = parseControlAnnotations({
      [ANNOTATIONS.paused]: "false",
      [ANNOTATIONS.pausedReplicas]: "4",
    });
    expect(result.paused).toBe(true);
  });

  it.each([
    [ANNOTATIONS.pausedScaleIn, "pausedScaleIn"],
    [ANNOTATIONS.pausedScaleOut, "pausedScaleOut"],
    [ANNOTATIONS.forceActivation, "forceActivation"],
  ] as const)("%s reads Go booleans", (key, field) => {
    expect(parseControlAnnotations({ [key]: "TRUE" })[field]).toBe(true);
    expect(parseControlAnnotations({ [key]: "0" })[field]).toBe(false);
    const invalid = parseControlAnnotations({ [key]: "on" });
    expect(invalid[field]).toBe(false);
    expect(invalid.warnings).toEqual([`${key}: "on" is not a boolean; treated as false`]);
    expect(invalid.paused).toBe(false);
  });
});
