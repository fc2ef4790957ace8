/**
 * fake-solarwinds: a loopback fake of the SolarWinds Observability API's documented metric
 * measurements endpoint, `GET /v1/metrics/{name}/measurements`, as the SDK KEDA uses
 * (swo-sdk-go's Metrics.ListMetricMeasurements) calls it:
 *
 * - `Authorization: Bearer <API token>` (401 `{"message", "code": "Unauthorized"}` otherwise);
 * - query parameters `seriesType` (TIMESERIES or SCALAR), `aggregateBy` (COUNT, MIN, MAX, AVG,
 *   SUM, LAST), `startTime` and `endTime` (RFC 3339, UTC) and an optional `filter`
 *   (`key:value` or `key:[v1,v2]` terms separated by spaces); a malformed one is 400
 *   `{"message", "code": "InvalidRequest"}`; an unknown metric is 404 `ResourceNotFound`;
 * - the answer `{"groupings": [{"attributes": [{"key", "value"}], "measurements": [{"time",
 *   "value"}]}], "bucketSizeInSeconds", "pageInfo": {"prevPage", "nextPage"}}`: for SCALAR one
 *   measurement per grouping (series with the same attributes), the aggregate of its points in
 *   the interval; an empty `measurements` list when the interval has none.
 */
import { sendJson, serveLoopback, type LoopbackServer } from "./loopback.ts";

export interface FakeSolarWindsSeries {
  metric: string;
  attributes?: Record<string, string>;
  /** Points; without `at`, a point falls in any interval that reaches the present. */
  points: { value: number; at?: number }[];
}

export interface FakeSolarWinds extends LoopbackServer {
  /** The API tokens the organization accepts. */
  tokens: Set<string>;
  series: FakeSolarWindsSeries[];
}

const AGGREGATIONS = new Set(["COUNT", "MIN", "MAX", "AVG", "SUM", "LAST"]);

function aggregate(method: string, values: number[]): number {
  switch (method) {
    case "COUNT":
      return values.length;
    case "MIN":
      return Math.min(...values);
    case "MAX":
      return Math.max(...values);
    case "SUM":
      return values.reduce((sum, value) => sum + value, 0);
    case "LAST":
      return values.at(-1) as number;
    default:
      return values.reduce((sum, value) => sum + value, 0) / values.length;
  }
}

/** `key:value` and `key:[a,b]` terms, all of which must match. */
function parseFilter(filter: string): Map<string, string[]> | undefined {
  const terms = new Map<string, string[]>();
  for (const term of filter.trim().split(/\s+/).filter(Boolean)) {
    const match = /^([\w.-]+):(?:\[([^\]]*)\]|(\S+))$/.exec(term);
    if (!match) return undefined;
    terms.set(match[1] as string, match[2] !== undefined ? match[2].split(",") : [match[3] as string]);
  }
  return terms;
}

export async function startFakeSolarWinds(): Promise<FakeSolarWinds> {
  const tokens = new Set<string>();
  const series: FakeSolarWindsSeries[] = [];
  const server = await serveLoopback((request, response) => {
    const fail = (status: number, code: string, message: string) =>
      sendJson(response, status, { message, code });
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
    if (token === undefined || !tokens.has(token))
      return fail(401, "Unauthorized", "Invalid or missing API token");
    const match = /^\/v1\/metrics\/([^/]+)\/measurements$/.exec(request.path);
    if (request.method !== "GET" || !match) return fail(404, "ResourceNotFound", "Not found");
    const name = decodeURIComponent(match[1] as string);
    const query = request.query;
    const seriesType = query.get("seriesType") ?? "TIMESERIES";
    const method = query.get("aggregateBy") ?? "AVG";
    if (!["TIMESERIES", "SCALAR"].includes(seriesType))
      return fail(400, "InvalidRequest", `invalid seriesType ${seriesType}`);
    if (!AGGREGATIONS.has(method)) return fail(400, "InvalidRequest", `invalid aggregateBy ${method}`);
    const end = query.has("endTime") ? Date.parse(query.get("endTime") as string) : Date.now();
    const start = query.has("startTime") ? Date.parse(query.get("startTime") as string) : end - 3_600_000;
    if (Number.isNaN(start) || Number.isNaN(end) || start >= end)
      return fail(400, "InvalidRequest", "startTime and endTime must be RFC 3339 times, startTime first");
    const filter = parseFilter(query.get("filter") ?? "");
    if (filter === undefined) return fail(400, "InvalidRequest", `invalid filter ${query.get("filter")}`);
    const ofMetric = series.filter((entry) => entry.metric === name);
    if (ofMetric.length === 0) return fail(404, "ResourceNotFound", `Metric ${name} not found`);
    const groups = new Map<string, { attributes: Record<string, string>; values: number[] }>();
    for (const entry of ofMetric) {
      const attributes = entry.attributes ?? {};
      if (![...filter].every(([key, allowed]) => allowed.includes(attributes[key] ?? ""))) continue;
      const key = JSON.stringify(Object.entries(attributes).sort());
      const group = groups.get(key) ?? { attributes, values: [] };
      groups.set(key, group);
      for (const point of entry.points) {
        // A point without a time is as recent as the interval asked for.
        const at = point.at ?? end;
        if (at >= start && at <= end + 1000) group.values.push(point.value);
      }
    }
    sendJson(response, 200, {
      groupings: [...groups.values()].map((group) => ({
        attributes: Object.entries(group.attributes).map(([key, value]) => ({ key, value })),
        measurements:
          group.values.length === 0
            ? []
            : seriesType === "SCALAR"
              ? [{ time: new Date(end).toISOString(), value: aggregate(method, group.values) }]
              : group.values.map((value) => ({ time: new Date(end).toISOString(), value })),
      })),
      bucketSizeInSeconds: Math.max(1, Math.round((end - start) / 1000)),
      pageInfo: { prevPage: "", nextPage: "" },
    });
  });
  return Object.assign(server, { tokens, series });
}
