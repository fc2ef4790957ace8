import { describe, expect, it } from "vitest";
import { initialState } from "../engine/decide.ts";
import type { ForecastHistory } from "../engine/forecast/stage.ts";
import { makeScaledObject, metricSpec } from "../engine/test-fixtures.ts";
import { TidalMetrics } from "../observability/metrics.ts";
import type { TriggerMeasurer } from "../scalers/prepared-trigger.ts";
import type { ScaleTarget } from "../targets/types.ts";
import { EventLog } from "./events.ts";
import type { ForecastHistoryStore } from "./forecasting.ts";
import { ScalingHistory } from "./history.ts";
import { ScaleLoop } from "./scale-loop.ts";

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 1);

/** A queue that fills and drains every two hours (a compressed day): 10 … 190. */
function backlog(t: number): number {
  return Math.round(100 + 90 * Math.sin((2 * Math.PI * t) / (2 * HOUR)));
}

class MemoryTarget implements ScaleTarget {
  replicas = 1;
  async getReplicas() {
    return this.replicas;
  }
  async setReplicas(replicas: number) {
    this.replicas = replicas;
  }
  async observedReplicas() {
    return { existing: this.replicas, ready: this.replicas };
  }
}

class MemoryStore implements ForecastHistoryStore {
  saved: ForecastHistory | undefined;
  saves = 0;
  async load() {
    return this.saved === undefined ? undefined : (JSON.parse(JSON.stringify(this.saved)) as ForecastHistory);
  }
  async save(history: ForecastHistory) {
    this.saved = history;
    this.saves++;
  }
}

function setup(store: MemoryStore, clock: { now: number }, history?: ScalingHistory) {
  const spec = metricSpec();
  const object = makeScaledObject({
    annotations: {
      "autoscaling.tidal.dev/forecast": "horizon=10m, history=12h, step=1m, season=2h, refit=10m",
    },
    spec: { pollingInterval: 60 },
  });
  const measurer = {
    prepared: { index: 0, metricSpec: spec },
    scaler: {},
    measure: async () => {
      const value = backlog(clock.now);
      return { metricName: spec.metricName, value, active: value > 0, latencyMs: 1 };
    },
    close: async () => {},
  } as unknown as TriggerMeasurer;
  const metrics = new TidalMetrics("test");
  const loop = new ScaleLoop({
    object,
    triggers: { measurers: [measurer], specs: [spec] },
    strategy: "direct",
    target: new MemoryTarget(),
    targetRef: { kind: "ProcessPool", name: "orders" },
    state: initialState(START),
    now: () => clock.now,
    metrics,
    events: new EventLog(),
    forecastStore: store,
    ...(history ? { history } : {}),
  });
  return { loop, metrics, spec };
}

describe("the forecast annotation in the scale loop", () => {
  it("records every reading, serves the forecast once the model passes its backtest, and shows why", async () => {
    const clock = { now: START };
    const store = new MemoryStore();
    const { loop, metrics, spec } = setup(store, clock);
    const first = await loop.evaluate();
    expect(first.triggers[0]?.forecast).toMatchObject({ mode: "reactive", reasonCode: "history-too-short" });
    for (; clock.now < START + 5 * HOUR; clock.now += 60_000) await loop.evaluate();
    const trace = loop.lastTrace();
    const forecast = trace?.triggers[0]?.forecast;
    expect(forecast).toMatchObject({ mode: "predictive", model: "seasonal", season: "every 2h" });
    // The value the HPA gets is the forecast for ten minutes on, never below the current backlog.
    const ahead = backlog(clock.now - 60_000 + 10 * 60_000);
    expect(Math.abs((forecast?.predicted ?? 0) - ahead)).toBeLessThan(8);
    expect(trace?.triggers[0]?.value).toBe(Math.max(forecast?.current ?? 0, forecast?.predicted ?? 0));
    expect(loop.snapshot().triggers[0]?.forecast?.mode).toBe("predictive");
    const text = (await metrics.text(["tidal_forecast_predictive", "tidal_forecast_reactive_reason"])).body;
    expect(text).toContain(`tidal_forecast_predictive{namespace="default",metric="${spec.metricName}"`);
    expect(text).toMatch(/tidal_forecast_predictive\{[^}]*\} 1/);
    // The reason of the first polls is gone once the forecast is served.
    expect(text).not.toMatch(/tidal_forecast_reactive_reason\{/);
    // Saved every ten minutes, not on every poll.
    expect(store.saves).toBeGreaterThanOrEqual(25);
    expect(store.saves).toBeLessThanOrEqual(31);
  });

  it("keeps the history across a restart: the next loop forecasts from its first poll", async () => {
    const clock = { now: START };
    const store = new MemoryStore();
    const before = setup(store, clock);
    for (; clock.now < START + 5 * HOUR; clock.now += 60_000) await before.loop.evaluate();
    await before.loop.close();
    clock.now += 5 * 60_000;
    const after = setup(store, clock);
    const trace = await after.loop.evaluate();
    expect(trace.triggers[0]?.forecast).toMatchObject({ mode: "predictive" });
    expect(trace.triggers[0]?.forecast?.historySteps).toBeGreaterThan(290);
  });

  it("records each poll's forecast in the dashboard's history, at the time it is for", async () => {
    const clock = { now: START };
    const history = new ScalingHistory();
    const { loop, spec } = setup(new MemoryStore(), clock, history);
    const predictions: { at: number; value: number }[] = [];
    for (; clock.now < START + 5 * HOUR; clock.now += 60_000) {
      const predicted = (await loop.evaluate()).triggers[0]?.forecast?.predicted;
      if (predicted !== null && predicted !== undefined)
        predictions.push({ at: clock.now + 10 * 60_000, value: predicted });
    }
    const [forecast, ...others] = history.forecasts(loop.ref);
    expect(others).toEqual([]);
    expect(forecast).toMatchObject({
      of: { kind: "metric", metricName: spec.metricName },
      madeAt: clock.now - 60_000,
      horizonSeconds: 600,
      served: true,
    });
    // The newest 120 polls' predictions, each at poll time + horizon, as the trace reported them
    // (kept as float32: 7 significant digits).
    const recent = forecast?.points.slice(-120) ?? [];
    expect(recent).toEqual(
      predictions
        .slice(-120)
        .map((point) => ({ at: point.at, value: Number(Math.fround(point.value).toPrecision(7)) })),
    );
    // Older polls are per-minute buckets (one poll each here), three hours of them at most.
    expect(forecast?.points.length).toBeLessThanOrEqual(120 + 180 + 1);
    // On the chart's time axis: beside the measured points (the trigger's served value, which
    // the forecast made then raised), and each close to what the queue held at the time it was for.
    const measured = history.get(loop.ref);
    expect(forecast?.points.at(-1)?.at).toBe((measured?.t.at(-1) ?? 0) + 10 * 60_000);
    const errors = recent.map((point) => Math.abs(point.value - backlog(point.at)));
    expect(errors.reduce((sum, error) => sum + error, 0) / errors.length).toBeLessThan(2);
  });
});
