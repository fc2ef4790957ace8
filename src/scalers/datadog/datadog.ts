import { STATUS_CODES } from "node:http";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import type { HttpRequestClient } from "../shared/http-get.ts";
import { createHttpGetClient } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { parseQuantity } from "../../util/quantity.ts";

const params = {
  // The Datadog Cluster Agent's external metrics API (useClusterAgentProxy: "true").
  datadogNamespace: param.string({
    sources: ["auth"],
    optional: true,
    description: "Cluster Agent proxy: namespace of the Cluster Agent's metrics service",
  }),
  datadogMetricsService: param.string({
    sources: ["auth"],
    optional: true,
    description: "Cluster Agent proxy: name of the Cluster Agent's metrics service",
  }),
  datadogMetricsServicePort: param.int({
    sources: ["auth"],
    default: 8443,
    description: "Cluster Agent proxy: port of the metrics service",
  }),
  unsafeSsl: param.bool({
    sources: ["auth"],
    default: false,
    description: "Cluster Agent proxy: skip verification of the service's certificate",
  }),
  authMode: param.string({
    sources: ["auth"],
    optional: true,
    description: "Cluster Agent proxy: bearer to send token",
  }),
  token: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "Cluster Agent proxy: bearer token (a service account's)",
  }),
  datadogMetricName: param.string({
    optional: true,
    description: "Cluster Agent proxy: name of the DatadogMetric object",
  }),
  datadogMetricNamespace: param.string({
    optional: true,
    description: "Cluster Agent proxy: namespace of the DatadogMetric object",
  }),
  activationTargetValue: param.float({
    default: 0,
    description: "Cluster Agent proxy: active when the value is greater than this",
  }),
  // The Datadog API.
  apiKey: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "API: Datadog API key",
  }),
  appKey: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "API: Datadog application key",
  }),
  datadogSite: param.string({
    sources: ["auth"],
    default: "datadoghq.com",
    description:
      "API: the Datadog site (datadoghq.com, us3.datadoghq.com, us5.datadoghq.com, datadoghq.eu, ddog-gov.com)",
  }),
  query: param.string({ optional: true, description: "API: metrics query (a scope in braces is required)" }),
  queryAggregator: param.enum(["average", "max"], {
    optional: true,
    description: "API: how the last points of several series combine (needed when the query returns several)",
  }),
  activationQueryValue: param.float({
    default: 0,
    description: "API: active when the value is greater than this",
  }),
  age: param.int({ default: 90, description: "API: seconds of the query's time window" }),
  timeWindowOffset: param.int({ default: 0, description: "API: seconds the window ends before now" }),
  lastAvailablePointOffset: param.int({
    default: 0,
    description: "API: points to skip back from the last one that has a value",
  }),
  useClusterAgentProxy: param.bool({
    default: false,
    description: "read a DatadogMetric through the Datadog Cluster Agent instead of the Datadog API",
  }),
  hpaMetricName: param.string({
    optional: true,
    description: "ignored: KEDA derives the metric name itself",
  }),
  metricUnavailableValue: param.float({
    optional: true,
    description: "value to use when Datadog has no point (or answers 422)",
  }),
  targetValue: param.float({
    aliases: ["queryValue"],
    optional: true,
    description: "target value per replica (queryValue is the older name)",
  }),
  timeout: param.duration({ optional: true, description: "HTTP timeout (default: the global HTTP timeout)" }),
  type: param.string({
    optional: true,
    description: "deprecated (use the trigger's metricType): average or global; only checked, as in KEDA",
  }),
};

/** The sites datadog-api-client-go v1 accepts for `https://{subdomain}.{site}`. */
const SITES = ["datadoghq.com", "us3.datadoghq.com", "us5.datadoghq.com", "datadoghq.eu", "ddog-gov.com"];

/** Environment variable of Tidal's own that replaces `https://api.<datadogSite>` (a proxy, a private endpoint). */
export const DATADOG_API_URL_VARIABLE = "TIDAL_DATADOG_API_URL";

/** KEDA's parseDatadogQuery: a query needs a scope between braces (`.` does not cross lines, as in Go). */
export function datadogQueryHasScope(query: string): boolean {
  return /.*\{.*\}.*/.test(query);
}

