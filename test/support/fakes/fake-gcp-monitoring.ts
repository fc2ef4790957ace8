/**
 * fake-gcp-monitoring: a loopback fake of Cloud Monitoring's documented REST API (v3), the wire
 * format the Node client library speaks with `fallback: true` (the transport Tidal uses):
 *
 *   GET  /v3/projects/{project}/timeSeries?filter=…&interval.startTime=…&interval.endTime=…
 *        [&aggregation.alignmentPeriod=…&aggregation.perSeriesAligner=…&aggregation.crossSeriesReducer=…]
 *        → { timeSeries: [{ metric, resource, metricKind, valueType, points: [{ interval, value }] }] }
 *   POST /v3/projects/{project}/timeSeries:query   { query, pageSize }   (MQL)
 *        → { timeSeriesDescriptor, timeSeriesData: [{ labelValues, pointData: [{ values, timeInterval }] }] }
 *
 * Filters are evaluated for their `key = "value"` clauses joined by AND (metric.type,
 * resource.type, resource.labels.*, metric.labels.*); MQL queries only in the form KEDA's Pub/Sub
 * scaler writes (fetch, metric, filter on project and id, within, optional align/every/group_by
 * with sum, count or mean). Every request needs a bearer token the shared FakeGoogleTokens
 * accepts; otherwise the answer is Google's 401 UNAUTHENTICATED.
 */
import type { ServerResponse } from "node:http";
import { sendGoogleError, sendJson, type FakeGoogleTokens, type Principal } from "./google-auth.ts";
import { serveLoopback, type LoopbackRequest, type LoopbackServer } from "./loopback.ts";

/** A point's value: a number is a double; `{ int64 }` an integer; `{ bool }` a boolean. */
export type FakePointValue = number | { int64: number } | { bool: boolean };

export interface FakeTimeSeries {
  project: string;
  metricType: string;
  metricLabels?: Record<string, string>;
  resourceType: string;
  /** The monitored resource's labels; project_id is added from `project`. */
  resourceLabels?: Record<string, string>;
  /** Newest first, as the API returns them. */
  points: FakePointValue[];
}

export interface RecordedMonitoringRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown> | undefined;
  principal: Principal | undefined;
}

export interface FakeGcpMonitoring extends Omit<LoopbackServer, "requests"> {
  /** Time series the fake serves; tests add and change them freely. */
  series: FakeTimeSeries[];
  requests: RecordedMonitoringRequest[];
}

function typedValue(value: FakePointValue): Record<string, unknown> {
  if (typeof value === "number") return { doubleValue: value };
  if ("int64" in value) return { int64Value: String(value.int64) };
  return { boolValue: value.bool };
}

function valueType(value: FakePointValue | undefined): string {
  if (value === undefined || typeof value === "number") return "DOUBLE";
  return "int64" in value ? "INT64" : "BOOL";
}

function labelsOf(series: FakeTimeSeries): Record<string, string> {
  return { ...series.resourceLabels, project_id: series.project };
}

const CLAUSE =
  /(metric\.type|resource\.type|resource\.labels\.\w+|metric\.labels\.\w+)\s*=\s*"((?:[^"\\]|\\.)*)"/g;

/** The `key = "value"` clauses of a filter; undefined when it has none. */
function parseFilter(filter: string): [string, string][] | undefined {
  const clauses = [...filter.matchAll(CLAUSE)].map(
    (match) => [match[1] as string, (match[2] as string).replace(/\\(.)/g, "$1")] as [string, string],
  );
  return clauses.length > 0 ? clauses : undefined;
}

function matchesFilter(series: FakeTimeSeries, clauses: [string, string][]): boolean {
  return clauses.every(([key, value]) => {
    if (key === "metric.type") return series.metricType === value;
    if (key === "resource.type") return series.resourceType === value;
    if (key.startsWith("resource.labels.")) return labelsOf(series)[key.slice(16)] === value;
    return series.metricLabels?.[key.slice(14)] === value;
  });
}

function interval(): { startTime: string; endTime: string } {
  const end = new Date();
  return { startTime: new Date(end.getTime() - 60_000).toISOString(), endTime: end.toISOString() };
}

const MQL =
  /^fetch pubsub_(subscription|topic) \| metric '([^']+)' \| filter \(resource\.project_id == '([^']*)' && resource\.(subscription|topic)_id == '([^']*)'\) \| within (\S+)(?: \| align delta\(\S+\) \| every \S+ \| group_by \[\], (\w+)\(value\))?$/;

