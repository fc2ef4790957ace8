import { setTimeout as sleep } from "node:timers/promises";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import type { HttpClient, HttpResponse } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

const params = {
  host: param.string({
    sources: ["metadata", "auth"],
    description: "the Dynatrace environment's URL, e.g. https://abc12345.live.dynatrace.com",
  }),
  token: param.string({
    sources: ["auth"],
    secret: true,
    description: "API token (metricSelector) or platform token (query)",
  }),
  metricSelector: param.string({
    optional: true,
    description: "metric selector of the Metrics API v2; the first value of the first series is the metric",
  }),
  query: param.string({
    optional: true,
    description: "DQL query (Grail); field r of the first record is the metric. Not with metricSelector",
  }),
  queryTimeoutSeconds: param.int({ default: 10, description: "fetchTimeoutSeconds sent with the DQL query" }),
  queryPollingWait: param.duration({ default: 1000, description: "wait between polls for the DQL result" }),
  queryPollingTries: param.int({ default: 5, description: "polls for the DQL result before giving up" }),
  from: param.string({
    optional: true,
    description: "start of the metricSelector's timeframe (default now-2h); not with query",
  }),
  threshold: param.float({ description: "target value per replica" }),
  activationThreshold: param.float({ default: 0, description: "active when the value is greater than this" }),
};

interface Values {
  host: string;
  token: string;
  metricSelector?: string | undefined;
  query?: string | undefined;
  queryTimeoutSeconds: number;
  queryPollingWait: number;
  queryPollingTries: number;
  from?: string | undefined;
}

const METRICS_API = "api/v2/metrics/query";
const DQL_API = "platform/storage/query/v1/query";

function base(host: string): string {
  return host.replace(/\/+$/, "");
}

/** KEDA's error for an answer other than the one expected: `<path>: api returned <status>`. */
function statusError(url: URL, response: HttpResponse): Error {
  const hint = response.status === 401 || response.status === 403 ? " (check the token and its scopes)" : "";
  const excerpt = bodyExcerpt(response.body, 200);
  return new Error(`${url.pathname}: api returned ${response.status}${hint}${excerpt ? `: ${excerpt}` : ""}`);
}

function parse<T>(body: string, what: string): T {
  try {
    return JSON.parse(body) as T;
  } catch (error) {
    throw new Error(`${what}: ${(error as Error).message}`, { cause: error });
  }
}

/** The metric selector's value: the first value of the first series of the first result (null reads as 0). */
export async function metricSelectorValue(
  client: HttpClient,
  values: Values,
  signal: AbortSignal,
): Promise<number> {
  const url = new URL(`${base(values.host)}/${METRICS_API}`);
  // Go's Values.Encode: keys sorted.
  url.search = new URLSearchParams([
    ["from", values.from ?? "now-2h"],
    ["metricSelector", values.metricSelector ?? ""],
  ]).toString();
  const response = await client.get(url, { Authorization: `Api-Token ${values.token}` }, signal);
  if (response.status !== 200) throw statusError(url, response);
  const answer = parse<{ result?: { data?: { values?: (number | null)[] }[] }[] } | null>(
    response.body,
    "unable to parse Dynatrace Metric Data Points API response",
  );
  const result = answer?.result;
  if (!result || result.length === 0) throw new Error("dynatrace response does not contain any results");
  const data = result[0]?.data;
  if (!data || data.length === 0) throw new Error("dynatrace response does not contain any metric series");
  const points = data[0]?.values;
  if (!points || points.length === 0) {
    throw new Error("dynatrace response does not contain any values for the metric series");
  }
  return points[0] ?? 0;
}

const STARTED = new Set(["RUNNING", "SUCCEEDED", "NOT_STARTED"]);
const PENDING = new Set(["RUNNING", "NOT_STARTED"]);
const FAILED: Readonly<Record<string, string>> = {
  FAILED: "error executing DQL query: query failed",
  CANCELLED: "error executing DQL query: query was cancelled",
  RESULT_GONE: "error executing DQL query: result expired (RESULT_GONE)",
};

