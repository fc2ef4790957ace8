import { describe, expect, it } from "vitest";
import { buildTrace, renderTrace } from "./trace.ts";
import type { DecisionTrace } from "./types.ts";

const BASE: Omit<DecisionTrace, "summary"> = {
  kind: "ScaledObject",
  namespace: "default",
  name: "orders",
  at: 0,
  currentReplicas: 3,
  desiredReplicas: 3,
  active: true,
  fallback: false,
  paused: false,
  triggers: [],
  steps: [
    {
      rule: "tolerance",
      from: 3,
      to: 3,
      detail: "31 / (10 × 3) = 1.033 is within tolerance [0.9, 1.1]: keep 3",
    },
  ],
  boundedBy: "tolerance",
};

describe("buildTrace summary", () => {
  it.each([
    [{}, "3 replicas, unchanged; tolerance: 31 / (10 × 3) = 1.033 is within tolerance [0.9, 1.1]: keep 3"],
    [
      {
        desiredReplicas: 5,
        steps: [{ rule: "metric" as const, from: 3, to: 5, detail: "ceil(45 / 10) = 5" }],
        boundedBy: "metric" as const,
      },
      "3 → 5 replicas; metric: ceil(45 / 10) = 5",
    ],
    [
      {
        kind: "ScaledJob" as const,
        currentReplicas: 2,
        desiredReplicas: 6,
        steps: [{ rule: "job-strategy" as const, detail: "default: 5 - 1 running = 4" }],
        boundedBy: "job-strategy" as const,
      },
      "2 running, create 4 jobs; job-strategy: default: 5 - 1 running = 4",
    ],
  ])("%j → %s", (overrides, summary) => {
    expect(buildTrace({ ...BASE, ...overrides }).summary).toBe(summary);
  });
});

describe("renderTrace", () => {
  it("shows formula, failing triggers and steps without counts", () => {
    const text = renderTrace(
      buildTrace({
        ...BASE,
        fallback: true,
        triggers: [
          {
            index: 0,
            name: "a",
            type: "redis",
            metricName: "s0-redis-a",
            value: null,
            error: "timeout",
            targetType: "AverageValue",
            target: 10,
            activationTarget: 0,
            active: true,
            hpaValue: 40,
            proposal: null,
            fallback: true,
          },
        ],
        formula: { expression: "a * 2", value: 40, target: 10, activationTarget: 0 },
        steps: [{ rule: "metric", detail: "queue length 4" }],
        boundedBy: "metric",
      }),
    );
    expect(text).toBe(
      [
        "ScaledObject default/orders: 3 → 3 replicas (active, fallback)",
        "  triggers",
        "    s0-redis-a  redis  error: timeout  target 10 (AverageValue)  activation >0  active  fallback → serves 40",
        "  formula  a * 2 = 40  target 10  activation >0",
        "  steps",
        "    metric  queue length 4",
        "  bounded by: metric",
      ].join("\n"),
    );
  });

  it("says how each forecasting trigger chose its value", () => {
    const forecast = {
      horizonSeconds: 600,
      model: "seasonal" as const,
      season: "daily",
      backtestError: 0.08,
      baselineError: 0.21,
      maxError: 0.3,
      historySteps: 2016,
      fittedAt: 0,
      nextFitAt: 900_000,
    };
    const trigger = {
      index: 0,
      name: "",
      type: "predictkube",
      value: 42,
      targetType: "AverageValue" as const,
      target: 10,
      activationTarget: 0,
      active: true,
      hpaValue: 42,
      proposal: 5,
      fallback: false,
    };
    const text = renderTrace(
      buildTrace({
        ...BASE,
        triggers: [
          {
            ...trigger,
            metricName: "s0-predictkube-predictkube_metric",
            forecast: { ...forecast, mode: "predictive", current: 30, predicted: 42, served: 42 },
          },
          {
            ...trigger,
            index: 1,
            type: "redis",
            metricName: "s1-redis-jobs",
            value: 7,
            forecast: {
              ...forecast,
              mode: "reactive",
              reason: "the backtest error is above the bound",
              reasonCode: "backtest-error",
              current: 7,
              predicted: 20,
              served: 7,
              backtestError: 0.45,
            },
          },
        ],
      }),
    );
    expect(text.split("\n").slice(4, 7)).toEqual([
      "  forecasts",
      "    s0-predictkube-predictkube_metric: predictive: serves 42 (forecast for +10m 42, now 30); seasonal (daily), backtest error 8% (current value 21%, bound 30%)",
      "    s1-redis-jobs: reactive: serves the current value 7 because the backtest error is above the bound; seasonal (daily), backtest error 45% (current value 21%, bound 30%)",
    ]);
  });
});
