import { describe, expect, it } from "vitest";
import { scaledObject } from "../src/api/schema/scaled-object.ts";
import { prepareTrigger } from "../src/scalers/prepared-trigger.ts";
import { checkScaledObject } from "../src/validation/object-checks.ts";
import {
  bestWithin,
  rateGrid,
  RATE_THRESHOLDS,
  readReactively,
  scaledObjectDocument,
  scenario,
  settingsGrid,
  type Outcome,
} from "./quality-model.ts";
import { WEEKLY } from "./traces.ts";

const outcome = (replicaSeconds: number, waitP95Seconds: number): { outcome: Outcome } => ({
  outcome: { replicaSeconds, waitP95Seconds, maxReplicas: 1 },
});

describe("section 5's model", () => {
  it("writes valid ScaledObjects for every setting it searches", () => {
    const settings = [...settingsGrid(true), ...rateGrid(true, { season: "6300s", historySeconds: 12600 })];
    for (const setting of settings) {
      const object = scaledObject.parse(scaledObjectDocument("grid", setting));
      const errors: string[] = [];
      checkScaledObject(
        object,
        (path, message, severity) => severity !== "warning" && errors.push(`${path}: ${message}`),
      );
      expect(errors).toEqual([]);
      object.spec.triggers.forEach((trigger, index) => {
        const prepared = prepareTrigger(
          trigger,
          index,
          { authParams: {}, resolvedEnv: {} },
          { asMetricSource: false },
        );
        expect(prepared.metricSpec).toBeDefined();
        expect(prepared.problems.filter((problem) => problem.severity !== "warning")).toEqual([]);
      });
    }
    expect(settingsGrid(true).every((setting) => setting.mode === "hpa")).toBe(true);
  });

  it("names the rate trigger `rate` and the queue `backlog`", () => {
    const [predictive] = rateGrid(true, { season: "auto", historySeconds: 3600 }).filter(
      (setting) => setting.rate?.kind === "predictkube",
    );
    const document = scaledObjectDocument("p", predictive!) as {
      spec: { triggers: { type: string; name: string }[] };
    };
    expect(document.spec.triggers.map(({ type, name }) => [type, name])).toEqual([
      ["predictkube", "rate"],
      ["redis", "backlog"],
    ]);
  });

  it("picks the lowest wait within the SLO and the budget, else the fewest replica-seconds within the SLO", () => {
    const candidates = [outcome(100, 20), outcome(108, 10), outcome(120, 5), outcome(90, 40)];
    expect(bestWithin(candidates, 110)).toBe(candidates[1]);
    expect(bestWithin(candidates, 95)).toBe(candidates[0]);
  });

  it("gives every predictkube setting a reactive twin with the same threshold and listLength", () => {
    for (const quick of [true, false]) {
      const grid = rateGrid(quick, { season: "6300s", historySeconds: 12600 }).map((settings) => ({
        settings,
      }));
      for (const { settings } of grid.filter((entry) => entry.settings.rate?.kind === "predictkube")) {
        const twin = readReactively(grid, settings);
        expect(twin?.settings.rate).toEqual({
          kind: "prometheus",
          threshold: settings.rate?.threshold,
          backlogListLength: settings.rate?.backlogListLength,
        });
      }
    }
    const full = rateGrid(false, { season: "auto", historySeconds: 3600 });
    expect(new Set(full.map((settings) => settings.rate?.threshold))).toEqual(new Set(RATE_THRESHOLDS));
    expect(Math.max(...RATE_THRESHOLDS)).toBe(6);
    expect(
      readReactively(
        full.map((settings) => ({ settings })),
        { mode: "hpa" },
      ),
    ).toBeUndefined();
  });

  it("measures the weekly trace's third week after two weeks of history", () => {
    const weekly = scenario("weekly", 1200);
    expect(weekly.warmupSeconds).toBe(2 * WEEKLY.weekSeconds);
    expect(weekly.full.counts).toHaveLength(3 * WEEKLY.weekSeconds);
    expect(weekly.measured.counts).toEqual(weekly.full.counts.slice(weekly.warmupSeconds));
    expect(scenario("bursty", 1200).measured.counts).toHaveLength(1200);
  });
});
