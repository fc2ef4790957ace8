/**
 * What a forecast is asked for: how far ahead, over how much history, at which resolution, with
 * which season, how wrong it may be in its own backtest, and how often it is fitted again. The
 * predictkube trigger builds these from its metadata, the `autoscaling.tidal.dev/forecast`
 * annotation from its value.
 */
import { formatCalendarDuration, parseCalendarDuration } from "../../util/go/duration.ts";

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** auto: daily or weekly when the history shows it; none: no season (trend only); or a fixed period. */
export type Season = { kind: "auto" } | { kind: "none" } | { kind: "period"; periodMs: number };

export interface ForecastSettings {
  /** How far ahead the served value looks: the forecast is for now + horizon. */
  horizonMs: number;
  /** How much history the model keeps and fits on. */
  historyMs: number;
  /** The resolution of the history: one value (the mean of what was seen) per step. */
  stepMs: number;
  season: Season;
  /**
   * The largest backtest error (mean absolute error over the mean actual value, a MAPE that
   * tolerates zeros) at which forecasts are served; above it the current value is.
   */
  maxError: number;
  /** How often the model is fitted again (season detection and backtest). */
  refitMs: number;
}

/** Tidal's defaults for the parameters KEDA does not have. */
export const FORECAST_DEFAULTS = { maxError: 0.3, refitMs: 15 * 60_000 } as const;

/** The accepted forms of a season, for messages. */
export const SEASON_FORMS = "auto, none, daily, weekly or a period such as 1d, 12h or 1w";

/** A season setting as written (`auto`, `none`, `daily`, `weekly`, or a period), or an error. */
export function parseSeason(text: string): Season | { error: string } {
  const value = text.trim();
  if (value === "auto") return { kind: "auto" };
  if (value === "none") return { kind: "none" };
  if (value === "daily") return { kind: "period", periodMs: DAY_MS };
  if (value === "weekly") return { kind: "period", periodMs: WEEK_MS };
  const periodMs = parseCalendarDuration(value);
  if (periodMs === undefined || periodMs <= 0) return { error: `must be ${SEASON_FORMS}` };
  return { kind: "period", periodMs };
}

/** A period as people name it: daily, weekly, or its duration. */
export function seasonLabel(periodMs: number): string {
  if (periodMs === DAY_MS) return "daily";
  if (periodMs === WEEK_MS) return "weekly";
  return `every ${formatCalendarDuration(periodMs)}`;
}

/** Problems of a settings combination that parsed, one sentence each, by the setting they are about. */
export function settingsProblems(
  settings: ForecastSettings,
): { key: keyof ForecastSettings; message: string }[] {
  const problems: { key: keyof ForecastSettings; message: string }[] = [];
  if (settings.stepMs <= 0) problems.push({ key: "stepMs", message: "the step must be greater than 0" });
  if (settings.historyMs <= 0)
    problems.push({ key: "historyMs", message: "the history window must be greater than 0" });
  if (settings.horizonMs < 0)
    problems.push({ key: "horizonMs", message: "the horizon must not be negative" });
  if (settings.stepMs > 0 && settings.historyMs / settings.stepMs > MAX_BUCKETS) {
    problems.push({
      key: "historyMs",
      message: `the history window holds ${Math.ceil(settings.historyMs / settings.stepMs)} steps; at most ${MAX_BUCKETS} are kept, as Prometheus answers at most 11,000 points per series (use a longer step)`,
    });
  }
  if (settings.season.kind === "period" && settings.stepMs > 0) {
    if (settings.season.periodMs < 2 * settings.stepMs) {
      problems.push({ key: "season", message: "the season must be at least two steps long" });
    } else if (settings.horizonMs >= settings.season.periodMs) {
      problems.push({ key: "horizonMs", message: "the horizon must be shorter than the season" });
    }
  }
  if (!(settings.maxError > 0))
    problems.push({ key: "maxError", message: "the error bound must be greater than 0" });
  if (settings.refitMs <= 0)
    problems.push({ key: "refitMs", message: "the refit interval must be greater than 0" });
  return problems;
}

/** The most history steps one forecaster keeps: what one Prometheus query_range answers at most. */
export const MAX_BUCKETS = 11_000;
