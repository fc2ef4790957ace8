/**
 * Fills a ScalingHistory as OBJECTS objects with TRIGGERS triggers each would over more than its
 * kept window (an evaluation every 15 s for 3.5 hours: the HPA syncs and polls of a 30 s
 * pollingInterval), and prints the memory it holds as JSON. With FORECAST 1, every trigger
 * forecasts (predictkube, or the forecast annotation), so each evaluation records a prediction
 * too. Run with --expose-gc.
 */
import { ScalingHistory } from "../src/runtime/history.ts";

const [objects = 10_000, triggers = 1, forecast = 0] = process.argv.slice(2).map(Number);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with --expose-gc");

function used(): { heap: number; external: number; rss: number } {
  gc?.();
  gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, external: usage.external, rss: usage.rss };
}

const specs = Array.from({ length: triggers }, (_, index) => ({
  name: "",
  type: "metrics-api",
  metricName: `s${index}-metric-api-value`,
  target: 10,
  activationTarget: 0,
}));
const refs = Array.from({ length: objects }, (_, index) => ({
  kind: "ScaledObject",
  namespace: "default",
  name: `so-${String(index).padStart(5, "0")}`,
}));
const before = used();
const history = new ScalingHistory();
const stepMs = 15_000;
const steps = (3.5 * 3600 * 1000) / stepMs;
const start = Date.UTC(2026, 0, 1);
const filling = performance.now();
for (let step = 0; step < steps; step++) {
  const at = start + step * stepMs;
  for (const [index, ref] of refs.entries()) {
    const value = (step + index) % 40;
    history.record(ref, {
      at: at + (index % 1000),
      replicas: value % 4,
      desiredReplicas: value % 4,
      active: value > 0,
      fallback: false,
      specs,
      values: specs.map((_, trigger) => value + trigger),
      ...(forecast
        ? {
            forecasts: specs.map((_, trigger) => ({
              predicted: value + trigger + 0.5,
              horizonSeconds: 600,
              mode: "predictive" as const,
            })),
          }
        : {}),
    });
  }
}
const fillSeconds = (performance.now() - filling) / 1000;
const after = used();
const reading = performance.now();
let points = 0;
for (const ref of refs) {
  points += history.get(ref)?.t.length ?? 0;
  if (forecast) history.forecasts(ref);
}
const readAllMs = performance.now() - reading;
const sparking = performance.now();
for (const ref of refs) history.sparkline(ref);
const sparklinesMs = performance.now() - sparking;
process.stdout.write(
  JSON.stringify({
    objects,
    triggers,
    forecast: forecast === 1,
    recordsPerObject: steps,
    pointsPerObject: points / objects,
    pointBytes: history.stats().pointBytes,
    heapAndExternalBytes: after.heap + after.external - (before.heap + before.external),
    rssBytes: after.rss - before.rss,
    fillSeconds,
    readAllMs,
    sparklinesMs,
  }),
);
