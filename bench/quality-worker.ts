/**
 * A worker thread of section 5: one trace's grid searches (reactive settings on the measured
 * trace; rate-scaled settings, forecast and not, on the whole trace after its warm-up) and the
 * offline optimum of the measured trace.
 */
import { parentPort, workerData } from "node:worker_threads";
import { offlineOptimum } from "./optimum.ts";
import {
  best,
  bestWithin,
  initialReplicas,
  LATE_FRACTION,
  RATE_BUDGET,
  rateGrid,
  readReactively,
  scenario,
  SERVICE_RATE,
  settingsGrid,
  simulateSettings,
  SLO_SECONDS,
  STARTUP_SECONDS,
} from "./quality-model.ts";
import type { TraceShape } from "./traces.ts";

const { shape, seconds, quick } = workerData as { shape: TraceShape; seconds: number; quick: boolean };
const { full, measured, warmupSeconds, forecast } = scenario(shape, seconds);
const started = performance.now();
const grid = settingsGrid(quick).map((settings) => ({
  settings,
  outcome: simulateSettings(measured, settings),
}));
const gridSeconds = (performance.now() - started) / 1000;
const chosen = best(grid);
const rateStarted = performance.now();
const rates = rateGrid(quick, forecast).map((settings) => ({
  settings,
  outcome: simulateSettings(full, settings, warmupSeconds),
}));
const rateSeconds = (performance.now() - rateStarted) / 1000;
const budget = RATE_BUDGET * chosen.outcome.replicaSeconds;
const predictive = bestWithin(
  rates.filter((entry) => entry.settings.rate?.kind === "predictkube"),
  budget,
);
// The cheapest forecast that meets the SLO, for the gap to the optimum.
const predictiveCheapest = best(rates.filter((entry) => entry.settings.rate?.kind === "predictkube"));
// The same object with its rate read as it is: what the forecast adds to the cheapest one.
const cheapestReadReactively = readReactively(rates, predictiveCheapest.settings);
if (cheapestReadReactively === undefined) throw new Error("the rate grid lacks a reactive twin");
const sameRate = bestWithin(
  rates.filter((entry) => entry.settings.rate?.kind === "prometheus"),
  budget,
);
const optimum = offlineOptimum({
  counts: measured.counts,
  serviceRate: SERVICE_RATE,
  startupSeconds: STARTUP_SECONDS,
  sloSeconds: SLO_SECONDS,
  lateFraction: LATE_FRACTION,
  initialReplicas: initialReplicas(measured),
});
parentPort?.postMessage({
  shape,
  gridSize: grid.length,
  gridSeconds,
  gridWithinSlo: grid.filter((entry) => entry.outcome.waitP95Seconds <= SLO_SECONDS).length,
  chosen,
  rateGridSize: rates.length,
  rateSeconds,
  predictive,
  predictiveCheapest,
  cheapestReadReactively,
  sameRate,
  optimum: { ...optimum, plan: undefined },
});
