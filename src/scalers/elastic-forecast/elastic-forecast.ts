import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { Scaler, ScalerDefinition } from "../types.ts";
import { createElasticClient, type ElasticClient, type ElasticConnection } from "../elasticsearch/client.ts";
import { elasticAddressProblems, elasticConnectionParams } from "../elasticsearch/elasticsearch.ts";
import { gjsonGet } from "../metrics-api/gjson-path.ts";

const params = {
  ...elasticConnectionParams,
  jobID: param.string({ description: "anomaly detection job whose forecast is read" }),
  lookAhead: param.duration({
    default: 600_000,
    description: "how far ahead to read the forecast (Go duration)",
  }),
  targetValue: param.float({ description: "target value per replica (greater than 0)" }),
  activationTargetValue: param.float({
    default: 0,
    description: "active when the forecast is greater than this",
  }),
  index: param.string({ default: "*", description: "suffix of the .ml-anomalies- index to search" }),
  partitionFieldValue: param.string({ optional: true, description: "partition of a multi-metric job" }),
  byFieldValue: param.string({ optional: true, description: "by-field value of a multi-metric job" }),
};

/** The forecast window is twice lookAhead; a forecast is renewed when less than half of it is left. */
const FORECAST_DURATION_MULTIPLIER = 2;
const FORECAST_RENEW_THRESHOLD = 0.5;

export function forecastDurationMs(lookAheadMs: number): number {
  return lookAheadMs * FORECAST_DURATION_MULTIPLIER;
}

/** KEDA's Validate of its elastic-forecast metadata. */
export function elasticForecastProblems(values: {
  addresses?: string[] | undefined;
  username?: string | undefined;
  password?: string | undefined;
  cloudID?: string | undefined;
  apiKey?: string | undefined;
  lookAhead: number;
  targetValue: number;
}): ParamProblem[] {
  const error = (key: string, message: string): ParamProblem[] => [{ key, message, severity: "error" }];
  const cloudMode = Boolean(values.cloudID || values.apiKey);
  const addressMode = (values.addresses ?? []).length > 0;
  if (cloudMode && addressMode) {
    return error("cloudID", "cannot provide both cloud config (cloudID/apiKey) and endpoint addresses");
  }
  if (Boolean(values.cloudID) !== Boolean(values.apiKey)) {
    return error(values.cloudID ? "apiKey" : "cloudID", "cloudID and apiKey must both be provided together");
  }
  if (!addressMode && (values.username || values.password)) {
    return error("addresses", "username and password provided but no addresses specified");
  }
  if (!cloudMode && !addressMode) {
    return error("addresses", "must provide either cloud config (cloudID + apiKey) or endpoint addresses");
  }
  if (addressMode && (!values.username || !values.password)) {
    return error(
      values.username ? "password" : "username",
      "username and password must both be provided when addresses is used",
    );
  }
  if (values.lookAhead <= 0) return error("lookAhead", "lookAhead must be positive");
  if (values.targetValue <= 0) return error("targetValue", "targetValue must be greater than 0");
  return [];
}

interface ForecastTarget {
  jobID: string;
  index: string;
  partitionFieldValue?: string | undefined;
  byFieldValue?: string | undefined;
}

/** KEDA's search for the forecast bucket covering `targetMs`: the latest model_forecast at or before it. */
export function forecastBucketQuery(target: ForecastTarget, forecastId: string, targetMs: number) {
  const filter: unknown[] = [
    { term: { job_id: target.jobID } },
    { term: { forecast_id: forecastId } },
    { term: { result_type: "model_forecast" } },
  ];
  if (target.partitionFieldValue)
    filter.push({ term: { partition_field_value: target.partitionFieldValue } });
  if (target.byFieldValue) filter.push({ term: { by_field_value: target.byFieldValue } });
  filter.push({ range: { timestamp: { lte: targetMs } } });
  return {
    size: 1,
    query: { bool: { filter } },
    sort: [{ timestamp: { order: "desc" } }],
    _source: ["forecast_prediction", "timestamp"],
  };
}

function httpError(status: number): Error {
  if (status === 401) {
    return new Error("elasticsearch authentication failed (HTTP 401): check username/password or apiKey");
  }
  if (status === 403)
    return new Error("elasticsearch authorization failed (HTTP 403): user has insufficient permissions");
  return new Error(`elasticsearch returned HTTP ${status}`);
}

/** The forecast_prediction of a bucket search's first hit; undefined when there is none. */
export function forecastPrediction(body: string): number | undefined {
  let document: unknown;
  try {
    document = JSON.parse(body);
  } catch {
    return undefined;
  }
  const result = gjsonGet(document, "hits.hits.0._source.forecast_prediction");
  if (result.type === "Null") return undefined;
  if (result.type === "Number") return result.value as number;
  if (result.type === "String") {
    // KEDA reads it with fmt.Sscanf("%f"): a leading number is enough.
    const leading = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(String(result.value));
    if (!leading) throw new Error(`forecast_prediction "${String(result.value)}" is not numeric`);
    return Number(leading[0]);
  }
  throw new Error(`unexpected forecast_prediction type ${result.type}`);
}

