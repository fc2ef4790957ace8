/**
 * `autoscaling.tidal.dev/forecast` (Tidal's own): forecast every trigger's metric from the history
 * Tidal records of it, and serve the forecast for now + horizon (never lower than the current
 * value) while it passes its backtest. The value is `true` for the defaults, `false` (or no
 * annotation) for none, or parameters as `key=value` pairs separated by commas:
 *
 *   autoscaling.tidal.dev/forecast: "horizon=10m, history=14d, step=5m, season=auto, maxError=0.3, refit=15m"
 */
import { didYouMean } from "../../util/did-you-mean.ts";
import { parseGoBool } from "../../util/go/parse.ts";
import { CALENDAR_DURATION_FORMS, parseCalendarDuration } from "../../util/go/duration.ts";
import type { TriggerMetricSpec } from "../types.ts";
import { FORECAST_DEFAULTS, parseSeason, settingsProblems, type ForecastSettings } from "./settings.ts";

export const FORECAST_ANNOTATION = "autoscaling.tidal.dev/forecast";

/** The parameters and their defaults, as written in the annotation. */
export const FORECAST_PARAMETERS = {
  horizon: "10m",
  history: "14d",
  step: "5m",
  season: "auto",
  maxError: String(FORECAST_DEFAULTS.maxError),
  refit: "15m",
} as const;

type Parameter = keyof typeof FORECAST_PARAMETERS;

const SETTING_OF: Record<keyof ForecastSettings, Parameter> = {
  horizonMs: "horizon",
  historyMs: "history",
  stepMs: "step",
  season: "season",
  maxError: "maxError",
  refitMs: "refit",
};

export type ForecastAnnotation =
  { enabled: false; problems: string[] } | { enabled: true; settings: ForecastSettings; problems: [] };

/** The annotation's settings, or why it cannot be used (each problem names the parameter). */
export function parseForecastAnnotation(annotations: Record<string, string> | undefined): ForecastAnnotation {
  const text = annotations?.[FORECAST_ANNOTATION]?.trim();
  if (text === undefined) return { enabled: false, problems: [] };
  const flag = text === "" ? true : parseGoBool(text);
  if (flag === false) return { enabled: false, problems: [] };
  const values: Record<Parameter, string> = { ...FORECAST_PARAMETERS };
  const problems: string[] = [];
  if (flag === undefined) {
    for (const pair of text.split(",")) {
      if (pair.trim() === "") continue;
      const separator = pair.indexOf("=");
      const key = (separator < 0 ? pair : pair.slice(0, separator)).trim();
      if (!(key in FORECAST_PARAMETERS)) {
        problems.push(
          `unknown parameter "${key}"${didYouMean(key, Object.keys(FORECAST_PARAMETERS))}; write true, or key=value pairs of ${Object.keys(FORECAST_PARAMETERS).join(", ")}`,
        );
        continue;
      }
      if (separator < 0) {
        problems.push(`${key} needs a value (${key}=…)`);
        continue;
      }
      values[key as Parameter] = pair.slice(separator + 1).trim();
    }
  }
  const duration = (key: Parameter): number => {
    const parsed = parseCalendarDuration(values[key]);
    if (parsed === undefined)
      problems.push(`${key} "${values[key]}" is not a duration; write ${CALENDAR_DURATION_FORMS}`);
    return parsed ?? Number.NaN;
  };
  const horizonMs = duration("horizon");
  const historyMs = duration("history");
  const stepMs = duration("step");
  const season = parseSeason(values.season);
  if ("error" in season) problems.push(`season "${values.season}" ${season.error}`);
  const maxError = Number(values.maxError);
  if (values.maxError === "" || !Number.isFinite(maxError)) {
    problems.push(`maxError "${values.maxError}" is not a number; write a fraction such as 0.3`);
  }
  const settings: ForecastSettings = {
    horizonMs,
    historyMs,
    stepMs,
    season: "error" in season ? { kind: "auto" } : season,
    maxError,
    refitMs: duration("refit"),
  };
  if (problems.length > 0) return { enabled: false, problems };
  for (const problem of settingsProblems(settings))
    problems.push(`${SETTING_OF[problem.key]}: ${problem.message}`);
  return problems.length > 0 ? { enabled: false, problems } : { enabled: true, settings, problems: [] };
}

/**
 * Whether the annotation forecasts a trigger: every one but cpu and memory (the HPA reads those
 * from the pods) and predictkube (which forecasts itself).
 */
export function forecastsTrigger(spec: Pick<TriggerMetricSpec, "type" | "resource">): boolean {
  return spec.resource === undefined && spec.type !== "predictkube";
}
