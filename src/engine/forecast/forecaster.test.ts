import { describe, expect, it } from "vitest";
import { Forecaster } from "./forecaster.ts";
import { LEVEL_WINDOWS, levelCandidates, levelSteps, seasonalForecast, type Fit } from "./model.ts";
import { DAY_MS, parseSeason, settingsProblems, WEEK_MS, type ForecastSettings } from "./settings.ts";

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 2, 2, 9, 0); // a Monday, 09:00

/** A deterministic pseudo-random sequence in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** Load with a daily wave, quieter weekends (Saturday and Sunday) when `weekly`. */
function load(t: number, weekly = false): number {
  const daily = 100 + 60 * Math.sin((2 * Math.PI * (t - 6 * 3_600_000)) / DAY_MS);
  const day = new Date(t).getUTCDay();
  return weekly && (day === 0 || day === 6) ? daily * 0.4 : daily;
}

function history(
  days: number,
  options: { weekly?: boolean; spikes?: boolean; gap?: boolean; stepMs?: number } = {},
): { t: number; value: number }[] {
  const random = seeded(11);
  const points = [];
  const step = options.stepMs ?? MINUTE;
  for (let t = NOW - days * DAY_MS; t <= NOW; t += step) {
    if (options.gap && t > NOW - 2 * DAY_MS && t < NOW - 2 * DAY_MS + 3 * 3_600_000) continue;
    let value = load(t, options.weekly) + (random() - 0.5) * 16;
    if (options.spikes && random() < 0.004) value *= 6;
    points.push({ t, value });
  }
  return points;
}

const settings = (overrides: Partial<ForecastSettings> = {}): ForecastSettings => ({
  horizonMs: 30 * MINUTE,
  historyMs: 7 * DAY_MS,
  stepMs: 5 * MINUTE,
  season: { kind: "auto" },
  maxError: 0.3,
  refitMs: 15 * MINUTE,
  ...overrides,
});

describe("Forecaster", () => {
  it("finds a daily season and forecasts the next half hour through spikes and a gap", () => {
    const forecaster = new Forecaster(settings());
    forecaster.load(history(7, { spikes: true, gap: true }), NOW);
    const report = forecaster.serve(NOW, load(NOW));
    expect(report).toMatchObject({ mode: "predictive", model: "seasonal", season: "daily" });
    const truth = load(NOW + 30 * MINUTE);
    expect(Math.abs((report.predicted as number) - truth) / truth).toBeLessThan(0.08);
    expect(report.backtestError as number).toBeLessThan(report.baselineError as number);
    expect(report.served).toBe(Math.max(report.current, report.predicted as number));
  });

  it("chooses the weekly season when weekends differ, and forecasts Saturday's drop on Friday night", () => {
    const friday = NOW + 4 * DAY_MS + 14.5 * 3_600_000; // Friday 23:30
    const forecaster = new Forecaster(
      settings({ historyMs: 21 * DAY_MS, stepMs: 10 * MINUTE, horizonMs: 60 * MINUTE }),
    );
    const points = history(25, { weekly: true, stepMs: 10 * MINUTE }).map((point) => ({
      t: point.t + 4 * DAY_MS + 14.5 * 3_600_000,
      value: load(point.t + 4 * DAY_MS + 14.5 * 3_600_000, true),
    }));
    forecaster.load(points, friday);
    const report = forecaster.serve(friday, load(friday, true));
    expect(report).toMatchObject({ mode: "predictive", season: "weekly" });
    const truth = load(friday + 60 * MINUTE, true);
    expect(Math.abs((report.predicted as number) - truth) / truth).toBeLessThan(0.1);
    // Reactive scaling would keep Friday's level; the forecast already serves it (never lower).
    expect(report.served).toBe(report.current);
  });

  it("serves the current value while the history is too short for the season, and says why", () => {
    const forecaster = new Forecaster(
      settings({ season: parseSeason("daily") as ForecastSettings["season"] }),
    );
    forecaster.load(history(0.5), NOW);
    const report = forecaster.serve(NOW, 90);
    expect(report).toMatchObject({ mode: "reactive", reasonCode: "history-too-short", served: 90 });
    expect(report.reason).toBe("history too short: 12h of data; a daily season needs at least 1d3h");
  });

  it("serves the current value when the model does no better than it", () => {
    const random = seeded(5);
    const forecaster = new Forecaster(settings({ season: { kind: "none" }, maxError: 5 }));
    // A random walk: the last value is the best forecast there is.
    let level = 100;
    const points = [];
    for (let t = NOW - 2 * DAY_MS; t <= NOW; t += 5 * MINUTE) {
      level = Math.max(1, level + (random() - 0.5) * 20);
      points.push({ t, value: level });
    }
    forecaster.load(points, NOW);
    const report = forecaster.serve(NOW, level);
    expect(report.mode).toBe("reactive");
    expect(report.reasonCode).toBe("baseline-better");
    expect(report.reason).toMatch(
      /^backtest error [\d.]+% is no better than serving the current value \([\d.]+%\)$/,
    );
  });

  it("serves the current value when the backtest error is above the bound", () => {
    const forecaster = new Forecaster(settings({ maxError: 0.01 }));
    forecaster.load(history(7), NOW);
    const report = forecaster.serve(NOW, 100);
    expect(report).toMatchObject({ mode: "reactive", reasonCode: "backtest-error", served: 100 });
    expect(report.reason).toMatch(/^backtest error [\d.]+% is above the bound 1%$/);
  });

  it("fits again on its schedule, not on every serve, and learns from what it records", () => {
    const forecaster = new Forecaster(
      settings({ season: parseSeason("daily") as ForecastSettings["season"] }),
    );
    let t = NOW - 1.05 * DAY_MS;
    for (; t < NOW; t += MINUTE) forecaster.record(t, load(t));
    const first = forecaster.serve(t, load(t));
    expect(first.mode).toBe("reactive");
    const fittedAt = first.fittedAt;
    for (; t < NOW + 10 * MINUTE; t += MINUTE) forecaster.record(t, load(t));
    expect(forecaster.serve(t, load(t)).fittedAt).toBe(fittedAt);
    for (; t < NOW + 0.3 * DAY_MS; t += MINUTE) forecaster.record(t, load(t));
    const later = forecaster.serve(t, load(t));
    expect(later.fittedAt).toBeGreaterThan(fittedAt);
    expect(later.mode).toBe("predictive");
  });

  it("follows a level that moves within the day with a short level window", () => {
    // Each day, two hours at +40 that start at a different time; today they began 20 minutes ago.
    const HOUR = 3_600_000;
    const busyFrom = (day: number) =>
      day === Math.floor(NOW / DAY_MS) ? NOW - 20 * MINUTE : day * DAY_MS + ((day * 5) % 20) * HOUR;
    const value = (t: number) => {
      const from = busyFrom(Math.floor(t / DAY_MS));
      return load(t) + (t >= from && t < from + 2 * HOUR ? 40 : 0);
    };
    const points = [];
    for (let t = NOW - 6 * DAY_MS; t <= NOW; t += 5 * MINUTE) points.push({ t, value: value(t) });
    const forecaster = new Forecaster(
      settings({ season: parseSeason("daily") as ForecastSettings["season"] }),
    );
    forecaster.load(points, NOW);
    const fit = forecaster.fit as Fit;
    expect(fit.levelSteps).toBeLessThanOrEqual(3);
    expect(levelSteps(fit.periodSteps as number)).toBe(12);
    const report = forecaster.serve(NOW, value(NOW));
    expect(report.mode).toBe("predictive");
    // Half an hour on, still busy: the last steps' level holds (the default window of 12 steps,
    // eight of them before the rise, would forecast the usual value, 40 lower).
    const truth = value(NOW + 30 * MINUTE);
    expect(Math.abs((report.predicted as number) - truth)).toBeLessThan(3);
  });

  it("averages a steady level over a long window when single steps are noisy", () => {
    const random = seeded(31);
    const points = [];
    for (let t = NOW - 6 * DAY_MS; t <= NOW; t += 5 * MINUTE) {
      points.push({ t, value: load(t) + (random() - 0.5) * 120 });
    }
    const forecaster = new Forecaster(
      settings({ season: parseSeason("daily") as ForecastSettings["season"] }),
    );
    forecaster.load(points, NOW);
    expect((forecaster.fit as Fit).levelSteps).toBeGreaterThanOrEqual(24);
  });

  it("keeps its history across an export and restore", () => {
    const forecaster = new Forecaster(settings());
    forecaster.load(history(7), NOW);
    const restored = new Forecaster(settings());
    restored.restore(JSON.parse(JSON.stringify(forecaster.export())));
    const a = forecaster.serve(NOW, 100);
    const b = restored.serve(NOW, 100);
    expect(b.historySteps).toBe(a.historySteps);
    expect(b.predicted).toBeCloseTo(a.predicted as number, 3);
  });
});