/** KEDA's buildClusterAgentURL and buildMetricURL. */
export function clusterAgentMetricUrl(
  service: string,
  namespace: string,
  port: number,
  metricNamespace: string,
  metricName: string,
): string {
  return `https://${service}.${namespace}:${port}/apis/external.metrics.k8s.io/v1beta1/namespaces/${metricNamespace}/${metricName}`;
}

/** The Cluster Agent request's headers: the bearer token when authMode is bearer. */
export function clusterAgentHeaders(
  authMode: string | undefined,
  token: string | undefined,
): Record<string, string> {
  return authMode?.trim() === "bearer" ? { Authorization: `Bearer ${token ?? ""}` } : {};
}

type Point = [number, number | null];

/**
 * KEDA's reading of a /api/v1/query answer: the last point with a value of each series (less
 * lastAvailablePointOffset), the fill value where there is none, combined by queryAggregator.
 */
export function datadogSeriesValue(
  series: readonly { pointlist?: Point[] | null }[],
  options: {
    lastAvailablePointOffset: number;
    queryAggregator?: string | undefined;
    fillValue?: number | undefined;
  },
): number {
  if (series.length === 0) {
    if (options.fillValue === undefined)
      throw new Error("no Datadog metrics returned for the given time window");
    return options.fillValue;
  }
  if (series.length > 1 && !options.queryAggregator) {
    throw new Error(
      "query returned more than 1 series; modify the query to return only 1 series or add a queryAggregator",
    );
  }
  const results: number[] = [];
  for (const entry of series) {
    const points = entry.pointlist ?? [];
    let index = points.length - 1;
    for (let j = index; j >= 0; j -= 1) {
      const point = points[j];
      if (point && point.length >= 2 && point[1] !== null && point[1] !== undefined) {
        index = j;
        break;
      }
    }
    if (index < options.lastAvailablePointOffset)
      throw new Error("index is smaller than the lastAvailablePointOffset");
    index -= options.lastAvailablePointOffset;
    const point = points[index];
    if (points.length === 0 || !point || point.length < 2 || point[1] === null || point[1] === undefined) {
      if (options.fillValue === undefined)
        throw new Error("no Datadog metrics returned for the given time window");
      return options.fillValue;
    }
    results.push(point[1]);
  }
  if (options.queryAggregator === "average")
    return results.reduce((total, value) => total + value, 0) / results.length;
  return Math.max(...results);
}

/** The value of a Cluster Agent answer (an ExternalMetricValueList): items[0].value, a number or a quantity. */
export function clusterAgentValue(status: number, body: string, fillValue: number | undefined): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  if (status !== 200) {
    const message = (parsed as { message?: unknown } | undefined)?.message;
    if (status === 422 && fillValue !== undefined) return fillValue;
    if (typeof message === "string" && message !== "") {
      throw new Error(`error getting metric value (status ${status}): ${message}`);
    }
    throw new Error(`error getting metric value: unexpected status code ${status}`);
  }
  const value = (parsed as { items?: { value?: unknown }[] } | undefined)?.items?.[0]?.value;
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    const quantity = parseQuantity(value);
    if (quantity !== undefined) return quantity;
  }
  const shown =
    typeof value === "string"
      ? value
      : value === undefined
        ? "Null"
        : typeof value === "boolean"
          ? value
            ? "True"
            : "False"
          : "JSON";
  throw new Error(
    `the metric value must be of type number or a string representing a Quantity got: '${shown}'`,
  );
}

interface Values {
  apiKey?: string | undefined;
  appKey?: string | undefined;
  datadogSite: string;
  query?: string | undefined;
  queryAggregator?: string | undefined;
  age: number;
  timeWindowOffset: number;
  lastAvailablePointOffset: number;
  metricUnavailableValue?: number | undefined;
}

