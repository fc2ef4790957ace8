/**
 * Seeded arrival traces for the scaling-quality section: items arriving per second, drawn from a
 * Poisson distribution around a rate that follows a shape, in batches of BATCH items (a producer
 * enqueues five at a time; whole batches keep the queue in whole replica-seconds of work, which lets
 * bench/optimum.ts solve the offline problem exactly). The same seed gives the same trace everywhere. Written as `t,rate` CSV for `tidal simulate --workload` (one
 * row per second: the rate of that second is the count that arrived in it).
 *
 * - steady: 40 items/s throughout;
 * - diurnal: one compressed day, from 5 items/s up to 80 and back (a raised cosine);
 * - bursty: 8 items/s with spikes of 60–150 items/s lasting 30–120 s, one per ~400 s on average;
 * - weekly: compressed weeks of seven 900 s days: weekdays open with a rush at a fixed time (6 to
 *   about 80 items/s within 15 s, faster than a replica starts, for two minutes), settle to about
 *   40 with a lunch dip and wind down in the evening; the two weekend days rise gently to about
 *   20; each day's level varies by ±10 %. This is what forecasts are for: a surge that comes at
 *   the same time every weekday. The quality section gives forecasts two weeks of it as history
 *   and measures the third (WEEKLY).
 */
import { seededRandom } from "./lib/stats.ts";

/** Items per arrival: equal to the service rate per replica used in the quality section. */
export const BATCH = 5;

export type TraceShape = "steady" | "diurnal" | "bursty" | "weekly";
export const TRACE_SHAPES: readonly TraceShape[] = ["steady", "diurnal", "bursty", "weekly"];
/** The seeds of the benchmark's traces. */
export const TRACE_SEEDS: Record<TraceShape, number> = {
  steady: 101,
  diurnal: 202,
  bursty: 303,
  weekly: 404,
};

/** The weekly trace's compressed calendar: a day, a week, and the weeks of history before the measured one. */
export const WEEKLY = { daySeconds: 900, weekSeconds: 7 * 900, historyWeeks: 2 } as const;

export interface ArrivalTrace {
  shape: TraceShape;
  seed: number;
  /** Items arriving in second t, for t = 0 … length − 1. */
  counts: number[];
}

/** A Poisson draw: products of uniforms (Knuth) for small means, a sum of such draws for large ones. */
export function poisson(random: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean > 30) {
    const parts = Math.ceil(mean / 30);
    let total = 0;
    for (let part = 0; part < parts; part++) total += poisson(random, mean / parts);
    return total;
  }
  const limit = Math.exp(-mean);
  let count = 0;
  let product = random();
  while (product > limit) {
    count += 1;
    product *= random();
  }
  return count;
}

/** The mean rate of each second for a shape (before the Poisson draw). */
export function meanRates(shape: TraceShape, seconds: number, random: () => number): number[] {
  if (shape === "steady") return Array.from({ length: seconds }, () => 40);
  if (shape === "diurnal") {
    return Array.from(
      { length: seconds },
      (_, t) => 5 + 75 * ((1 - Math.cos((2 * Math.PI * t) / seconds)) / 2),
    );
  }
  if (shape === "weekly") return weeklyRates(seconds, random);
  const rates = Array.from({ length: seconds }, () => 8);
  const spikes = Math.max(1, Math.round(seconds / 400));
  for (let spike = 0; spike < spikes; spike++) {
    const length = Math.round(30 + random() * 90);
    const height = 60 + random() * 90;
    const start = Math.floor(random() * Math.max(1, seconds - length - 60)) + 30;
    for (let t = start; t < Math.min(seconds, start + length); t++)
      rates[t] = Math.max(rates[t] as number, height);
  }
  return rates;
}

/**
 * Weekdays (days 0–4 of each week) open with a rush: at a quarter of the day the rate jumps from
 * 6 to about 80 items/s within 15 s and holds for two minutes, then settles to about 40 (with a
 * lunch dip) and winds down from 70 % to 90 % of the day; weekend days rise gently to about 20.
 * Each day's level varies by ±10 %.
 */
function weeklyRates(seconds: number, random: () => number): number[] {
  const { daySeconds } = WEEKLY;
  const night = 6;
  const levels = Array.from({ length: Math.ceil(seconds / daySeconds) }, () => 0.9 + 0.2 * random());
  return Array.from({ length: seconds }, (_, t) => {
    const day = Math.floor(t / daySeconds);
    const level = levels[day] as number;
    const second = t % daySeconds;
    const phase = second / daySeconds;
    if (day % 7 >= 5) {
      const shape = phase < 0.3 || phase > 0.8 ? 0 : (1 - Math.cos((2 * Math.PI * (phase - 0.3)) / 0.5)) / 2;
      return night + (20 * level - night) * shape;
    }
    const since = second - 0.25 * daySeconds;
    if (since < 0 || phase > 0.9) return night;
    const rush = since < 15 ? since / 15 : since < 135 ? 1 : Math.max(0, 1 - (since - 135) / 45);
    const lunch = 1 - 0.25 * Math.exp(-(((phase - 0.5) / 0.04) ** 2));
    const evening = phase < 0.7 ? 1 : 1 - (phase - 0.7) / 0.2;
    const settled = night + (40 * level * lunch - night) * evening;
    return Math.max(settled, night + (80 * level - night) * rush);
  });
}

export function generateTrace(shape: TraceShape, seconds: number, seed: number, batch = BATCH): ArrivalTrace {
  const random = seededRandom(seed);
  const rates = meanRates(shape, seconds, random);
  return { shape, seed, counts: rates.map((rate) => batch * poisson(random, rate / batch)) };
}

/** The trace as `t,rate` CSV for `tidal simulate --workload`. */
export function traceCsv(trace: ArrivalTrace): string {
  return `t,rate\n${trace.counts.map((count, t) => `${t},${count}`).join("\n")}\n`;
}

/** The trace as the simulator's arrivals (one entry per second). */
export function traceArrivals(trace: ArrivalTrace): { t: number; rate: number }[] {
  return trace.counts.map((count, t) => ({ t, rate: count }));
}

// `node bench/traces.ts --out DIR [--seconds N]` writes steady.csv, diurnal.csv and bursty.csv.
if (import.meta.main) {
  const { mkdirSync, writeFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const args = process.argv.slice(2);
  const value = (flag: string) => args[args.indexOf(flag) + 1];
  const out = args.includes("--out") ? (value("--out") as string) : ".";
  const seconds = args.includes("--seconds") ? Number(value("--seconds")) : 3600;
  mkdirSync(out, { recursive: true });
  for (const shape of TRACE_SHAPES) {
    writeFileSync(join(out, `${shape}.csv`), traceCsv(generateTrace(shape, seconds, TRACE_SEEDS[shape])));
    process.stdout.write(`wrote ${join(out, `${shape}.csv`)} (seed ${TRACE_SEEDS[shape]}, ${seconds} s)\n`);
  }
}
