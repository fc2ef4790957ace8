/**
 * The forecasting model: a seasonal median profile with a level correction, or, without a season,
 * a robust linear trend; fitted by choosing the season and backtesting on the history itself.
 *
 * Seasonal: the value expected at step t is the median of the same phase (and its two neighbours)
 * in every earlier season of the history, plus the median gap between what was seen and that
 * profile over the last few steps (so a busier day than usual lifts the whole forecast). Medians
 * make one spike, or a missing stretch, change nothing; gaps are simply left out. Fitting is choosing the period
 * (configured, or daily or weekly by the history's autocorrelation), choosing how many recent
 * steps the level correction looks at (LEVEL_WINDOWS: few follow a level that moves within the
 * day, many average out noise; the backtest on the history decides), and a backtest; predicting is
 * a few dozen numbers sorted, from the history itself, so new observations count at once and the
 * model needs no state but the history.
 *
 * Trend (no season, or too little history to see one): Theil–Sen's slope and intercept over the
 * last steps (the median of pairwise slopes: a spike moves it little), extended to the horizon.
 *
 * The backtest replays the model over the newest stretch of history: for each step t it forecasts
 * from what was known `horizon` earlier, and compares with what came. Its error is the mean
 * absolute error over the mean actual value (a MAPE that tolerates zeros); the reactive baseline's
 * error is the same measure for serving the value seen `horizon` earlier, which is what scaling on
 * the current value amounts to.
 */
import { formatCalendarDuration } from "../../util/go/duration.ts";
import { DAY_MS, WEEK_MS, seasonLabel, type ForecastSettings } from "./settings.ts";

/** A history read by step index; NaN for a gap or a step outside the history. */
export type Values = (step: number) => number;

/** Why forecasts are not served. */
export type ReactiveReasonCode =
  "history-too-short" | "backtest-error" | "baseline-better" | "no-history-at-target";

export interface Fit {
  model: "seasonal" | "trend";
  /** The season's length in steps (seasonal only). */
  periodSteps?: number;
  /** Recent steps the level correction looks at (seasonal only), chosen by the backtest. */
  levelSteps?: number;
  /** The season as people name it (seasonal only). */
  season?: string;
  /** Why this model and not another, when the season was looked for and not found. */
  note?: string;
  usable: boolean;
  reason?: string;
  reasonCode?: ReactiveReasonCode;
  error: number | null;
  baselineError: number | null;
  backtestPoints: number;
}

/** Autocorrelation at a season's lag above which the history counts as seasonal. */
export const SEASON_THRESHOLD = 0.3;

/** The median of finite values; NaN when there are none. Sorts `values` in place. */
export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  values.sort((a, b) => a - b);
  const middle = values.length >> 1;
  return values.length % 2 === 1
    ? (values[middle] as number)
    : ((values[middle - 1] as number) + (values[middle] as number)) / 2;
}

/**
 * The level correction's default window: a 24th of the season, at least 3 steps, at most 60 (an
 * hour of a daily season). It is one of the candidates the fit chooses from.
 */
export function levelSteps(periodSteps: number): number {
  return Math.min(60, Math.max(3, Math.round(periodSteps / 24)));
}

/**
 * The level correction's windows the fit backtests, in steps, besides the default: a level that
 * moves within the season (a day busier from its morning on, a dip) is followed by a short window,
 * a noisy but steady level is better averaged over a long one. Only windows shorter than half the
 * season are tried.
 */
export const LEVEL_WINDOWS: readonly number[] = [3, 6, 12, 24, 48];

/** The windows tried for a season of `periodSteps`: LEVEL_WINDOWS and the default, longest first. */
export function levelCandidates(periodSteps: number): number[] {
  const fallback = levelSteps(periodSteps);
  const tried = new Set([fallback, ...LEVEL_WINDOWS.filter((steps) => steps < periodSteps / 2)]);
  return [...tried].sort((a, b) => b - a);
}

/** Steps the trend is fitted on: four horizons, at least 8, at most 24. */
export function trendSteps(horizonSteps: number): number {
  return Math.min(24, Math.max(8, 4 * horizonSteps));
}

/**
 * The profile at step t: the median of the same phase (±1 step) in earlier seasons, from steps at
 * or before `asOf` and not before `oldest`.
 */