async function queryDatadog(
  client: HttpRequestClient,
  values: Values,
  env: Readonly<Record<string, string | undefined>>,
  signal: AbortSignal,
): Promise<number> {
  if (!SITES.includes(values.datadogSite)) {
    throw new Error(
      `The variable site in the server URL has invalid value ${values.datadogSite}. Must be [${SITES.join(" ")}]`,
    );
  }
  const base = env[DATADOG_API_URL_VARIABLE] || `https://api.${values.datadogSite}`;
  const to = Math.floor(Date.now() / 1000) - values.timeWindowOffset;
  const url = new URL(`${base.replace(/\/+$/, "")}/api/v1/query`);
  url.search = new URLSearchParams({
    from: String(to - values.age),
    to: String(to),
    query: values.query ?? "",
  }).toString();
  const headers = {
    "DD-API-KEY": values.apiKey ?? "",
    "DD-APPLICATION-KEY": values.appKey ?? "",
    Accept: "application/json",
  };
  const response = await client.send("GET", url, headers, undefined, signal);
  const statusText = `${response.status} ${STATUS_CODES[response.status] ?? ""}`.trim();
  const errors = ((): string => {
    try {
      const parsed = JSON.parse(response.body) as { errors?: unknown };
      return Array.isArray(parsed.errors) ? parsed.errors.map(String).join(", ") : "";
    } catch {
      return bodyExcerpt(response.body, 200);
    }
  })();
  if (response.status === 403) {
    throw new Error(
      `unauthorized to connect to Datadog. Check that your Datadog API and App keys are correct and that your App key has the correct permissions: ${statusText}${errors ? ` (${errors})` : ""}`,
    );
  }
  if (response.status === 429) {
    const header = (name: string) => String(response.headers?.[name] ?? "");
    throw new Error(
      `your Datadog account reached the ${header("x-ratelimit-limit")} queries per ${header("x-ratelimit-period")} seconds rate limit, next limit reset will happen in ${header("x-ratelimit-reset")} seconds`,
    );
  }
  if (response.status === 422 && values.metricUnavailableValue !== undefined)
    return values.metricUnavailableValue;
  if (response.status !== 200) {
    throw new Error(`error when retrieving Datadog metrics: ${statusText}${errors ? ` (${errors})` : ""}`);
  }
  let answer: { status?: string; error?: string; series?: { pointlist?: Point[] | null }[] | null };
  try {
    answer = JSON.parse(response.body) as typeof answer;
  } catch (error) {
    throw new Error(`error when retrieving Datadog metrics: ${(error as Error).message}`, { cause: error });
  }
  if (answer.status === "error") {
    throw new Error(`error when retrieving Datadog metrics${answer.error ? `: ${answer.error}` : ""}`);
  }
  return datadogSeriesValue(answer.series ?? [], {
    lastAvailablePointOffset: values.lastAvailablePointOffset,
    queryAggregator: values.queryAggregator,
    fillValue: values.metricUnavailableValue,
  });
}

