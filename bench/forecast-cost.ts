/**
 * Section 6, forecast cost: what one forecasting object costs, for 1,000 of them in one process.
 * Runs in a child process of its own (`node --expose-gc`, so the heap is measured after a full
 * collection) and measures, for 1,000 forecasters:
 *
 * - predictkube as KEDA's examples configure it (historyTimeWindow 7d, queryStep 2m: 5,041 steps;
 *   predictHorizon 2h; season auto): one refit is parsing a `query_range` answer of 5,041 points
 *   (the JSON Prometheus sends, the same function the trigger uses), loading it and fitting
 *   (season detection by autocorrelation, backtest). Between refits each poll serves a forecast
 *   from the fitted model.
 * - the forecast annotation with its defaults (history 14d, step 5m: 4,033 steps; horizon 10m):
 *   each poll records the reading and serves; a refit every 15 minutes.
 * - memory: the heap (and array buffers) that 1,000 fitted forecasters hold: measured after a full
 *   GC with them and again once they are let go.
 *
 * The CPU share is for 1,000 objects polled every 30 s with a refit every 15 minutes (the
 * defaults): (4 refits + 120 polls) per object-hour. Network time of the range reads is left out:
 * it is Prometheus's, not Tidal's.
 */
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseForecastAnnotation } from "../src/engine/forecast/annotation.ts";
import { Forecaster } from "../src/engine/forecast/forecaster.ts";
import { predictKubeSettings } from "../src/scalers/predictkube/predictkube.ts";
import { rangePoints } from "../src/scalers/predictkube/history.ts";
import { figure, type SectionResult } from "./lib/report.ts";
import { round, seededRandom } from "./lib/stats.ts";

const OBJECTS = 1000;
const NOW = Date.UTC(2026, 0, 15);
const DAY_MS = 86_400_000;

/** A span's elapsed time and this process's CPU time (user + system) in it, in milliseconds. */
function clock(): () => { wallMs: number; cpuMs: number } {
  const started = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wallMs: performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
  };
}

interface Measured {
  objects: number;
  /** Per refit and per poll: elapsed time, and CPU time (what the core shares are computed from). */
  predictkube: {
    steps: number;
    refitMs: number;
    serveUs: number;
    refitCpuMs: number;
    serveCpuUs: number;
    model: string;
    mode: string;
  };
  annotation: {
    steps: number;
    refitMs: number;
    recordServeUs: number;
    refitCpuMs: number;
    recordServeCpuUs: number;
    model: string;
    mode: string;
  };
  memory: { heapBytesPerObject: number; arrayBufferBytesPerObject: number; totalMiB: number };
}

/** A daily wave with noise, a few spikes and a gap, as Prometheus would answer a query_range. */
function rangeBody(seed: number, start: number, end: number, stepMs: number): string {
  const random = seededRandom(seed);
  const values: [number, string][] = [];
  for (let t = start; t <= end; t += stepMs) {
    const phase = ((t % DAY_MS) / DAY_MS) * 2 * Math.PI;
    if (t > start + 2 * DAY_MS && t < start + 2 * DAY_MS + 3_600_000) continue;
    const spike = random() < 0.002 ? 300 : 0;
    values.push([t / 1000, String(round(100 + 60 * Math.sin(phase) + 8 * (random() - 0.5) + spike))]);
  }
  return JSON.stringify({
    status: "success",
    data: { resultType: "matrix", result: [{ metric: {}, values }] },
  });
}

