import { describe, expect, it } from "vitest";
import { parseQuantity } from "./quantity.ts";

describe("parseQuantity", () => {
  it.each([
    ["0.05", 0.05],
    ["50m", 0.05],
    ["1", 1],
    ["1k", 1000],
    ["1Ki", 1024],
    ["2Mi", 2 * 1024 * 1024],
    ["1e-2", 0.01],
    ["1E", 1e18],
    [".5", 0.5],
    ["+3", 3],
    [0.1, 0.1],
    ["abc", undefined],
    ["1 m", undefined],
    ["1mm", undefined],
    ["", undefined],
    [Number.NaN, undefined],
  ] as const)("%j → %j", (input, expected) => {
    expect(parseQuantity(input)).toBe(expected);
  });
});
