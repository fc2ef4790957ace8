import { goQueryEscape } from "../metric-name.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { basicAuthorization } from "../shared/go-url.ts";
import { httpAuthParams, httpAuthProblems, type HttpAuthParams } from "../shared/http-auth.ts";
import type { HttpResponse } from "../shared/http-get.ts";
import { createHttpGetClient } from "../shared/http-get.ts";
import { parseGoFloat } from "../../util/go/parse.ts";
import type { ScalerDefinition } from "../types.ts";

const params = {
  serverAddress: param.string({ description: "Loki base URL, e.g. http://loki:3100" }),
  query: param.string({ description: "LogQL metric query returning one sample" }),
  threshold: param.float({ description: "target value per replica" }),
  activationThreshold: param.float({ default: 0, description: "active when the value is greater than this" }),
  tenantName: param.string({ optional: true, description: "tenant sent as X-Scope-OrgID" }),
  ignoreNullValues: param.bool({
    default: true,
    description: "read an empty result as 0 instead of failing",
  }),
  unsafeSsl: param.bool({ default: false, description: "skip verification of the server certificate" }),
  ...httpAuthParams,
};

const LOKI_QUERY_PATH = "/loki/api/v1/query";

/**
 * The instant-query URL of a server address, as KEDA builds it: the address parsed as a request URI
 * (Go's rules), the path completed to `/loki/api/v1/query` unless it already ends with it (or a
 * leading part of it), and the query as the only query parameter.
 */
export function lokiQueryUrl(serverAddress: string, query: string): URL {
  const url = lokiServerUrl(serverAddress);
  url.search = `query=${goQueryEscape(query)}`;
  return url;
}

/** KEDA's getServerAddress: the URL whose path is Loki's query endpoint. Throws for an address Go rejects. */
export function lokiServerUrl(serverAddress: string): URL {
  // Go's url.ParseRequestURI: an absolute URI with a scheme (or an absolute path, which has no host).
  const parsed = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(serverAddress) ? URL.parse(serverAddress) : null;
  if (parsed === null) throw new Error(`parse "${serverAddress}": invalid URI for request`);
  let path = parsed.pathname.replace(/\/+$/, "");
  if (!path.endsWith(LOKI_QUERY_PATH)) {
    path = LOKI_QUERY_PATH.startsWith(`${path}/`)
      ? `${path}${LOKI_QUERY_PATH.slice(path.length)}`
      : `${path}${LOKI_QUERY_PATH}`;
  }
  parsed.pathname = path;
  parsed.search = "";
  parsed.hash = "";
  return parsed;
}

/** The headers of KEDA's Loki request: one authorization method (bearer, basic or custom) and the tenant. */
export function lokiHeaders(values: HttpAuthParams & { tenantName?: string | undefined }) {
  const headers: Record<string, string> = {};
  const modes = new Set(values.authModes ?? []);
  if (modes.has("bearer")) headers.Authorization = `Bearer ${values.bearerToken ?? ""}`;
  else if (modes.has("basic"))
    headers.Authorization = basicAuthorization(values.username ?? "", values.password ?? "");
  else if (modes.has("custom") && values.customAuthHeader)
    headers[values.customAuthHeader] = values.customAuthValue ?? "";
  if (values.tenantName) headers["X-Scope-OrgID"] = values.tenantName;
  return headers;
}

/** What JSON type a decoded value has, in Go's words (for decoding errors). */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  return typeof value === "object" ? "object" : typeof value;
}

function expectShape(value: unknown, wanted: "array" | "object", field: string): void {
  if (value === undefined || value === null) return;
  const kind = jsonKind(value);
  if (kind !== wanted) {
    throw new Error(`json: cannot unmarshal ${kind} into Go struct field ${field} of type ${wanted}`);
  }
}

/**
 * The value of an instant query's answer by KEDA's rules: any status outside 2xx is an error; no
 * result (or an empty value) is 0 with ignoreNullValues, else an error; more than one result is an
 * error; the sample's second element is the value (null is 0, a string is parsed as a float).
 */
export function lokiQueryValue(
  response: HttpResponse,
  values: { query: string; ignoreNullValues: boolean },
): number {
  if (response.status < 200 || response.status > 299) {
    throw new Error(`loki query api returned error. status: ${response.status}`);
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(response.body);
  } catch (error) {
    throw new Error(`loki answered with something that is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  expectShape(decoded, "object", "lokiQueryResult");
  const data = (decoded as { data?: unknown } | null)?.data;
  expectShape(data, "object", "lokiQueryResult.data");
  const result = (data as { result?: unknown } | null | undefined)?.result;
  expectShape(result, "array", "lokiQueryResult.data.result");
  const samples = (result ?? []) as unknown[];
  // Go decodes every element into a struct first: a scalar answer ([time, "value"]) fails here.
  for (const sample of samples) expectShape(sample, "object", "lokiQueryResult.data.result");
  if (samples.length === 0) {
    if (values.ignoreNullValues) return 0;
    throw new Error("loki metrics may be lost, the result is empty");
  }
  if (samples.length > 1) throw new Error(`loki query ${values.query} returned multiple elements`);
  const value = (samples[0] as { value?: unknown } | null)?.value;
  expectShape(value, "array", "lokiQueryResult.data.result.value");
  const pair = (value ?? []) as unknown[];
  if (pair.length === 0) {
    if (values.ignoreNullValues) return 0;
    throw new Error("loki metrics may be lost, the value list is empty");
  }
  if (pair.length < 2) throw new Error(`loki query ${values.query} didn't return enough values`);
  const sample = pair[1];
  if (sample === null) return 0;
  if (typeof sample !== "string") throw new Error("failed to parse loki value as string");
  const parsed = parseGoFloat(sample);
  if (parsed === undefined) {
    throw new Error(
      `error converting loki value ${sample}: strconv.ParseFloat: parsing "${sample}": invalid syntax`,
    );
  }
  return parsed;
}

export const lokiScaler: ScalerDefinition<typeof params> = {
  type: "loki",
  kedaScalerName: "lokiScaler",
  description: "Value of a Loki (LogQL) instant metric query.",
  testedAgainst: "fake-loki (a loopback fake of Loki's documented query API; Loki is AGPL)",
  example: {
    metadata: {
      serverAddress: "http://loki:3100",
      query: 'sum(count_over_time({app="worker"} |= "error" [1m]))',
      threshold: "10",
    },
    metricName: "s0-loki",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [...httpAuthProblems(values)];
    try {
      lokiServerUrl(values.serverAddress);
    } catch {
      problems.push({
        key: "serverAddress",
        message: `serverAddress "${values.serverAddress}" is not a URL such as http://loki:3100`,
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: "loki",
    target: values.threshold,
    activationTarget: values.activationThreshold,
  }),
  connect(values) {
    const client = createHttpGetClient({ tls: { rejectUnauthorized: !values.unsafeSsl } });
    const url = lokiQueryUrl(values.serverAddress, values.query);
    const headers = lokiHeaders(values);
    return {
      async measure(signal) {
        const value = lokiQueryValue(await client.get(url, headers, signal), values);
        return { value, active: value > values.activationThreshold };
      },
      close: async () => client.close(),
    };
  },
};
