import { describe, expect, it } from "vitest";
import { makeScaledObject, metricSpec } from "../engine/test-fixtures.ts";
import type { ForecastSettings } from "../engine/forecast/settings.ts";
import { TidalError } from "../util/errors.ts";
import type { MetricTrace } from "./metric-trace.ts";
import { simulate } from "./simulate.ts";
import { simulatedForecasts } from "./forecasts.ts";
import { simulateWorkload, type WorkloadOptions } from "./workload.ts";

// A ten-minute season at a 15 s step: the forecaster has seen one period after 600 s.
const SETTINGS: ForecastSettings = {
  horizonMs: 60_000,
  historyMs: 3_600_000,
  stepMs: 15_000,
  season: { kind: "period", periodMs: 600_000 },
  maxError: 0.5,
  refitMs: 300_000,
};

/** 2 items/s with a rush of 40 items/s from second 300 to 420 of every ten minutes. */
function rushEveryTenMinutes(seconds: number, change?: { from: number; rate: number }) {
  const arrivals: { t: number; rate: number }[] = [];
  for (let t = 0; t < seconds; t += 60) {
    const phase = t % 600;
    const rate = change && t >= change.from ? change.rate : phase >= 300 && phase < 420 ? 40 : 2;
    arrivals.push({ t, rate });
  }
  return arrivals;
}

const RATE = metricSpec({
  index: 0,
  name: "rate",
  type: "prometheus",
  metricName: "s0-prometheus",
  target: 5,
});
const QUEUE = metricSpec({ index: 1, metricName: "s1-redis-jobs", target: 100 });

function workload(overrides: Partial<WorkloadOptions> = {}) {
  return simulateWorkload({
    scaledObject: makeScaledObject({
      spec: { pollingInterval: 15, minReplicaCount: 1, maxReplicaCount: 30 },
    }),
    metricSpecs: [RATE, QUEUE],
    arrivals: rushEveryTenMinutes(3000),
    serviceRatePerReplica: 5,
    startupDelaySeconds: 10,
    durationSeconds: 3000,
    mode: "hpa",
    initialReplicas: 1,
    rateTrigger: "rate",
    ...overrides,
  });
}

describe("simulateWorkload --rate-trigger", () => {
  it("gives the named trigger the arrival rate over the window and the other the queue", () => {
    const { steps } = workload({
      arrivals: [{ t: 0, rate: 20 }],
      rateWindowSeconds: 60,
      durationSeconds: 300,
    });
    const at = (t: number) => steps.find((step) => step.t === t && step.kind === "keda");
    // At t=0 nothing has arrived yet: the rate is read from the trace. Later, the mean of the window.
    expect(at(0)?.metrics.rate).toBe(20);
    expect(at(120)?.metrics.rate).toBeCloseTo(20, 9);
    expect(Object.keys(at(120)?.metrics ?? {}).sort()).toEqual(["backlog", "rate"]);
    // Four replicas at 5 items/s each serve 20 items/s: the rate trigger asks for 20 / 5 = 4.
    expect(steps.at(-1)?.replicas).toBe(4);
  });

  it("names a trigger by its name, s<index> or its metric name, and refuses one that matches none", () => {
    expect(workload({ rateTrigger: "s0", durationSeconds: 60 }).steps[0]?.metrics.rate).toBeDefined();
    expect(
      workload({ rateTrigger: "s0-prometheus", durationSeconds: 60 }).steps[0]?.metrics.rate,
    ).toBeDefined();
    expect(() => workload({ rateTrigger: "missing" })).toThrow(TidalError);
    expect(() => workload({ rateTrigger: "missing" })).toThrow(
      "--rate-trigger missing matches no trigger; triggers: rate, s1",
    );
  });
});