export function seasonalBase(y: Values, t: number, asOf: number, period: number, oldest: number): number {
  const found: number[] = [];
  for (let center = t - period; center + 1 >= oldest; center -= period) {
    for (let step = center - 1; step <= center + 1; step++) {
      if (step > asOf || step < oldest) continue;
      const value = y(step);
      if (Number.isFinite(value)) found.push(value);
    }
  }
  return median(found);
}

/**
 * The gaps between what was seen and the profile at the `window` steps up to `origin`, newest
 * first; NaN where a step has no value or no profile.
 */
function levelGaps(y: Values, origin: number, window: number, base: (step: number) => number): number[] {
  const gaps: number[] = [];
  for (let step = origin; step > origin - window; step--) {
    const seen = y(step);
    gaps.push(Number.isFinite(seen) ? seen - base(step) : Number.NaN);
  }
  return gaps;
}

/** The median of the finite values among the first `count`; 0 when there are none. */
function levelOffset(gaps: readonly number[], count: number, scratch: number[] = []): number {
  scratch.length = 0;
  for (let index = 0; index < count && index < gaps.length; index++) {
    const gap = gaps[index] as number;
    if (Number.isFinite(gap)) scratch.push(gap);
  }
  return scratch.length === 0 ? 0 : median(scratch);
}

/**
 * The profile at `target` as known at `origin`, moved by the median gap to the profile over the
 * last `level` steps (by default levelSteps(period)).
 */
export function seasonalForecast(
  y: Values,
  target: number,
  origin: number,
  period: number,
  oldest: number,
  base: (step: number) => number = (step) => seasonalBase(y, step, step, period, oldest),
  level: number = levelSteps(period),
): number {
  const expected = seasonalBase(y, target, origin, period, oldest);
  if (!Number.isFinite(expected)) return Number.NaN;
  const offset = levelOffset(levelGaps(y, origin, level, base), level);
  return Math.max(0, expected + offset);
}

/** Theil–Sen over the last `window` steps up to `origin`, extended `ahead` steps. */
export function trendForecast(
  y: Values,
  origin: number,
  ahead: number,
  window: number,
  oldest: number,
): number {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let step = Math.max(oldest, origin - window + 1); step <= origin; step++) {
    const value = y(step);
    if (!Number.isFinite(value)) continue;
    xs.push(step - origin);
    ys.push(value);
  }
  if (xs.length < Math.max(4, Math.ceil(window / 2))) return Number.NaN;
  const slopes: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    for (let j = i + 1; j < xs.length; j++) {
      slopes.push(((ys[j] as number) - (ys[i] as number)) / ((xs[j] as number) - (xs[i] as number)));
    }
  }
  const slope = median(slopes);
  const intercept = median(xs.map((x, index) => (ys[index] as number) - slope * x));
  return Math.max(0, intercept + slope * ahead);
}

/** Pearson's correlation of the history with itself `lag` steps earlier, spikes clipped. */
export function seasonStrength(values: Float64Array, lag: number): number {
  const finite = [...values].filter(Number.isFinite);
  const center = median([...finite]);
  const spread = 1.4826 * median(finite.map((value) => Math.abs(value - center)));
  const clip = (value: number) =>
    spread > 0 ? Math.min(center + 5 * spread, Math.max(center - 5 * spread, value)) : value;
  let n = 0;
  let sumA = 0;
  let sumB = 0;
  let sumAA = 0;
  let sumBB = 0;
  let sumAB = 0;
  for (let index = lag; index < values.length; index++) {
    const a = values[index] as number;
    const b = values[index - lag] as number;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    const ca = clip(a);
    const cb = clip(b);
    n++;
    sumA += ca;
    sumB += cb;
    sumAA += ca * ca;
    sumBB += cb * cb;
    sumAB += ca * cb;
  }
  if (n < 3) return 0;
  const covariance = sumAB - (sumA * sumB) / n;
  const varianceA = sumAA - (sumA * sumA) / n;
  const varianceB = sumBB - (sumB * sumB) / n;
  return varianceA > 0 && varianceB > 0 ? covariance / Math.sqrt(varianceA * varianceB) : 0;
}

interface Window {
  first: number;
  values: Float64Array;
}

