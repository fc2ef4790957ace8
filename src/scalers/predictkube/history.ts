/**
 * What the predictkube trigger reads from Prometheus: the history, with `query_range` over
 * `historyTimeWindow` at `queryStep` ending now (KEDA's request), and between refits the current
 * value, with an instant query.
 */
import { goQueryEscape } from "../metric-name.ts";
import { parsePrometheusFloat } from "../prometheus/query.ts";
import type { HttpResponse } from "../shared/http-get.ts";

/** Go's strconv.FormatFloat(seconds, 'f', -1, 64), as client_golang writes times and steps. */
function seconds(milliseconds: number): string {
  return String(milliseconds / 1000);
}

function withQuery(base: string, path: string, parts: string[], extra: Record<string, string>): URL {
  for (const [name, value] of Object.entries(extra))
    parts.push(`${goQueryEscape(name)}=${goQueryEscape(value)}`);
  return new URL(`${base.replace(/\/+$/, "")}${path}?${parts.join("&")}`);
}

/** `/api/v1/query_range` from now − window to now at `step`, as KEDA's scaler asks it. */
export function rangeUrl(
  address: string,
  query: string,
  range: { start: number; end: number; stepMs: number },
  extra: Record<string, string>,
): URL {
  return withQuery(
    address,
    "/api/v1/query_range",
    [
      `query=${goQueryEscape(query)}`,
      `start=${seconds(range.start)}`,
      `end=${seconds(range.end)}`,
      `step=${seconds(range.stepMs)}`,
    ],
    extra,
  );
}

/** `/api/v1/query` at `now`. */
export function instantUrl(address: string, query: string, now: number, extra: Record<string, string>): URL {
  return withQuery(
    address,
    "/api/v1/query",
    [`query=${goQueryEscape(query)}`, `time=${seconds(now)}`],
    extra,
  );
}

interface ApiResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

function parse(response: HttpResponse, what: string): NonNullable<ApiResponse["data"]> {
  let parsed: ApiResponse | undefined;
  try {
    const value: unknown = JSON.parse(response.body);
    parsed = typeof value === "object" && value !== null ? (value as ApiResponse) : undefined;
  } catch {
    parsed = undefined;
  }
  if (response.status < 200 || response.status > 299) {
    const detail = parsed?.error
      ? `${parsed.errorType ?? "error"}: ${parsed.error}`
      : response.body.trim().slice(0, 200);
    throw new Error(`prometheus ${what} api returned HTTP ${response.status}${detail ? `: ${detail}` : ""}`);
  }
  if (parsed === undefined) {
    throw new Error(
      `prometheus answered with something that is not JSON: ${response.body.trim().slice(0, 100)}`,
    );
  }
  return parsed.data ?? {};
}

function oneSeries<T>(result: unknown, query: string): T | undefined {
  if (!Array.isArray(result) || result.length === 0) return undefined;
  if (result.length > 1) {
    throw new Error(
      `prometheus query ${query} returned ${result.length} series; predictkube needs one (aggregate it, e.g. with sum)`,
    );
  }
  return result[0] as T;
}

/** Points of a `query_range` answer (one series); NaN and infinite values are left out as gaps. */
export function rangePoints(response: HttpResponse, query: string): { t: number; value: number }[] {
  const data = parse(response, "query_range");
  if (data.resultType !== undefined && data.resultType !== "matrix") {
    throw new Error(
      `prometheus query_range for ${query} answered a ${data.resultType}, not a range of samples`,
    );
  }
  const series = oneSeries<{ values?: unknown }>(data.result, query);
  const points: { t: number; value: number }[] = [];
  for (const sample of Array.isArray(series?.values) ? series.values : []) {
    if (!Array.isArray(sample) || typeof sample[0] !== "number" || typeof sample[1] !== "string") continue;
    const value = parsePrometheusFloat(sample[1]);
    if (value !== undefined && Number.isFinite(value)) points.push({ t: sample[0] * 1000, value });
  }
  if (points.length === 0) {
    throw new Error(
      `prometheus query ${query} returned no history over the historyTimeWindow; predictkube needs the metric's past values`,
    );
  }
  return points;
}

/** The value of an instant query's answer (one series or a scalar); an error when there is none. */
export function instantValue(response: HttpResponse, query: string): number {
  const data = parse(response, "query");
  let sample: unknown;
  if (data.resultType === "scalar" || data.resultType === "string") sample = data.result;
  else sample = oneSeries<{ value?: unknown }>(data.result, query)?.value;
  const text = Array.isArray(sample) ? sample[1] : undefined;
  const value = typeof text === "string" ? parsePrometheusFloat(text) : undefined;
  if (value === undefined || !Number.isFinite(value)) {
    throw new Error(`prometheus query ${query} returned no current value; predictkube needs the metric now`);
  }
  return value;
}
