import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatMilliQuantity, formatQuantity, parseQuantity, toMilli } from "./quantity.ts";

describe("formatQuantity", () => {
  it.each([
    [0, "0"],
    [-0, "0"],
    [1, "1"],
    [42, "42"],
    [45, "45"],
    [999, "999"],
    [1000, "1k"],
    [1500, "1500"],
    [2000, "2k"],
    [1_500_000, "1500k"],
    [1_000_000, "1M"],
    [1.5, "1500m"],
    [0.25, "250m"],
    [0.001, "1m"],
    [0.1 + 0.2, "300m"],
    [123456.789, "123456789m"],
    [-1.5, "-1500m"],
    [-2000, "-2k"],
    [10.5, "10500m"],
    [100, "100"],
    [120_000, "120k"],
  ])("formats %s as %s", (value, expected) => {
    expect(formatQuantity(value)).toBe(expected);
  });

  it("rounds to the nearest milli the way Go's %.3f does, ties to even", () => {
    expect(formatQuantity(0.0004)).toBe("0");
    expect(formatQuantity(0.0005)).toBe("1m"); // the double is a hair above the tie
    expect(formatQuantity(1.0005)).toBe("1"); // the double is a hair below the tie
    expect(formatQuantity(0.0625)).toBe("62m"); // an exact tie: to even
    expect(formatQuantity(-0.0625)).toBe("-62m");
    expect(formatQuantity(0.0015)).toBe("2m");
    expect(formatQuantity(2.675)).toBe("2675m");
    expect(formatQuantity(1e-10)).toBe("0");
    expect(formatQuantity(Number.MIN_VALUE)).toBe("0");
  });

  it("formats values past int64 milli without overflow", () => {
    expect(formatQuantity(9.2e15)).toBe("9200T");
    expect(formatQuantity(1e18)).toBe("1E");
    expect(formatQuantity(1e21)).toBe("1000E");
    expect(formatQuantity(1e22)).toBe("10000E");
    expect(formatQuantity(-1e20)).toBe("-100E");
    expect(formatQuantity(Number.MAX_VALUE)).toBe(BigInt(Number.MAX_VALUE).toString()); // an exact integer, no zeros
  });

  it("gives 0 for NaN and infinities, as KEDA does", () => {
    expect(formatQuantity(Number.NaN)).toBe("0");
    expect(formatQuantity(Number.POSITIVE_INFINITY)).toBe("0");
    expect(formatQuantity(Number.NEGATIVE_INFINITY)).toBe("0");
  });

  it("agrees with toFixed(3) away from exact ties", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e15, max: 1e15, noNaN: true }), (value) => {
        fc.pre(!Number.isInteger(value * 2000));
        const [whole = "", fraction = ""] = value.toFixed(3).split(".");
        expect(toMilli(value)).toBe(BigInt(`${whole}${fraction}`));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("formatMilliQuantity", () => {
  it.each([
    [1500n, "1500m"],
    [1000n, "1"],
    [1_000_000n, "1k"],
    [1_500_000n, "1500"],
    [10n, "10m"],
    [100n, "100m"],
    [1n, "1m"],
    [1_234_567_000n, "1234567"],
    [120_000_000n, "120k"],
    [-5000n, "-5"],
    [9_223_372_036_854_775_807n, "9223372036854775807m"],
  ])("formats %s thousandths as %s", (milli, expected) => {
    expect(formatMilliQuantity(milli)).toBe(expected);
  });

  it("round-trips: the string parses back to the same number of thousandths", () => {
    const exponents: Record<string, number> = { m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), (milli) => {
        const text = formatMilliQuantity(milli);
        const match = /^(-?\d+)([mkMGTPE]?)$/.exec(text);
        expect(match).not.toBeNull();
        const [, digits = "", suffix = ""] = match ?? [];
        const exponent = (exponents[suffix] as number) + 3;
        expect(BigInt(digits) * 10n ** BigInt(exponent)).toBe(milli);
        if (milli !== 0n && suffix !== "E") expect(digits.endsWith("000")).toBe(false);
      }),
    );
  });
});

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
