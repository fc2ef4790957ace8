import { setTimeout as sleep } from "node:timers/promises";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { basicAuthorization } from "../shared/go-url.ts";
import type { HttpRequestClient } from "../shared/http-get.ts";

/**
 * KEDA's Sumo Logic client (pkg/scalers/sumologic): the Search Job API for logs queries and the
 * Metrics Query API for metrics, with Basic credentials (access ID and key), the cookies Sumo
 * Logic's search jobs need, and KEDA's retries: an answer of 400 or more is tried again after 1 s,
 * 2 s, 4 s… up to maxRetries times.
 */

export type Aggregator = "Latest" | "Avg" | "Sum" | "Count" | "Min" | "Max";

export interface SumoQuery {
  type: "logs" | "metrics";
  query?: string | undefined;
  /** Metrics rows by row ID (query.<rowId>). */
  queries: Record<string, string>;
  resultQueryRowId?: string | undefined;
  quantizationMs: number;
  rollup: string;
  resultField?: string | undefined;
  timerangeMs: number;
  timezone: string;
  aggregator: Aggregator;
}

export interface SumoConfig {
  host: string;
  accessId: string;
  accessKey: string;
  logsPollingIntervalMs: number;
  maxRetries: number;
  /** Wait before a retry; KEDA's is 1 s, doubled each time (tests shorten it). */
  backoffMs?: number;
}

const SEARCH_JOBS = "api/v1/search/jobs";
const METRICS_QUERIES = "api/v1/metricsQueries";
const DONE = "DONE GATHERING RESULTS";
const FAILED_STATES = new Set(["CANCELLED", "FORCE PAUSED"]);