/** The DQL query's value: execute, then poll up to queryPollingTries times for field r of the first record. */
export async function dqlValue(client: HttpClient, values: Values, signal: AbortSignal): Promise<number> {
  const headers = { Authorization: `Bearer ${values.token}` };
  const execute = new URL(`${base(values.host)}/${DQL_API}:execute`);
  const body = JSON.stringify({ query: values.query ?? "", fetchTimeoutSeconds: values.queryTimeoutSeconds });
  const started = await client.post(
    execute,
    { ...headers, "Content-Type": "application/json" },
    body,
    signal,
  );
  if (started.status !== 202) throw statusError(execute, started);
  const start = parse<{ state?: string; requestToken?: string } | null>(
    started.body,
    "error starting DQL query",
  );
  if (!STARTED.has(start?.state ?? "")) {
    throw new Error(`error starting DQL query: unknown state ${start?.state ?? ""}`);
  }
  const poll = new URL(`${base(values.host)}/${DQL_API}:poll`);
  poll.search = `request-token=${encodeURIComponent(start?.requestToken ?? "").replace(/%20/g, "+")}`;
  for (let attempt = 0; attempt < values.queryPollingTries; attempt += 1) {
    if (attempt > 0) await sleep(values.queryPollingWait, undefined, { signal });
    const response = await client.get(poll, headers, signal);
    if (response.status !== 200) throw statusError(poll, response);
    const answer = parse<{ state?: string; result?: { records?: { r?: number | null }[] } } | null>(
      response.body,
      "error parsing DQL response",
    );
    const state = answer?.state ?? "";
    if (PENDING.has(state)) continue;
    if (state === "SUCCEEDED") {
      const records = answer?.result?.records ?? [];
      if (records.length === 0) throw new Error("error executing DQL query: empty result");
      return records[0]?.r ?? 0;
    }
    throw new Error(FAILED[state] ?? `error executing DQL query: unknown state: ${state}`);
  }
  throw new Error(`DQL query did not complete within ${values.queryPollingTries} attempts`);
}

export const dynatraceScaler: ScalerDefinition<typeof params> = {
  type: "dynatrace",
  kedaScalerName: "dynatraceScaler",
  description:
    "A Dynatrace metric: the first value of a Metrics API v2 metric selector, or field r of a DQL query's first record.",
  testedAgainst:
    "fake-dynatrace (a loopback fake of Dynatrace's documented Metrics API v2 and Grail query API: query:execute and query:poll)",
  example: {
    metadata: {
      host: "https://abc12345.live.dynatrace.com",
      metricSelector: "builtin:service.requestCount.total:splitBy():fold",
      threshold: "100",
    },
    authParams: { token: "dt0c01.token" },
    metricName: "s0-dynatrace",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    if (!values.query && !values.metricSelector)
      error("metricSelector", "either 'metricSelector' or 'query' must be provided");
    if (values.query && values.metricSelector) {
      error("query", "'metricSelector' and 'query' are mutually exclusive; only one can be provided");
    }
    if (values.query && values.from) {
      error("from", "'from' can't be used with query, set time range in the DQL query itself");
    }
    if (!isHttpUrl(`${base(values.host)}/${METRICS_API}`)) {
      error("host", `host "${values.host}" is not a URL such as https://abc12345.live.dynatrace.com`);
    }
    return problems;
  },
  metric: (values) => ({
    name: "dynatrace",
    target: values.threshold,
    activationTarget: values.activationThreshold,
  }),
  connect(values, context) {
    const client = createHttpGetClient({ tls: {} });
    // KEDA's timeout applies to each request; a DQL read makes up to 1 + queryPollingTries of them.
    const dqlTimeoutMs =
      context.timeoutMs * (1 + values.queryPollingTries) +
      values.queryPollingWait * Math.max(values.queryPollingTries - 1, 0);
    return {
      ...(values.query ? { timeoutMs: dqlTimeoutMs } : {}),
      async measure(signal) {
        const value = values.metricSelector
          ? await metricSelectorValue(client, values, signal)
          : await dqlValue(client, values, signal);
        return { value, active: value > values.activationThreshold };
      },
      close: async () => client.close(),
    };
  },
};