describe("the seasonal model's level correction", () => {
  it("tries the default window and LEVEL_WINDOWS shorter than half the season, longest first", () => {
    expect(levelCandidates(288)).toEqual([48, 24, 12, 6, 3]);
    expect(levelCandidates(720)).toEqual([48, 30, 24, 12, 6, 3]);
    expect(levelCandidates(20)).toEqual([6, 3]);
    expect(LEVEL_WINDOWS.every((steps) => levelCandidates(4_000).includes(steps))).toBe(true);
  });

  it("moves the profile by the median gap over the window it is given", () => {
    // Two seasons of 10 at 100, then the current one: 130 over its last 3 steps, 100 before.
    const values = [...Array<number>(20).fill(100), ...Array<number>(7).fill(100), 130, 130, 130];
    const y = (step: number) => values[step] ?? Number.NaN;
    const at = (level: number) => seasonalForecast(y, 31, 29, 10, 0, undefined, level);
    expect(at(3)).toBe(130);
    expect(at(9)).toBe(100);
    // The default window of a season of 10 steps is 3.
    expect(seasonalForecast(y, 31, 29, 10, 0)).toBe(130);
  });
});

describe("forecast settings", () => {
  it("reads seasons", () => {
    expect(parseSeason("auto")).toEqual({ kind: "auto" });
    expect(parseSeason("weekly")).toEqual({ kind: "period", periodMs: WEEK_MS });
    expect(parseSeason("20m")).toEqual({ kind: "period", periodMs: 20 * MINUTE });
    expect(parseSeason("monthly")).toEqual({
      error: "must be auto, none, daily, weekly or a period such as 1d, 12h or 1w",
    });
  });

  it("rejects combinations that cannot work", () => {
    expect(settingsProblems(settings({ historyMs: 30 * DAY_MS, stepMs: MINUTE })).map((p) => p.key)).toEqual([
      "historyMs",
    ]);
    expect(
      settingsProblems(
        settings({ season: { kind: "period", periodMs: 20 * MINUTE }, horizonMs: 30 * MINUTE }),
      ),
    ).toEqual([{ key: "horizonMs", message: "the horizon must be shorter than the season" }]);
  });
});
