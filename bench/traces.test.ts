import { describe, expect, it } from "vitest";
import { BATCH, generateTrace, meanRates, poisson, TRACE_SHAPES, traceCsv, WEEKLY } from "./traces.ts";
import { mean, seededRandom } from "./lib/stats.ts";

describe("arrival traces", () => {
  it("are the same for the same seed and differ for another", () => {
    for (const shape of TRACE_SHAPES) {
      expect(generateTrace(shape, 600, 7)).toEqual(generateTrace(shape, 600, 7));
      expect(generateTrace(shape, 600, 7).counts).not.toEqual(generateTrace(shape, 600, 8).counts);
    }
  });

  it("have whole batches, one count per second, around the shape's rate", () => {
    const steady = generateTrace("steady", 2000, 1);
    expect(steady.counts).toHaveLength(2000);
    expect(steady.counts.every((count) => Number.isInteger(count) && count >= 0 && count % BATCH === 0)).toBe(
      true,
    );
    expect(mean(steady.counts)).toBeGreaterThan(38);
    expect(mean(steady.counts)).toBeLessThan(42);
    const diurnal = generateTrace("diurnal", 2000, 1).counts;
    expect(mean(diurnal.slice(0, 100))).toBeLessThan(mean(diurnal.slice(950, 1050)));
    const bursty = generateTrace("bursty", 2000, 1).counts;
    expect(Math.max(...bursty)).toBeGreaterThan(50);
  });

  it("repeat a weekday rush at the same time each day, and a quieter weekend (weekly)", () => {
    const { daySeconds, weekSeconds } = WEEKLY;
    const rates = meanRates("weekly", 2 * weekSeconds, seededRandom(1));
    const rush = daySeconds / 4;
    for (const day of [0, 1, 4, 7, 11]) {
      const start = day * daySeconds + rush;
      expect(rates[start - 1]).toBe(6);
      expect(rates[start + 30]).toBeGreaterThan(70);
    }
    for (const day of [5, 6, 12, 13]) {
      expect(Math.max(...rates.slice(day * daySeconds, (day + 1) * daySeconds))).toBeLessThan(23);
    }
  });

  it("draws Poisson counts with the asked mean, also above the sampler's split", () => {
    const random = seededRandom(3);
    for (const wanted of [0.5, 12, 140]) {
      const draws = Array.from({ length: 20_000 }, () => poisson(random, wanted));
      expect(Math.abs(mean(draws) - wanted) / wanted).toBeLessThan(0.03);
    }
  });

  it("writes the t,rate CSV that tidal simulate --workload reads", () => {
    expect(traceCsv({ shape: "steady", seed: 1, counts: [3, 0, 5] })).toBe("t,rate\n0,3\n1,0\n2,5\n");
  });
});