/** `time` as Go's time.RFC3339 prints it in the IANA zone `zone` (`Z` for UTC). */
export function rfc3339InZone(time: Date, zone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(time)
      .map((part) => [part.type, part.value]),
  ) as Record<string, string>;
  const local = Date.UTC(
    Number(parts.year),
    Number(parts.month) - 1,
    Number(parts.day),
    Number(parts.hour),
    Number(parts.minute),
    Number(parts.second),
  );
  const offsetMinutes = Math.round((local - Math.floor(time.getTime() / 1000) * 1000) / 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const absolute = Math.abs(offsetMinutes);
  const offset =
    offsetMinutes === 0
      ? "Z"
      : `${sign}${String(Math.floor(absolute / 60)).padStart(2, "0")}:${String(absolute % 60).padStart(2, "0")}`;
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:${parts.second}${offset}`;
}

/** Whether Go's time.LoadLocation knows `zone` (an IANA name, UTC or Local). */
export function knownTimezone(zone: string): boolean {
  if (zone === "" || zone === "UTC" || zone === "Local") return true;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** KEDA's metricsStats: one number from the values by the aggregator. */
export function aggregate(values: readonly number[], aggregator: string): number {
  if (values.length === 0) throw new Error("error computing metric stats: no values provided");
  switch (aggregator) {
    case "Latest":
      return values[values.length - 1] as number;
    case "Sum":
      return values.reduce((total, value) => total + value, 0);
    case "Count":
      return values.length;
    case "Avg":
      return values.reduce((total, value) => total + value, 0) / values.length;
    case "Min":
      return Math.min(...values);
    case "Max":
      return Math.max(...values);
    default:
      throw new Error(
        `error computing metric stats: invalid aggregation '${aggregator}', supported values: Latest, Avg, Sum, Count, Min, Max`,
      );
  }
}

interface MetricsAnswer {
  queryResult?: {
    rowId?: string;
    timeSeriesList?: { timeSeries?: { points?: { timestamps?: number[]; values?: number[] } }[] };
  }[];
  errors?: { id?: string; errors?: { code?: string; message?: string }[] } | null;
}

export class SumoClient {
  readonly #http: HttpRequestClient;
  readonly #config: SumoConfig;
  readonly #authorization: string;
  /** The cookies Sumo Logic set (name → value), sent back as a browser would. */
  readonly #cookies = new Map<string, string>();

  constructor(http: HttpRequestClient, config: SumoConfig) {
    this.#http = http;
    this.#config = config;
    this.#authorization = basicAuthorization(config.accessId, config.accessKey);
  }

  async value(query: SumoQuery, signal: AbortSignal, now = new Date()): Promise<number> {
    const to = rfc3339InZone(now, query.timezone === "Local" ? "UTC" : query.timezone);
    const from = rfc3339InZone(
      new Date(now.getTime() - query.timerangeMs),
      query.timezone === "Local" ? "UTC" : query.timezone,
    );
    if (query.type === "logs") return this.#logs(query, from, to, signal);
    return this.#metrics(query, from, to, signal);
  }

  async #request(
    method: "GET" | "POST" | "DELETE",
    path: string,
    payload: unknown,
    signal: AbortSignal,
  ): Promise<string> {
    const url = new URL(`${this.#config.host}/${path}`);
    let backoff = this.#config.backoffMs ?? 1000;
    let lastStatus = 0;
    let lastBody = "";
    for (let attempt = 1; attempt <= this.#config.maxRetries; attempt += 1) {
      const headers: Record<string, string> = {
        Authorization: this.#authorization,
        Accept: "application/json",
      };
      if (payload !== undefined) headers["Content-Type"] = "application/json";
      if (this.#cookies.size > 0) {
        headers.Cookie = [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
      }
      const response = await this.#http.send(
        method,
        url,
        headers,
        payload === undefined ? undefined : JSON.stringify(payload),
        signal,
      );
      for (const cookie of response.headers?.["set-cookie"] ?? []) {
        const [pair = ""] = cookie.split(";");
        const equals = pair.indexOf("=");
        if (equals > 0) this.#cookies.set(pair.slice(0, equals).trim(), pair.slice(equals + 1).trim());
      }
      if (response.status < 400) return response.body;
      lastStatus = response.status;
      lastBody = response.body;
      await sleep(backoff, undefined, { signal });
      backoff *= 2;
    }
    const hint = lastStatus === 401 ? " (check accessID and accessKey)" : "";
    const excerpt = bodyExcerpt(lastBody, 200);
    throw new Error(
      `request failed after ${this.#config.maxRetries} attempts with status ${lastStatus}${hint}: ${method} ${url.toString()}${excerpt ? `: ${excerpt}` : ""}`,
    );
  }

  async #json<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    payload: unknown,
    signal: AbortSignal,
  ): Promise<T> {
    const body = await this.#request(method, path, payload, signal);
    try {
      return JSON.parse(body) as T;
    } catch (error) {
      throw new Error(
        `Sumo Logic answered ${method} ${path} with something that is not JSON: ${bodyExcerpt(body, 120)}`,
        {
          cause: error,
        },
      );
    }
  }

  async #logs(query: SumoQuery, from: string, to: string, signal: AbortSignal): Promise<number> {
    const job = await this.#json<{ id?: string }>(
      "POST",
      SEARCH_JOBS,
      { query: query.query ?? "", from, to, timeZone: query.timezone },
      signal,
    );
    const id = job.id ?? "";
    let status: { state?: string; recordCount?: number; messageCount?: number };
    for (;;) {
      status = await this.#json("GET", `${SEARCH_JOBS}/${id}`, undefined, signal);
      if (status.state === DONE) break;
      if (FAILED_STATES.has(status.state ?? "")) throw new Error(`search job failed, state: ${status.state}`);
      await sleep(this.#config.logsPollingIntervalMs, undefined, { signal });
    }
    const recordCount = status.recordCount ?? 0;
    if ((status.messageCount ?? 0) > 0 && recordCount === 0) {
      throw new Error("only agg queries are supported, please check your query");
    }
    if (recordCount === 0) return 0;
    const values: number[] = [];
    const field = query.resultField ?? "";
    let limit = 10_000;
    for (let offset = 0; offset < recordCount; offset += limit) {
      limit = Math.min(limit, recordCount - offset);
      const page = await this.#json<{ records?: { map?: Record<string, string> }[] }>(
        "GET",
        `${SEARCH_JOBS}/${id}/records?offset=${offset}&limit=${limit}`,
        undefined,
        signal,
      );
      const records = page.records ?? [];
      if (records.length === 0) break;
      for (const record of records) {
        const raw = record.map?.[field];
        if (raw === undefined) continue;
        const value = Number(raw);
        if (raw.trim() === "" || Number.isNaN(value)) {
          throw new Error(`failed to parse resultField: ${field} value "${raw}" is not a number`);
        }
        values.push(value);
      }
    }
    await this.#request("DELETE", `${SEARCH_JOBS}/${id}`, undefined, signal);
    return aggregate(values, query.aggregator);
  }

  async #metrics(query: SumoQuery, from: string, to: string, signal: AbortSignal): Promise<number> {
    const rows = query.query ? { A: query.query } : query.queries;
    const answer = await this.#json<MetricsAnswer | null>(
      "POST",
      METRICS_QUERIES,
      {
        queries: Object.entries(rows).map(([rowId, text]) => ({
          rowId,
          query: text,
          quantization: query.quantizationMs,
          rollup: query.rollup,
        })),
        timeRange: {
          type: "BeginBoundedTimeRange",
          from: { type: "Iso8601TimeRangeBoundary", iso8601Time: from },
          to: { type: "Iso8601TimeRangeBoundary", iso8601Time: to },
        },
      },
      signal,
    ).catch((error: unknown) => {
      throw new Error(`error executing metrics query: ${(error as Error).message}`, { cause: error });
    });
    const errors = answer?.errors?.errors ?? [];
    if (errors.length > 0) {
      const listed = errors.map((entry) => `{${entry.code ?? ""} ${entry.message ?? ""}}`).join(" ");
      throw new Error(`error parsing metrics query response: query execution failed with errors [${listed}]`);
    }
    const results = answer?.queryResult ?? [];
    if (results.length === 0) throw new Error("metrics query response is empty");
    const selected = query.query
      ? results[0]
      : results.find((result) => result.rowId === query.resultQueryRowId);
    if (!selected || (!query.query && !selected.rowId)) {
      throw new Error(
        `no query result with matching resultQueryRowID ${query.resultQueryRowId ?? ""} found in metrics query response`,
      );
    }
    const series = selected.timeSeriesList?.timeSeries ?? [];
    if (series.length === 0) throw new Error("no time series data found in metrics query response");
    if (series.length > 1) {
      throw new Error("multiple time series results found, only single time series queries are supported");
    }
    const points = series[0]?.points;
    if (!points?.timestamps?.length || !points.values?.length) {
      throw new Error("metrics query returned empty timestamps or values");
    }
    return aggregate(points.values, query.aggregator);
  }
}
