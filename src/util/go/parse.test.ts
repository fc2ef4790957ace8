import { describe, expect, it } from "vitest";
import { parseGoBool, parseGoFloat, parseGoInt } from "./parse.ts";

describe("parseGoBool", () => {
  it.each([
    ["1", true],
    ["t", true],
    ["T", true],
    ["TRUE", true],
    ["true", true],
    ["True", true],
    ["0", false],
    ["f", false],
    ["F", false],
    ["FALSE", false],
    ["false", false],
    ["False", false],
    ["yes", undefined],
    ["tRUE", undefined],
    [" true", undefined],
    ["", undefined],
  ])("%j → %j", (text, expected) => {
    expect(parseGoBool(text)).toBe(expected);
  });
});

describe("parseGoInt", () => {
  it.each([
    ["5", 5],
    ["+5", 5],
    ["-5", -5],
    ["007", 7],
    ["2147483647", 2147483647],
    ["2147483648", undefined],
    ["-2147483648", -2147483648],
    ["1.0", undefined],
    ["1e3", undefined],
    [" 1", undefined],
    ["", undefined],
  ])("%j → %j", (text, expected) => {
    expect(parseGoInt(text)).toBe(expected);
  });
});

describe("parseGoFloat", () => {
  it.each([
    ["1.5", 1.5],
    ["-.5", -0.5],
    ["1e3", 1000],
    ["5.", 5],
    ["+Inf", Infinity],
    ["-infinity", -Infinity],
    ["abc", undefined],
    ["1,5", undefined],
    ["", undefined],
  ])("%j → %j", (text, expected) => {
    expect(parseGoFloat(text)).toBe(expected);
  });

  it("parses NaN", () => {
    expect(parseGoFloat("NaN")).toBeNaN();
  });
});