export const datadogScaler: ScalerDefinition<typeof params> = {
  type: "datadog",
  kedaScalerName: "datadogScaler",
  description:
    "A Datadog metrics query (the last point, via the Datadog API) or a DatadogMetric read through the Datadog Cluster Agent.",
  testedAgainst:
    "fake-datadog (a loopback fake of the Datadog API's documented /api/v1/query and of the Cluster Agent's external metrics API)",
  example: {
    metadata: { query: "sum:trace.http.request.hits{service:web}.as_count()", queryValue: "100" },
    authParams: { apiKey: "api-key", appKey: "app-key" },
    metricName: "s0-datadog-sum-trace-http-request-hits",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    // KEDA's Validate, for both modes.
    if (values.age < 0) error("age", "age should not be smaller than 0 seconds");
    if (values.timeWindowOffset < 0)
      error("timeWindowOffset", "timeWindowOffset should not be smaller than 0 seconds");
    if (values.lastAvailablePointOffset < 0) {
      error("lastAvailablePointOffset", "lastAvailablePointOffset should not be smaller than 0");
    }
    if (values.query && !datadogQueryHasScope(values.query)) {
      error("query", "error in query: malformed Datadog query: missing query scope");
    }
    if (values.authMode) {
      if (values.authMode.trim() !== "bearer")
        error("authMode", `err incorrect value for authMode is given: ${values.authMode}`);
      else if (!values.token) error("token", "BearerToken is required");
    }
    if (values.timeout !== undefined && values.timeout < 0) error("timeout", "timeout cannot be negative");
    if (problems.length > 0) return problems;
    if (values.useClusterAgentProxy) {
      if (!values.datadogMetricsService)
        error("datadogMetricsService", "datadog metrics service is required");
      else if (!values.datadogMetricName) error("datadogMetricName", "datadog metric name is required");
      else if (!values.datadogNamespace) error("datadogNamespace", "datadog namespace is required");
      else if (!values.datadogMetricNamespace)
        error("datadogMetricNamespace", "datadog metric namespace is required");
    } else {
      if (!values.appKey) error("appKey", "error parsing Datadog metadata: missing AppKey");
      else if (!values.apiKey) error("apiKey", "error parsing Datadog metadata: missing APIKey");
    }
    if (problems.length > 0) return problems;
    if (values.targetValue === undefined && !context.asMetricSource) {
      error("targetValue", "no targetValue or queryValue given");
    } else if (values.type !== undefined) {
      if (context.metricType)
        error("type", "only one of trigger.metadata.type or trigger.metricType should be defined");
      else if (!["average", "global"].includes(values.type.toLowerCase()))
        error("type", "type has to be global or average");
    }
    if (problems.length === 0 && !values.useClusterAgentProxy) {
      if (!values.query) error("query", "error parsing Datadog metadata: missing Query");
      else if (!values.query.includes("{"))
        error("query", "error parsing Datadog metadata: Query must contain '{' character");
    }
    if (problems.length === 0 && values.type !== undefined) {
      problems.push({
        key: "type",
        message: "trigger.metadata.type is deprecated in favor of trigger.metricType",
        severity: "warning",
      });
    }
    return problems;
  },
  metric: (values) =>
    values.useClusterAgentProxy
      ? {
          name: `datadogmetric@${values.datadogMetricNamespace ?? ""}:${values.datadogMetricName ?? ""}`,
          verbatimName: true,
          target: values.targetValue ?? 0,
          activationTarget: values.activationTargetValue,
        }
      : {
          name: `datadog-${(values.query ?? "").slice(0, Math.max((values.query ?? "").indexOf("{"), 0))}`,
          target: values.targetValue ?? 0,
          activationTarget: values.activationQueryValue,
        },
  connect(values, context) {
    const timeoutMs = values.timeout && values.timeout > 0 ? values.timeout : undefined;
    if (values.useClusterAgentProxy) {
      const client = createHttpGetClient({ tls: { rejectUnauthorized: !values.unsafeSsl } });
      const metricName = `datadogmetric@${values.datadogMetricNamespace ?? ""}:${values.datadogMetricName ?? ""}`;
      const url = new URL(
        clusterAgentMetricUrl(
          values.datadogMetricsService ?? "",
          values.datadogNamespace ?? "",
          values.datadogMetricsServicePort,
          values.datadogMetricNamespace ?? "",
          metricName,
        ),
      );
      const headers = clusterAgentHeaders(values.authMode, values.token);
      return {
        ...(timeoutMs ? { timeoutMs } : {}),
        async measure(signal) {
          let value: number;
          try {
            const response = await client.send("GET", url, headers, undefined, signal);
            value = clusterAgentValue(response.status, response.body, values.metricUnavailableValue);
          } catch (error) {
            if (signal.aborted) throw error;
            throw new Error(`error getting metric value: ${(error as Error).message}`, { cause: error });
          }
          return { value, active: value > values.activationTargetValue };
        },
        close: async () => client.close(),
      };
    }
    const client = createHttpGetClient({ tls: {} });
    const env = context.processEnvironment ?? {};
    return {
      ...(timeoutMs ? { timeoutMs } : {}),
      async measure(signal) {
        let value: number;
        try {
          value = await queryDatadog(client, values, env, signal);
        } catch (error) {
          if (signal.aborted) throw error;
          throw new Error(`error getting metrics from Datadog: ${(error as Error).message}`, {
            cause: error,
          });
        }
        return { value, active: value > values.activationQueryValue };
      },
      close: async () => client.close(),
    };
  },
};
