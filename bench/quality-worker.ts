/** A worker thread of section 5: one trace's grid search and offline optimum. */
import { parentPort, workerData } from "node:worker_threads";
import { offlineOptimum } from "./optimum.ts";
import {
  best,
  initialReplicas,
  LATE_FRACTION,
  SERVICE_RATE,
  settingsGrid,
  simulateSettings,
  SLO_SECONDS,
  STARTUP_SECONDS,
} from "./quality-model.ts";
import { generateTrace, type TraceShape } from "./traces.ts";

const { shape, seconds, seed, quick } = workerData as {
  shape: TraceShape;
  seconds: number;
  seed: number;
  quick: boolean;
};
const trace = generateTrace(shape, seconds, seed);
const started = performance.now();
const grid = settingsGrid(quick).map((settings) => ({
  settings,
  outcome: simulateSettings(trace, settings),
}));
const gridSeconds = (performance.now() - started) / 1000;
const chosen = best(grid);
const optimum = offlineOptimum({
  counts: trace.counts,
  serviceRate: SERVICE_RATE,
  startupSeconds: STARTUP_SECONDS,
  sloSeconds: SLO_SECONDS,
  lateFraction: LATE_FRACTION,
  initialReplicas: initialReplicas(trace),
});
parentPort?.postMessage({
  shape,
  gridSize: grid.length,
  gridSeconds,
  gridWithinSlo: grid.filter((entry) => entry.outcome.waitP95Seconds <= SLO_SECONDS).length,
  chosen,
  optimum: { ...optimum, plan: undefined },
});
