import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

const AGGREGATIONS = ["COUNT", "MIN", "MAX", "AVG", "SUM", "LAST"] as const;

const params = {
  host: param.string({
    description:
      "SolarWinds Observability API URL of the organization's data center, e.g. https://api.na-01.cloud.solarwinds.com",
  }),
  apiToken: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "API access token (full access or read-only)",
  }),
  metricName: param.string({
    description: "the SolarWinds metric to read, e.g. composite.custom.jobs.pending",
  }),
  aggregation: param.enum(AGGREGATIONS, { description: "how the interval's measurements are combined" }),
  intervalS: param.int({ description: "seconds back from now that the read covers" }),
  filter: param.string({
    optional: true,
    description: "filter on the measurements' attributes, e.g. id:[a,b]",
  }),
  targetValue: param.float({ description: "target value per replica" }),
  activationValue: param.float({ default: 0, description: "active when the value is greater than this" }),
};

/** Go's time.RFC3339Nano in UTC (fractional seconds without trailing zeros), as the SDK sends times. */
export function goRfc3339Nano(date: Date): string {
  return date.toISOString().replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : "Z"));
}

/**
 * The SDK's ListMetricMeasurements request KEDA sends: one SCALAR measurement per grouping,
 * aggregated over the last `intervalS` seconds (query parameters sorted, as Go encodes them).
 */
export function solarWindsMeasurementsUrl(
  values: {
    host: string;
    metricName: string;
    aggregation: string;
    intervalS: number;
    filter?: string | undefined;
  },
  now: number,
): URL {
  const url = new URL(
    `${values.host.replace(/\/+$/, "")}/v1/metrics/${encodeURIComponent(values.metricName)}/measurements`,
  );
  const query = new URLSearchParams();
  query.set("aggregateBy", values.aggregation);
  query.set("endTime", goRfc3339Nano(new Date(now)));
  if (values.filter) query.set("filter", values.filter);
  query.set("seriesType", "SCALAR");
  query.set("startTime", goRfc3339Nano(new Date(now - values.intervalS * 1000)));
  url.search = query.toString();
  return url;
}

interface Measurements {
  groupings?: { measurements?: { value?: number | null }[] | null }[] | null;
}

/**
 * KEDA's reading of the answer: the first measurement with a value, grouping by grouping; an answer
 * with no groupings or no measurements is an error.
 */
export function solarWindsValue(response: { status: number; body: string }, metricName: string): number {
  if (response.status !== 200) {
    const hint = response.status === 401 || response.status === 403 ? " (check the apiToken)" : "";
    throw new Error(
      `SolarWinds answered HTTP ${response.status} for metric ${metricName}${hint}: ${bodyExcerpt(apiMessage(response.body))}`,
    );
  }
  let answer: Measurements | null;
  try {
    answer = JSON.parse(response.body) as Measurements | null;
  } catch {
    throw new Error(`SolarWinds answered with something that is not JSON: ${bodyExcerpt(response.body)}`);
  }
  if (answer !== null && typeof answer === "object") {
    if (answer.groupings === undefined || answer.groupings === null)
      throw new Error("no groupings found in response");
    for (const grouping of answer.groupings) {
      if (grouping.measurements === undefined || grouping.measurements === null)
        throw new Error("no measurements found in response");
      for (const measurement of grouping.measurements) {
        if (typeof measurement.value === "number") return measurement.value;
      }
    }
  }
  throw new Error(`no measurements found in response (metric ${metricName} has no data in the interval)`);
}

/** The API's error body is `{"message": …, "code": …}`. */
function apiMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; code?: unknown };
    if (typeof parsed.message === "string")
      return typeof parsed.code === "string" ? `${parsed.code}: ${parsed.message}` : parsed.message;
  } catch {
    // not JSON
  }
  return body;
}

export const solarWindsScaler: ScalerDefinition<typeof params> = {
  type: "solarwinds",
  kedaScalerName: "solarWindsScaler",
  description:
    "A SolarWinds Observability metric, aggregated over the last intervalS seconds (the first grouping's value).",
  testedAgainst:
    "fake-solarwinds (a loopback fake of the SolarWinds Observability API's documented metric measurements endpoint)",
  example: {
    metadata: {
      host: "https://api.na-01.cloud.solarwinds.com",
      metricName: "composite.custom.jobs.pending",
      aggregation: "AVG",
      intervalS: "60",
      targetValue: "10",
    },
    authParams: { apiToken: "swo-api-token" },
    metricName: "s0-solarwinds",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (!isHttpUrl(values.host)) {
      problems.push({
        key: "host",
        message: `invalid value for host "${values.host}": it must be a URL such as 'https://api.na-01.cloud.solarwinds.com'`,
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: "solarwinds",
    target: values.targetValue,
    activationTarget: values.activationValue,
  }),
  connect(values) {
    const client = createHttpGetClient({ tls: {} });
    const headers: Record<string, string> = { Accept: "application/json" };
    if (values.apiToken) headers.Authorization = `Bearer ${values.apiToken}`;
    return {
      async measure(signal) {
        const url = solarWindsMeasurementsUrl(values, Date.now());
        const value = solarWindsValue(await client.get(url, headers, signal), values.metricName);
        return { value, active: value > values.activationValue };
      },
      close: async () => client.close(),
    };
  },
};
