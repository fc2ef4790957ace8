import { goQueryEscape } from "../metric-name.ts";
import type { HttpResponse } from "../shared/http-get.ts";

/** What building and reading a Prometheus instant query needs from the trigger. */
export interface PrometheusQuery {
  serverAddress: string;
  query: string;
  namespace?: string | undefined;
  queryParameters?: Record<string, string> | undefined;
  ignoreNullValues: boolean;
}

/** Go's time.RFC3339 in UTC: no fractional seconds. */
function rfc3339(nowMs: number): string {
  return new Date(nowMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * KEDA's request: `<serverAddress>/api/v1/query?query=…&time=<now>`, then `namespace` (Thanos
 * tenancy), the extra `queryParameters` and (apiKey auth by query) the key.
 */
export function prometheusQueryUrl(
  params: PrometheusQuery,
  extraQuery: Record<string, string>,
  nowMs: number,
): URL {
  const parts = [`query=${goQueryEscape(params.query)}`, `time=${rfc3339(nowMs)}`];
  if (params.namespace) parts.push(`namespace=${goQueryEscape(params.namespace)}`);
  for (const [name, value] of Object.entries({ ...params.queryParameters, ...extraQuery })) {
    parts.push(`${goQueryEscape(name)}=${goQueryEscape(value)}`);
  }
  return new URL(`${params.serverAddress}/api/v1/query?${parts.join("&")}`);
}

interface QueryResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** Go's strconv.ParseFloat for the strings Prometheus sends ("NaN", "+Inf", "-Inf", decimals). */
export function parsePrometheusFloat(text: string): number | undefined {
  if (/^[+-]?inf(inity)?$/i.test(text)) return text.startsWith("-") ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

function parseBody(body: string): QueryResponse | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === "object" && parsed !== null ? (parsed as QueryResponse) : undefined;
  } catch {
    return undefined;
  }
}

/** The sample `[timestamp, "value"]` of an instant query, or undefined when there is none. */
function sampleOf(data: NonNullable<QueryResponse["data"]>, query: string): unknown[] | undefined {
  const result = data.result;
  if (!Array.isArray(result)) return undefined;
  // scalar() and string results are one bare sample; KEDA reads only vectors, Tidal takes both.
  if (data.resultType === "scalar" || data.resultType === "string") return result;
  if (result.length === 0) return undefined;
  if (result.length > 1) {
    throw new Error(
      `prometheus query ${query} returned ${result.length} series; it must return one (aggregate it, e.g. with sum)`,
    );
  }
  const series = result[0] as { value?: unknown } | undefined;
  return Array.isArray(series?.value) ? series.value : undefined;
}

/**
 * The value of the response to an instant query, with KEDA's rules: an empty result, an empty
 * value or NaN/±Inf is 0 when ignoreNullValues (the default), else an error; more than one series
 * is an error.
 */
export function prometheusQueryValue(response: HttpResponse, params: PrometheusQuery): number {
  const parsed = parseBody(response.body);
  if (response.status < 200 || response.status > 299) {
    const detail = parsed?.error
      ? `${parsed.errorType ?? "error"}: ${parsed.error}`
      : response.body.trim().slice(0, 200);
    throw new Error(`prometheus query api returned HTTP ${response.status}${detail ? `: ${detail}` : ""}`);
  }
  if (parsed === undefined) {
    throw new Error(
      `prometheus answered with something that is not JSON: ${response.body.trim().slice(0, 100)}`,
    );
  }
  const sample = sampleOf(parsed.data ?? {}, params.query);
  if (sample === undefined || sample.length === 0) {
    if (params.ignoreNullValues) return 0;
    throw new Error(
      `prometheus query ${params.query} returned no value (set ignoreNullValues to read this as 0)`,
    );
  }
  const text = sample[1];
  if (typeof text !== "string") throw new Error(`prometheus query ${params.query} did not return a value`);
  const value = parsePrometheusFloat(text);
  if (value === undefined)
    throw new Error(`prometheus query ${params.query} returned "${text}", which is not a number`);
  if (Number.isFinite(value)) return value;
  if (params.ignoreNullValues) return 0;
  throw new Error(
    `prometheus query ${params.query} returned ${text} (set ignoreNullValues to read this as 0)`,
  );
}