function percent(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value * 1000) / 10}%` : "unbounded";
}

/**
 * Chooses the model for a history ending at step `origin` (the step now falls in, possibly
 * incomplete) and backtests it. Pure: the same history and settings give the same fit.
 */
export function fitModel(window: Window, origin: number, settings: ForecastSettings): Fit {
  const { stepMs } = settings;
  const horizon = Math.max(1, Math.round(settings.horizonMs / stepMs));
  const y: Values = (step) => window.values[step - window.first] ?? Number.NaN;
  const firstIndex = window.values.findIndex(Number.isFinite);
  const oldest = firstIndex < 0 ? origin + 1 : window.first + firstIndex;
  const span = origin - oldest;
  const had =
    firstIndex < 0 ? "no data yet" : `${formatCalendarDuration(Math.max(0, span) * stepMs)} of data`;

  let periodSteps: number | undefined;
  let note: string | undefined;
  if (settings.season.kind === "period") {
    periodSteps = Math.round(settings.season.periodMs / stepMs);
  } else if (settings.season.kind === "auto") {
    const chosen = detectSeason(window, span, stepMs);
    periodSteps = chosen.periodSteps;
    note = chosen.note;
  } else {
    note = "season: none";
  }

  if (periodSteps !== undefined) {
    const label = seasonLabel(periodSteps * stepMs);
    const holdoutMin = Math.max(2 * horizon, Math.ceil(periodSteps / 8), 8);
    const base = { model: "seasonal" as const, periodSteps, season: label, backtestPoints: 0 };
    if (span < periodSteps + holdoutMin) {
      return {
        ...base,
        usable: false,
        reasonCode: "history-too-short",
        reason: `history too short: ${had}; a ${label} season needs at least ${formatCalendarDuration((periodSteps + holdoutMin) * stepMs)}`,
        error: null,
        baselineError: null,
      };
    }
    const holdout = Math.min(periodSteps, span - periodSteps);
    const cache = new Map<number, number>();
    const profile = (step: number) => {
      let value = cache.get(step);
      if (value === undefined) {
        value = seasonalBase(y, step, step, periodSteps, oldest);
        cache.set(step, value);
      }
      return value;
    };
    const windows = levelCandidates(periodSteps);
    const results = seasonalBacktest(y, origin - 1, holdout, horizon, windows, periodSteps, oldest, profile);
    // The lowest backtest error; on a tie the longer window (the smoother forecast).
    let chosen = 0;
    for (let index = 1; index < windows.length; index++) {
      if ((results[index] as Backtest).error < (results[chosen] as Backtest).error) chosen = index;
    }
    return judge(
      { ...base, levelSteps: windows[chosen] as number, ...(note ? { note } : {}) },
      results[chosen] as Backtest,
      settings,
    );
  }

  const steps = trendSteps(horizon);
  const needed = steps + horizon + 8;
  const base = { model: "trend" as const, backtestPoints: 0, ...(note ? { note } : {}) };
  if (span < needed) {
    return {
      ...base,
      usable: false,
      reasonCode: "history-too-short",
      reason: `history too short: ${had}; the trend model needs at least ${formatCalendarDuration(needed * stepMs)}`,
      error: null,
      baselineError: null,
    };
  }
  const holdout = Math.min(240, span - steps - horizon);
  const predict = (target: number, from: number) => trendForecast(y, from, target - from, steps, oldest);
  return judge(base, backtest(y, origin - 1, holdout, horizon, predict), settings);
}

/** Daily or weekly, whichever the history shows (weekly only when clearly stronger), or none. */
function detectSeason(window: Window, span: number, stepMs: number): { periodSteps?: number; note?: string } {
  const strengths: { name: string; periodSteps: number; r: number }[] = [];
  const missing: string[] = [];
  for (const [name, periodMs] of [
    ["daily", DAY_MS],
    ["weekly", WEEK_MS],
  ] as const) {
    const periodSteps = Math.round(periodMs / stepMs);
    if (span < 2 * periodSteps) missing.push(`${name} needs ${formatCalendarDuration(2 * periodMs)}`);
    else strengths.push({ name, periodSteps, r: seasonStrength(window.values, periodSteps) });
  }
  const daily = strengths.find((entry) => entry.name === "daily");
  const weekly = strengths.find((entry) => entry.name === "weekly");
  const seasonal = (entry: typeof daily) => entry !== undefined && entry.r >= SEASON_THRESHOLD;
  if (seasonal(weekly) && (!seasonal(daily) || (weekly?.r ?? 0) > (daily?.r ?? 0) + 0.05)) {
    return { periodSteps: weekly?.periodSteps as number };
  }
  if (seasonal(daily)) return { periodSteps: daily?.periodSteps as number };
  const seen = strengths.map((entry) => `${entry.name} autocorrelation ${entry.r.toFixed(2)}`);
  return {
    note: `no season found (${[...seen, ...missing].join("; ")}; seasonal from ${SEASON_THRESHOLD})`,
  };
}

interface Backtest {
  points: number;
  error: number;
  baselineError: number;
}

/**
 * The seasonal model's backtest (as `backtest`) for each level window of `windows` at once: the
 * profile at each target and the recent gaps are computed once and shared by all windows.
 */
function seasonalBacktest(
  y: Values,
  last: number,
  holdout: number,
  horizon: number,
  windows: readonly number[],
  period: number,
  oldest: number,
  profile: (step: number) => number,
): Backtest[] {
  const widest = Math.max(...windows);
  const absoluteErrors = windows.map(() => 0);
  let baselineError = 0;
  let actual = 0;
  let points = 0;
  const scratch: number[] = [];
  for (let target = last - holdout + 1; target <= last; target++) {
    const seen = y(target);
    const from = target - horizon;
    const earlier = y(from);
    if (!Number.isFinite(seen) || !Number.isFinite(earlier)) continue;
    const expected = seasonalBase(y, target, from, period, oldest);
    if (!Number.isFinite(expected)) continue;
    const gaps = levelGaps(y, from, widest, profile);
    for (let index = 0; index < windows.length; index++) {
      // Gaps are newest first: a window's are the first `window` of them.
      const offset = levelOffset(gaps, windows[index] as number, scratch);
      absoluteErrors[index] =
        (absoluteErrors[index] as number) + Math.abs(Math.max(0, expected + offset) - seen);
    }
    baselineError += Math.abs(earlier - seen);
    actual += Math.abs(seen);
    points++;
  }
  const ratio = (error: number) => (actual > 0 ? error / actual : error > 0 ? Infinity : 0);
  return absoluteErrors.map((error) => ({
    points,
    error: ratio(error),
    baselineError: ratio(baselineError),
  }));
}

/**
 * Forecasts each of the last `holdout` complete steps from `horizon` steps before it and compares
 * with what came, beside the reactive baseline (the value seen `horizon` steps before).
 */
function backtest(
  y: Values,
  last: number,
  holdout: number,
  horizon: number,
  predict: (target: number, origin: number) => number,
): Backtest {
  let absoluteError = 0;
  let baselineError = 0;
  let actual = 0;
  let points = 0;
  for (let target = last - holdout + 1; target <= last; target++) {
    const seen = y(target);
    const earlier = y(target - horizon);
    if (!Number.isFinite(seen) || !Number.isFinite(earlier)) continue;
    const forecast = predict(target, target - horizon);
    if (!Number.isFinite(forecast)) continue;
    absoluteError += Math.abs(forecast - seen);
    baselineError += Math.abs(earlier - seen);
    actual += Math.abs(seen);
    points++;
  }
  const ratio = (error: number) => (actual > 0 ? error / actual : error > 0 ? Infinity : 0);
  return { points, error: ratio(absoluteError), baselineError: ratio(baselineError) };
}

function judge(
  fit: Omit<Fit, "usable" | "error" | "baselineError" | "backtestPoints">,
  result: Backtest,
  settings: ForecastSettings,
): Fit {
  const measured = {
    ...fit,
    error: result.points > 0 ? result.error : null,
    baselineError: result.points > 0 ? result.baselineError : null,
    backtestPoints: result.points,
  };
  if (result.points < 8) {
    return {
      ...measured,
      usable: false,
      reasonCode: "history-too-short",
      reason: `history too short: only ${result.points} steps could be backtested (gaps); at least 8 are needed`,
    };
  }
  if (result.error > settings.maxError) {
    return {
      ...measured,
      usable: false,
      reasonCode: "backtest-error",
      reason: `backtest error ${percent(result.error)} is above the bound ${percent(settings.maxError)}`,
    };
  }
  if (!(result.error < result.baselineError)) {
    return {
      ...measured,
      usable: false,
      reasonCode: "baseline-better",
      reason: `backtest error ${percent(result.error)} is no better than serving the current value (${percent(result.baselineError)})`,
    };
  }
  return { ...measured, usable: true };
}
