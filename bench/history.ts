/**
 * Section 6, dashboard history: the memory the dashboard's history (src/runtime/history.ts) holds
 * for 10,000 objects once full, and how long reading it takes. A child process (--expose-gc) fills
 * a ScalingHistory as 10,000 objects evaluated every 15 s for 3.5 hours would (more than the
 * three hours kept), with one trigger each, with three, and with one forecasting trigger (its
 * predictions kept beside its values); the heap and external memory after a full garbage
 * collection, minus before, is what the history costs.
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
  forecast: boolean;
  recordsPerObject: number;
  pointsPerObject: number;
  pointBytes: number;
  heapAndExternalBytes: number;
  fillSeconds: number;
  readAllMs: number;
  sparklinesMs: number;
}

function measure(root: string, triggers: number, forecast = false): Measurement {
  const output = execFileSync(
    process.execPath,
    [
      "--expose-gc",
      join(root, "bench/history-worker.ts"),
      String(OBJECTS),
      String(triggers),
      forecast ? "1" : "0",
    ],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  return JSON.parse(output) as Measurement;
}

export async function historySection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const results = [
    ...(options.quick ? [1] : [1, 3]).map((triggers) => measure(options.root, triggers)),
    ...(options.quick ? [] : [measure(options.root, 1, true)]),
  ];
  const figures: Figure[] = results.flatMap((result) => {
    const id = `${result.triggers}${result.forecast ? ".forecast" : ""}`;
    const what = `${result.triggers} ${result.forecast ? "forecasting " : ""}trigger(s)`;
    return [
      figure(
        `history.${id}.totalMiB`,
        `10,000 objects with ${what}: history held (heap + external)`,
        result.heapAndExternalBytes / MIB,
        "MiB",
        result.triggers === 1 && !result.forecast ? { comparison: "at most", value: 100 } : undefined,
      ),
      figure(
        `history.${id}.perObject`,
        `${what}: per object`,
        result.heapAndExternalBytes / OBJECTS / 1024,
        "KiB",
      ),
      figure(
        `history.${id}.sparklines`,
        `${what}: the overview's 10,000 sparklines`,
        result.sparklinesMs,
        "ms",
      ),
      figure(
        `history.${id}.readAll`,
        `${what}: every object's whole history once${result.forecast ? " (and its forecast)" : ""}`,
        result.readAllMs,
        "ms",
      ),
    ];
  });
  return {
    id: "history",
    title: "7. Dashboard history: 10,000 objects, full (three hours kept)",
    figures,
    details: { sizes: results },
    notes: [
      "Per object: the last 120 evaluations at full resolution and 180 one-minute buckets, each ring one ArrayBuffer (17 bytes a point with one trigger, 4 more per trigger), plus the arrays' and maps' own overhead. An object with a forecasting trigger keeps its predictions in two more rings of the same shape.",
      ...results.map(
        (result) =>
          `${result.triggers}${result.forecast ? " forecasting" : ""} trigger(s): ${round(result.pointsPerObject)} points shown per object, ${round(result.pointBytes / MIB)} MiB of points; filling ${result.recordsPerObject} evaluations per object took ${round(result.fillSeconds)} s.`,
      ),
    ],
  };
}
