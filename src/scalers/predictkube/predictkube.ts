import { Forecaster } from "../../engine/forecast/forecaster.ts";
import {
  FORECAST_DEFAULTS,
  parseSeason,
  SEASON_FORMS,
  settingsProblems,
  type ForecastSettings,
} from "../../engine/forecast/settings.ts";
import { CALENDAR_DURATION_FORMS, parseCalendarDuration } from "../../util/go/duration.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { httpAuthorization, httpAuthParams, httpAuthProblems } from "../shared/http-auth.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { instantUrl, instantValue, rangePoints, rangeUrl } from "./history.ts";

/** KEDA's step when queryStep reads as zero. */
const DEFAULT_STEP_MS = 5 * 60_000;

const params = {
  prometheusAddress: param.string({ description: "Prometheus base URL the history is read from" }),
  query: param.string({ description: "PromQL query of the metric to forecast (one series)" }),
  predictHorizon: param.string({
    description: "how far ahead the served value looks, e.g. 2h (units ms, s, m, h, d, w)",
  }),
  historyTimeWindow: param.string({ description: "history the model is fitted on, e.g. 7d" }),
  queryStep: param.string({ description: "resolution of the history, e.g. 2m (0: 5m)" }),
  threshold: param.float({
    optional: true,
    description: "target value per replica (required unless the trigger feeds a scalingModifiers formula)",
  }),
  activationThreshold: param.float({
    default: 0,
    description: "active when the current value (not the forecast) is greater than this",
  }),
  tidalSeason: param.string({
    default: "auto",
    description: `Tidal only: the season: ${SEASON_FORMS}`,
  }),
  tidalMaxError: param.float({
    default: FORECAST_DEFAULTS.maxError,
    description:
      "Tidal only: backtest error (mean absolute error ÷ mean value) above which the current value is served",
  }),
  tidalRefitInterval: param.string({
    default: "15m",
    description: "Tidal only: how often the history is read again and the model fitted",
  }),
  ...httpAuthParams,
};

type Values = {
  predictHorizon: string;
  historyTimeWindow: string;
  queryStep: string;
  tidalSeason: string;
  tidalMaxError: number;
  tidalRefitInterval: string;
};

/** The forecast settings of a trigger, with a problem per field that does not parse. */
export function predictKubeSettings(values: Values): {
  settings?: ForecastSettings;
  problems: ParamProblem[];
} {
  const problems: ParamProblem[] = [];
  const duration = (key: keyof Values, raw: string): number | undefined => {
    const parsed = parseCalendarDuration(raw);
    if (parsed === undefined) {
      problems.push({
        key,
        message: `${key} "${raw}" is not a duration; write ${CALENDAR_DURATION_FORMS}`,
        severity: "error",
      });
    }
    return parsed;
  };
  const horizonMs = duration("predictHorizon", values.predictHorizon);
  const historyMs = duration("historyTimeWindow", values.historyTimeWindow);
  const stepMs = duration("queryStep", values.queryStep);
  const refitMs = duration("tidalRefitInterval", values.tidalRefitInterval);
  const season = parseSeason(values.tidalSeason);
  if ("error" in season) {
    problems.push({
      key: "tidalSeason",
      message: `tidalSeason "${values.tidalSeason}" ${season.error}`,
      severity: "error",
    });
  }
  if (horizonMs === undefined || historyMs === undefined || stepMs === undefined || refitMs === undefined) {
    return { problems };
  }
  if ("error" in season) return { problems };
  const settings: ForecastSettings = {
    horizonMs,
    historyMs,
    stepMs: stepMs === 0 ? DEFAULT_STEP_MS : stepMs,
    season,
    maxError: values.tidalMaxError,
    refitMs,
  };
  const keyOf: Record<keyof ForecastSettings, keyof Values> = {
    horizonMs: "predictHorizon",
    historyMs: "historyTimeWindow",
    stepMs: "queryStep",
    season: "tidalSeason",
    maxError: "tidalMaxError",
    refitMs: "tidalRefitInterval",
  };
  for (const problem of settingsProblems(settings)) {
    const key = keyOf[problem.key];
    problems.push({ key, message: `${key}: ${problem.message}`, severity: "error" });
  }
  return problems.length > 0 ? { problems } : { settings, problems };
}

export const predictKubeScaler: ScalerDefinition<typeof params> = {
  type: "predictkube",
  testedAgainst: "Prometheus (Debian) with days of history backfilled by promtool",
  example: {
    metadata: {
      prometheusAddress: "http://prometheus:9090",
      query: "sum(rate(http_requests_total[2m]))",
      predictHorizon: "2h",
      historyTimeWindow: "7d",
      queryStep: "2m",
      threshold: "2000",
    },
    metricName: "s0-predictkube-predictkube_metric",
  },
  kedaScalerName: "PredictKubeScaler",
  description:
    "Forecast of a Prometheus query at now + predictHorizon, from a model Tidal fits on the query's history (no PredictKube service or API key).",
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [...httpAuthProblems(values)];
    // KEDA reads threshold 0 as missing.
    if (!values.threshold && !context.asMetricSource) {
      problems.push({
        key: "threshold",
        message: `missing required parameter "threshold"`,
        severity: "error",
      });
    }
    if (!isHttpUrl(values.prometheusAddress)) {
      problems.push({
        key: "prometheusAddress",
        message: `prometheusAddress "${values.prometheusAddress}" is not a URL such as http://prometheus:9090`,
        severity: "error",
      });
    }
    problems.push(...predictKubeSettings(values).problems);
    const apiKeyForPrometheus = values.authModes?.includes("apiKey") ?? false;
    if (values.apiKey !== undefined && !apiKeyForPrometheus) {
      problems.push({
        key: "apiKey",
        message:
          "apiKey is PredictKube's key for its hosted model; Tidal fits the model itself and does not need it (it is not sent anywhere)",
        severity: "warning",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: "predictkube-predictkube_metric",
    target: values.threshold ?? 0,
    activationTarget: values.activationThreshold,
  }),
  connect(values) {
    const { settings } = predictKubeSettings(values);
    if (settings === undefined) throw new Error("predictkube trigger has invalid forecast settings");
    const authorization = httpAuthorization(values, false);
    const client = createHttpGetClient({ tls: authorization.tls });
    const forecaster = new Forecaster(settings);
    return {
      async measure(signal) {
        const now = Date.now();
        let current: number;
        if (forecaster.refitDue(now)) {
          const url = rangeUrl(
            values.prometheusAddress,
            values.query,
            { start: now - settings.historyMs, end: now, stepMs: settings.stepMs },
            authorization.query,
          );
          const points = rangePoints(await client.get(url, authorization.headers, signal), values.query);
          // As KEDA does, the current value is the newest point of the range.
          current = (points.at(-1) as { value: number }).value;
          forecaster.load(points, now);
        } else {
          const url = instantUrl(values.prometheusAddress, values.query, now, authorization.query);
          current = instantValue(await client.get(url, authorization.headers, signal), values.query);
          forecaster.record(now, current);
        }
        const forecast = forecaster.serve(now, current);
        return { value: forecast.served, active: current > values.activationThreshold, forecast };
      },
      close: async () => client.close(),
    };
  },
};
