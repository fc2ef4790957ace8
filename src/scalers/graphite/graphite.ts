import { goQueryEscape } from "../metric-name.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { basicAuthorization } from "../shared/go-url.ts";
import type { HttpResponse } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

const params = {
  serverAddress: param.string({
    description: "graphite-web (render API) base URL, e.g. http://graphite:8080",
  }),
  query: param.string({ description: "render target returning one series, e.g. sumSeries(stats.jobs.*)" }),
  threshold: param.float({ default: 100, description: "target value per replica" }),
  activationThreshold: param.float({ default: 0, description: "active when the value is greater than this" }),
  queryTime: param.string({ description: "how far back to read (render API `from`), e.g. -30Seconds" }),
  authMode: param.enum(["basic"], { optional: true, description: "basic to send username and password" }),
  username: param.string({ sources: ["auth"], optional: true, description: "user for basic authentication" }),
  password: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "password for basic authentication",
  }),
};

/** KEDA's request: `<serverAddress>/render?from=<queryTime>&target=<query>&format=json`. */
export function graphiteUrl(serverAddress: string, query: string, queryTime: string): string {
  return `${serverAddress}/render?from=${queryTime}&target=${goQueryEscape(query)}&format=json`;
}

/**
 * The value of a render answer, by KEDA's rules: no series or no datapoints is 0, more than one
 * series is an error, else the most recent datapoint that is not null (all null is an error).
 */
export function graphiteValue(response: HttpResponse, query: string): number {
  let series: unknown;
  try {
    series = JSON.parse(response.body);
  } catch {
    const excerpt = bodyExcerpt(response.body, 120);
    throw new Error(
      response.status === 200
        ? `graphite answered with something that is not JSON: ${excerpt}`
        : `graphite answered HTTP ${response.status}${excerpt ? `: ${excerpt}` : ""}`,
    );
  }
  if (series === null) return 0;
  if (!Array.isArray(series)) {
    throw new Error(
      response.status === 200
        ? "graphite answered with JSON that is not a list of series"
        : `graphite answered HTTP ${response.status}: ${bodyExcerpt(response.body, 120)}`,
    );
  }
  if (series.length === 0) return 0;
  if (series.length > 1) throw new Error(`graphite query ${query} returned multiple series`);
  const datapoints = (series[0] as { datapoints?: unknown } | null)?.datapoints;
  if (datapoints === undefined || datapoints === null) return 0;
  if (!Array.isArray(datapoints))
    throw new Error(`graphite query ${query} returned datapoints that are not a list`);
  if (datapoints.length === 0) return 0;
  for (let index = datapoints.length - 1; index >= 0; index -= 1) {
    const point: unknown = datapoints[index];
    const value = Array.isArray(point) ? (point[0] as unknown) : undefined;
    if (typeof value === "number") return value;
    if (value !== null && value !== undefined) {
      throw new Error(
        `graphite query ${query} returned a datapoint that is not a number: ${JSON.stringify(point)}`,
      );
    }
  }
  throw new Error(
    `no valid non-null response in query ${query}, try increasing your queryTime or check your query`,
  );
}

export const graphiteScaler: ScalerDefinition<typeof params> = {
  type: "graphite",
  kedaScalerName: "graphiteScaler",
  description: "Latest non-null value of a Graphite render query.",
  testedAgainst: "Graphite (Debian graphite-carbon and graphite-web)",
  example: {
    metadata: { serverAddress: "http://graphite:8080", query: "stats.jobs.queued", queryTime: "-1Minutes" },
    metricName: "s0-graphite",
  },
  params,
  validate(values) {
    const problems = [];
    if (values.authMode === "basic" && !values.username) {
      problems.push({
        key: "username",
        message: "username is required when authMode is 'basic' (give it in the TriggerAuthentication)",
        severity: "error" as const,
      });
    }
    if (!isHttpUrl(graphiteUrl(values.serverAddress, values.query, values.queryTime))) {
      problems.push({
        key: "serverAddress",
        message: `serverAddress "${values.serverAddress}" is not a URL such as http://graphite:8080`,
        severity: "error" as const,
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: "graphite",
    target: values.threshold,
    activationTarget: values.activationThreshold,
  }),
  connect(values) {
    const client = createHttpGetClient({ tls: {} });
    const url = new URL(graphiteUrl(values.serverAddress, values.query, values.queryTime));
    // KEDA sends basic authentication on every request, empty when no credentials are given.
    const headers = { Authorization: basicAuthorization(values.username ?? "", values.password ?? "") };
    return {
      async measure(signal) {
        const value = graphiteValue(await client.get(url, headers, signal), values.query);
        return { value, active: value > values.activationThreshold };
      },
      close: async () => client.close(),
    };
  },
};
