/**
 * Section 6, dashboard history: the memory the dashboard's history (src/runtime/history.ts) holds
 * for 10,000 objects once full, and how long reading it takes. A child process (--expose-gc) fills
 * a ScalingHistory as 10,000 objects evaluated every 15 s for 3.5 hours would (more than the
 * three hours kept), with one trigger each and with three; the heap and external memory after a
 * full garbage collection, minus before, is what the history costs.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { figure, type Figure, type SectionResult } from "./lib/report.ts";
import { round } from "./lib/stats.ts";

const OBJECTS = 10_000;
const MIB = 2 ** 20;

interface Measurement {
  objects: number;
  triggers: number;
  recordsPerObject: number;
  pointsPerObject: number;
  pointBytes: number;
  heapAndExternalBytes: number;
  fillSeconds: number;
  readAllMs: number;
  sparklinesMs: number;
}

function measure(root: string, triggers: number): Measurement {
  const output = execFileSync(
    process.execPath,
    ["--expose-gc", join(root, "bench/history-worker.ts"), String(OBJECTS), String(triggers)],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  return JSON.parse(output) as Measurement;
}

export async function historySection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const results = (options.quick ? [1] : [1, 3]).map((triggers) => measure(options.root, triggers));
  const figures: Figure[] = results.flatMap((result) => [
    figure(
      `history.${result.triggers}.totalMiB`,
      `10,000 objects with ${result.triggers} trigger(s): history held (heap + external)`,
      result.heapAndExternalBytes / MIB,
      "MiB",
      result.triggers === 1 ? { comparison: "at most", value: 100 } : undefined,
    ),
    figure(
      `history.${result.triggers}.perObject`,
      `${result.triggers} trigger(s): per object`,
      result.heapAndExternalBytes / OBJECTS / 1024,
      "KiB",
    ),
    figure(
      `history.${result.triggers}.sparklines`,
      `${result.triggers} trigger(s): the overview's 10,000 sparklines`,
      result.sparklinesMs,
      "ms",
    ),
    figure(
      `history.${result.triggers}.readAll`,
      `${result.triggers} trigger(s): every object's whole history once`,
      result.readAllMs,
      "ms",
    ),
  ]);
  return {
    id: "history",
    title: "7. Dashboard history: 10,000 objects, full (three hours kept)",
    figures,
    details: { sizes: results },
    notes: [
      "Per object: the last 120 evaluations at full resolution and 180 one-minute buckets, each ring one ArrayBuffer (17 bytes a point with one trigger, 4 more per trigger), plus the arrays' and maps' own overhead.",
      ...results.map(
        (result) =>
          `${result.triggers} trigger(s): ${round(result.pointsPerObject)} points shown per object, ${round(result.pointBytes / MIB)} MiB of points; filling ${result.recordsPerObject} evaluations per object took ${round(result.fillSeconds)} s.`,
      ),
    ],
  };
}