function heap(): { used: number; arrayBuffers: number } {
  for (let round = 0; round < 3; round++) (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  return { used: usage.heapUsed, arrayBuffers: usage.arrayBuffers };
}

function measure(): Measured {
  const predictKube = predictKubeSettings({
    predictHorizon: "2h",
    historyTimeWindow: "7d",
    queryStep: "2m",
    tidalSeason: "auto",
    tidalMaxError: 0.3,
    tidalRefitInterval: "15m",
  }).settings;
  const annotation = parseForecastAnnotation({ "autoscaling.tidal.dev/forecast": "true" });
  if (predictKube === undefined || !annotation.enabled) throw new Error("forecast settings do not parse");

  // Ten distinct answers, reused: parsing is measured on the real text each time.
  const bodies = Array.from({ length: 10 }, (_, seed) =>
    rangeBody(seed + 1, NOW - predictKube.historyMs, NOW, predictKube.stepMs),
  );
  const forecasters: Forecaster[] = [];
  let stop = clock();
  for (let index = 0; index < OBJECTS; index++) {
    const forecaster = new Forecaster(predictKube);
    const points = rangePoints({ status: 200, body: bodies[index % bodies.length] as string }, "q");
    forecaster.load(points, NOW);
    forecasters.push(forecaster);
  }
  const predictKubeRefit = stop();
  let report = forecasters[0]?.serve(NOW + 30_000, 120);
  stop = clock();
  for (let poll = 1; poll <= 10; poll++)
    for (const forecaster of forecasters) report = forecaster.serve(NOW + poll * 30_000, 120);
  const predictKubeServe = stop();
  // Memory: the heap with the fitted forecasters held, less the heap once they are let go.
  const held = heap();
  const first = forecasters[0];
  forecasters.length = 0;
  const released = heap();

  // The annotation: each poll records and serves; fits happen when their interval passes.
  const settings = annotation.settings;
  const recorded = Array.from({ length: OBJECTS }, (_, index) => {
    const forecaster = new Forecaster(settings);
    const random = seededRandom(index + 100);
    for (let t = NOW - settings.historyMs; t < NOW; t += settings.stepMs) {
      const phase = ((t % DAY_MS) / DAY_MS) * 2 * Math.PI;
      forecaster.record(t, 100 + 60 * Math.sin(phase) + 8 * (random() - 0.5));
    }
    return forecaster;
  });
  stop = clock();
  for (const forecaster of recorded) forecaster.refit(NOW);
  const annotationRefit = stop();
  let annotated = recorded[0]?.serve(NOW, 100);
  stop = clock();
  for (let poll = 1; poll <= 10; poll++)
    for (const forecaster of recorded) {
      forecaster.record(NOW + poll * 30_000, 100);
      annotated = forecaster.serve(NOW + poll * 30_000, 100);
    }
  const annotationPoll = stop();
  const perPollUs = (ms: number) => (ms * 1000) / (10 * OBJECTS);

  return {
    objects: OBJECTS,
    predictkube: {
      steps: first?.history.capacity ?? 0,
      refitMs: predictKubeRefit.wallMs / OBJECTS,
      serveUs: perPollUs(predictKubeServe.wallMs),
      refitCpuMs: predictKubeRefit.cpuMs / OBJECTS,
      serveCpuUs: perPollUs(predictKubeServe.cpuMs),
      model: `${report?.model ?? "?"} ${report?.season ?? ""}`.trim(),
      mode: report?.mode ?? "?",
    },
    annotation: {
      steps: recorded[0]?.history.capacity ?? 0,
      refitMs: annotationRefit.wallMs / OBJECTS,
      recordServeUs: perPollUs(annotationPoll.wallMs),
      refitCpuMs: annotationRefit.cpuMs / OBJECTS,
      recordServeCpuUs: perPollUs(annotationPoll.cpuMs),
      model: `${annotated?.model ?? "?"} ${annotated?.season ?? ""}`.trim(),
      mode: annotated?.mode ?? "?",
    },
    memory: {
      heapBytesPerObject: (held.used - released.used) / OBJECTS,
      arrayBufferBytesPerObject: (held.arrayBuffers - released.arrayBuffers) / OBJECTS,
      totalMiB: (held.used - released.used + held.arrayBuffers - released.arrayBuffers) / 2 ** 20,
    },
  };
}

export async function forecastCostSection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const output = execFileSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url)], {
    cwd: options.root,
    encoding: "utf8",
  });
  const measured = JSON.parse(output) as Measured;
  const { predictkube, annotation, memory } = measured;
  // Per object-hour at the defaults: a refit every 15 minutes, a poll every 30 s.
  const coreShare = (refitMs: number, pollUs: number) =>
    (OBJECTS * (4 * refitMs + (120 * pollUs) / 1000)) / 3_600_000;
  // CPU time, not elapsed time: on a busy machine the elapsed time also counts other processes' turns.
  const predictKubeShare = coreShare(predictkube.refitCpuMs, predictkube.serveCpuUs);
  const annotationShare = coreShare(annotation.refitCpuMs, annotation.recordServeCpuUs);
  return {
    id: "forecastCost",
    title: "6. Forecast cost: 1,000 forecasting objects in one process",
    figures: [
      figure(
        "forecast.predictkube.refit",
        `predictkube refit (parse ${predictkube.steps} points, load, fit), per object, CPU time (elapsed ${round(predictkube.refitMs)} ms)`,
        predictkube.refitCpuMs,
        "ms",
      ),
      figure(
        "forecast.predictkube.serve",
        `predictkube serve between refits, per poll, CPU time (elapsed ${round(predictkube.serveUs)} µs)`,
        predictkube.serveCpuUs,
        "µs",
      ),
      figure(
        "forecast.annotation.refit",
        `annotation refit (${annotation.steps} steps), per object, CPU time (elapsed ${round(annotation.refitMs)} ms)`,
        annotation.refitCpuMs,
        "ms",
      ),
      figure(
        "forecast.annotation.poll",
        `annotation record + serve, per poll, CPU time (elapsed ${round(annotation.recordServeUs)} µs)`,
        annotation.recordServeCpuUs,
        "µs",
      ),
      figure(
        "forecast.memory.perObject",
        "memory per fitted predictkube forecaster (heap + array buffers)",
        (memory.heapBytesPerObject + memory.arrayBufferBytesPerObject) / 1024,
        "KiB",
      ),
      figure("forecast.memory.total", "memory of 1,000 forecasters", memory.totalMiB, "MiB", {
        comparison: "at most",
        value: 64,
      }),
      figure(
        "forecast.predictkube.coreShare",
        "CPU of 1,000 predictkube objects (refit 15m, poll 30s)",
        predictKubeShare * 100,
        "% of a core",
        { comparison: "at most", value: 5 },
      ),
      figure(
        "forecast.annotation.coreShare",
        "CPU of 1,000 annotated objects (refit 15m, poll 30s)",
        annotationShare * 100,
        "% of a core",
        { comparison: "at most", value: 5 },
      ),
    ],
    details: { ...measured, quick: options.quick },
    notes: [
      `predictkube: historyTimeWindow 7d at queryStep 2m (${predictkube.steps} steps), predictHorizon 2h, season auto; the fitted model: ${predictkube.model}, ${predictkube.mode}. Annotation defaults: history 14d at step 5m (${annotation.steps} steps), horizon 10m; the fitted model: ${annotation.model}, ${annotation.mode}.`,
      "CPU share: 1,000 objects × (4 refits + 120 polls) per hour, on one core, from the process's CPU time (user + system; elapsed times are in the labels and details, and exceed it on a busy machine); the range reads' network time is Prometheus's and left out. Memory: heap and array buffers held by 1,000 fitted forecasters after a full GC (node --expose-gc).",
    ],
  };
}

if (import.meta.main) {
  process.stdout.write(`${JSON.stringify(measure())}\n`);
}