interface ForecastState {
  id: string;
  expiresAt: number;
  previousId: string;
  /** The last creation attempt's failure while there is no forecast yet (Tidal reports it). */
  failure: Error | undefined;
  /** Whether a creation attempt has finished. */
  attempted: boolean;
}

/**
 * A connected elastic-forecast trigger: creates an ML forecast at once and renews it whenever less
 * than half of its window is left (checking every lookAhead/2), and reads the forecast bucket that
 * covers now + lookAhead, falling back to the previous forecast while a new one is not indexed yet.
 */
export function connectElasticForecast(
  values: ForecastTarget & ElasticConnection & { lookAhead: number; activationTargetValue: number },
  client: ElasticClient,
  now: () => number = Date.now,
): Scaler {
  const durationMs = forecastDurationMs(values.lookAhead);
  const seconds = `${Math.ceil(durationMs / 1000)}s`;
  const state: ForecastState = { id: "", expiresAt: 0, previousId: "", failure: undefined, attempted: false };
  const lifetime = new AbortController();
  let creating: Promise<void> | undefined;

  const createForecast = async (): Promise<void> => {
    const signal = AbortSignal.any([lifetime.signal, AbortSignal.timeout(30_000)]);
    try {
      const response = await client.request(
        "POST",
        `/_ml/anomaly_detectors/${encodeURIComponent(values.jobID)}/_forecast`,
        JSON.stringify({ duration: seconds, expires_in: seconds }),
        signal,
      );
      if (response.status >= 300) throw httpError(response.status);
      let forecastId: unknown;
      try {
        forecastId = (JSON.parse(response.body) as { forecast_id?: unknown }).forecast_id;
      } catch (error) {
        throw new Error(`unmarshal forecast response: ${(error as Error).message}`, { cause: error });
      }
      if (typeof forecastId !== "string" || forecastId === "") {
        throw new Error("forecast API response contained no forecast_id");
      }
      if (state.id !== "") state.previousId = state.id;
      state.id = forecastId;
      state.expiresAt = now() + durationMs;
      state.failure = undefined;
    } catch (error) {
      if (!lifetime.signal.aborted)
        state.failure = new Error(`forecast for job ${values.jobID}: ${(error as Error).message}`);
    } finally {
      state.attempted = true;
    }
  };
  const renew = () => {
    if (creating) return;
    creating = createForecast().finally(() => (creating = undefined));
  };

  renew();
  const timer = setInterval(
    () => {
      const needsRenewal = state.id === "" || state.expiresAt - now() < durationMs * FORECAST_RENEW_THRESHOLD;
      if (needsRenewal) renew();
    },
    Math.max(1, values.lookAhead / 2),
  );
  timer.unref();

  const queryBucket = async (forecastId: string, signal: AbortSignal): Promise<number | undefined> => {
    const query = forecastBucketQuery(values, forecastId, now() + values.lookAhead);
    const response = await client.request(
      "POST",
      `/.ml-anomalies-${values.index}/_search`,
      JSON.stringify(query),
      signal,
    );
    if (response.status >= 400) throw httpError(response.status);
    return forecastPrediction(response.body);
  };

  return {
    async measure(signal) {
      const { id, previousId } = state;
      if (id === "") {
        // KEDA reads 0 while the first forecast is being created; Tidal reports why when creating it failed.
        if (state.attempted && state.failure) throw state.failure;
        return { value: 0, active: false };
      }
      let value = await queryBucket(id, signal);
      if (value === undefined && previousId !== "") value = await queryBucket(previousId, signal);
      const reading = value ?? 0;
      return { value: reading, active: reading > values.activationTargetValue };
    },
    async close() {
      clearInterval(timer);
      lifetime.abort();
      await creating;
      client.close();
    },
  };
}

export const elasticForecastScaler: ScalerDefinition<typeof params> = {
  type: "elastic-forecast",
  kedaScalerName: "elasticForecastScaler",
  description: "Value an Elasticsearch ML anomaly detection job forecasts for now + lookAhead.",
  testedAgainst:
    "fake-elasticsearch (a loopback fake of Elasticsearch's ML forecast API in front of OpenSearch 2.19, which holds and searches the forecast results)",
  example: {
    metadata: { addresses: "http://elasticsearch:9200", jobID: "requests", targetValue: "100" },
    authParams: { username: "scaler", password: "scaler-password" },
    metricName: "s0-elastic-forecast-requests",
  },
  params,
  validate(values) {
    return [...elasticForecastProblems(values), ...elasticAddressProblems(values)];
  },
  metric: (values) => ({
    name: `elastic-forecast-${values.jobID}`,
    target: values.targetValue,
    activationTarget: values.activationTargetValue,
  }),
  connect(values) {
    const connection = { ...values, addresses: values.addresses ?? [] };
    return connectElasticForecast(connection, createElasticClient(connection));
  },
};
