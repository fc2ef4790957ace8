/**
 * Seeded arrival traces for the scaling-quality section: items arriving per second, drawn from a
 * Poisson distribution around a rate that follows a shape, in batches of BATCH items (a producer
 * enqueues five at a time; whole batches keep the queue in whole replica-seconds of work, which lets
 * bench/optimum.ts solve the offline problem exactly). The same seed gives the same trace everywhere. Written as `t,rate` CSV for `tidal simulate --workload` (one
 * row per second: the rate of that second is the count that arrived in it).
 *
 * - steady: 40 items/s throughout;
 * - diurnal: one compressed day, from 5 items/s up to 80 and back (a raised cosine);
 * - bursty: 8 items/s with spikes of 60–150 items/s lasting 30–120 s, one per ~400 s on average.
 */
import { seededRandom } from "./lib/stats.ts";

/** Items per arrival: equal to the service rate per replica used in the quality section. */
export const BATCH = 5;

export type TraceShape = "steady" | "diurnal" | "bursty";
export const TRACE_SHAPES: readonly TraceShape[] = ["steady", "diurnal", "bursty"];
/** The seeds of the benchmark's traces. */
export const TRACE_SEEDS: Record<TraceShape, number> = { steady: 101, diurnal: 202, bursty: 303 };

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