function numberOf(value: FakePointValue): number {
  if (typeof value === "number") return value;
  return "int64" in value ? value.int64 : Number(value.bool);
}

function aggregate(points: FakePointValue[], fn: string): FakePointValue | undefined {
  const numbers = points.map(numberOf);
  if (fn === "count") return { int64: numbers.length };
  if (fn === "sum") return numbers.reduce((a, b) => a + b, 0);
  if (fn === "mean") return numbers.length ? numbers.reduce((a, b) => a + b, 0) / numbers.length : undefined;
  throw new Error(`the fake implements only sum, count and mean, not ${fn}`);
}

export async function startFakeGcpMonitoring(tokens: FakeGoogleTokens): Promise<FakeGcpMonitoring> {
  const series: FakeTimeSeries[] = [];
  const requests: RecordedMonitoringRequest[] = [];

  function handle(request: LoopbackRequest, response: ServerResponse) {
    const text = request.method === "POST" ? request.body : "";
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    const checked = tokens.check(request.headers.authorization);
    const principal = "rejected" in checked ? undefined : checked;
    requests.push({
      method: request.method,
      path: request.path,
      query: request.query,
      body,
      principal,
    });
    if ("rejected" in checked) {
      sendGoogleError(
        response,
        401,
        "UNAUTHENTICATED",
        `Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. (${checked.rejected})`,
      );
      return;
    }
    const list = /^\/v3\/projects\/([^/]+)\/timeSeries$/.exec(request.path);
    if (list && request.method === "GET")
      return listTimeSeries(decodeURIComponent(list[1] as string), request.query, response);
    const query = /^\/v3\/projects\/([^/]+)\/timeSeries:query$/.exec(request.path);
    if (query && request.method === "POST") return queryTimeSeries(String(body?.query ?? ""), response);
    sendGoogleError(response, 404, "NOT_FOUND", `the fake serves no ${request.method} ${request.path}`);
  }

  function listTimeSeries(project: string, query: URLSearchParams, response: ServerResponse) {
    const clauses = parseFilter(query.get("filter") ?? "");
    if (clauses === undefined) {
      sendGoogleError(response, 400, "INVALID_ARGUMENT", "Field filter had an invalid value");
      return;
    }
    if (!query.get("interval.endTime")) {
      sendGoogleError(response, 400, "INVALID_ARGUMENT", "Field interval.endTime had an invalid value");
      return;
    }
    const found = series.filter((one) => one.project === project && matchesFilter(one, clauses));
    sendJson(response, {
      timeSeries: found.map((one) => ({
        metric: { type: one.metricType, labels: one.metricLabels ?? {} },
        resource: { type: one.resourceType, labels: labelsOf(one) },
        metricKind: "GAUGE",
        valueType: valueType(one.points[0]),
        points: one.points.map((value) => ({ interval: interval(), value: typedValue(value) })),
      })),
      unit: "1",
    });
  }

  function queryTimeSeries(mql: string, response: ServerResponse) {
    const match = MQL.exec(mql);
    if (!match) {
      sendGoogleError(response, 400, "INVALID_ARGUMENT", `the fake cannot parse this MQL query: ${mql}`);
      return;
    }
    const [, resourceType, metric, project, idKind, id, , fn] = match as unknown as string[];
    const found = series.filter(
      (one) =>
        one.resourceType === `pubsub_${resourceType}` &&
        one.metricType === metric &&
        one.project === project &&
        labelsOf(one)[`${idKind}_id`] === id,
    );
    const data = found.flatMap((one) => {
      const points = fn
        ? [aggregate(one.points, fn)].filter((p): p is FakePointValue => p !== undefined)
        : one.points;
      return [
        {
          labelValues: [{ stringValue: id }],
          pointData: points.map((value) => ({ values: [typedValue(value)], timeInterval: interval() })),
        },
      ];
    });
    sendJson(response, {
      timeSeriesDescriptor: {
        labelDescriptors: [{ key: `resource.${idKind}_id` }],
        pointDescriptors: [
          {
            key: `value.${metric?.split("/").pop()}`,
            valueType: valueType(found[0]?.points[0]),
            metricKind: "GAUGE",
          },
        ],
      },
      timeSeriesData: data,
    });
  }

  const server = await serveLoopback(handle);
  return { ...server, series, requests };
}