describe("forecasts in the simulator", () => {
  const forecasts = new Map([[RATE.metricName, SETTINGS]]);

  it("serve from the past only: a trace that changes later leaves every earlier step as it was", () => {
    const same = workload({ forecasts });
    const changed = workload({ forecasts, arrivals: rushEveryTenMinutes(3000, { from: 2400, rate: 30 }) });
    const before = (steps: typeof same.steps) => steps.filter((step) => step.t < 2400);
    expect(before(changed.steps)).toEqual(before(same.steps));
    expect(changed.steps.filter((step) => step.t >= 2400)).not.toEqual(
      same.steps.filter((step) => step.t >= 2400),
    );
  });

  it("draw the forecast as `NAME forecast`, never below the reading, and rise before the rush", () => {
    const { steps } = workload({ forecasts });
    const polls = steps.filter((step) => step.kind === "keda");
    for (const step of polls) {
      expect(step.metrics["rate forecast"]).toBeGreaterThanOrEqual(step.metrics.rate as number);
    }
    // The fourth rush starts at 2100 s. At 2085 s the rate (the mean of the last minute) is still
    // 2 items/s; the forecast for 2145 s, fitted on three earlier rushes, is about the minute's mean
    // then, (45 × 40 + 15 × 2) / 60 = 30.5.
    const before = polls.find((step) => step.t === 2085);
    expect(before?.metrics.rate).toBeCloseTo(2, 9);
    expect(before?.metrics["rate forecast"]).toBeGreaterThan(20);
    // Without the forecast the same trigger reads 2 there.
    const reactive = workload().steps.find((step) => step.t === 2085 && step.kind === "keda");
    expect(reactive?.metrics["rate forecast"]).toBeUndefined();
    expect(before?.replicas ?? 0).toBeGreaterThan(reactive?.replicas ?? 0);
  });

  it("with a metric trace too: each evaluation sees the trace up to its instant", () => {
    const rows = Array.from({ length: 200 }, (_, index) => ({
      t: index * 15,
      cells: [index % 40 >= 20 && index % 40 < 28 ? 40 : 2],
    }));
    const trace: MetricTrace = { columns: ["rate"], rows };
    const options = {
      scaledObject: makeScaledObject({ spec: { pollingInterval: 15 } }),
      metricSpecs: [RATE],
      mode: "hpa" as const,
      initialReplicas: 1,
      durationSeconds: 3000,
      forecasts,
    };
    const whole = simulate({ ...options, trace });
    const cut = simulate({ ...options, trace: { ...trace, rows: rows.filter((row) => row.t < 1800) } });
    const before = (steps: typeof whole.steps) => steps.filter((step) => step.t < 1800);
    expect(before(cut.steps)).toEqual(before(whole.steps));
    expect(whole.steps.some((step) => (step.metrics["rate forecast"] ?? 0) > (step.metrics.rate ?? 0))).toBe(
      true,
    );
  });
});

describe("simulatedForecasts", () => {
  it("takes predictkube triggers' own settings and the annotation's for the other triggers", () => {
    const object = makeScaledObject({
      annotations: { "autoscaling.tidal.dev/forecast": "horizon=2m,season=none" },
      triggers: [
        {
          type: "predictkube",
          metadata: {
            prometheusAddress: "http://prometheus:9090",
            query: "sum(rate(http_requests_total[1m]))",
            predictHorizon: "30s",
            historyTimeWindow: "1d",
            threshold: "5",
          },
        },
        { type: "redis", metadata: { listName: "jobs" } },
        { type: "cpu", metricType: "Utilization", metadata: { value: "50" } },
      ],
    });
    const specs = [
      metricSpec({ index: 0, type: "predictkube", metricName: "s0-predictkube" }),
      metricSpec({ index: 1, metricName: "s1-redis-jobs" }),
      metricSpec({ index: 2, type: "cpu", metricName: "cpu", resource: { name: "cpu" } as never }),
    ];
    const params = [
      {
        prometheusAddress: "http://prometheus:9090",
        query: "q",
        predictHorizon: "30s",
        historyTimeWindow: "1d",
        queryStep: "5m",
        tidalSeason: "auto",
        tidalMaxError: 0.3,
        tidalRefitInterval: "15m",
      },
      undefined,
      undefined,
    ];
    const forecasts = simulatedForecasts(object, specs, params);
    expect(forecasts.get("s0-predictkube")?.horizonMs).toBe(30_000);
    expect(forecasts.get("s1-redis-jobs")?.horizonMs).toBe(120_000);
    expect(forecasts.get("s1-redis-jobs")?.season).toEqual({ kind: "none" });
    expect(forecasts.has("cpu")).toBe(false);
  });
});

describe("the summary after a warm-up", () => {
  it("leaves the seconds before summaryFromSeconds out of replica-seconds, waits and items served", () => {
    const { summary } = simulateWorkload({
      scaledObject: makeScaledObject({ spec: { minReplicaCount: 5 } }),
      metricSpecs: [metricSpec()],
      arrivals: [{ t: 0, rate: 20 }],
      serviceRatePerReplica: 5,
      startupDelaySeconds: 10,
      durationSeconds: 600,
      mode: "hpa",
      initialReplicas: 5,
      summaryFromSeconds: 200,
    });
    expect(summary).toMatchObject({ replicaSeconds: 5 * 400, itemsServed: 20 * 400, waitP95Seconds: 0 });
  });
});
