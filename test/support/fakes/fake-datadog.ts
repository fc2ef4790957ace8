/**
 * fake-datadog: loopback fakes of the two Datadog endpoints the datadog scaler reads, as documented.
 *
 * The Datadog API's `GET /api/v1/query?from=<s>&to=<s>&query=<q>` (Query timeseries points), with
 * `DD-API-KEY` and `DD-APPLICATION-KEY` headers: 403 `{"errors":["Forbidden"]}` without valid keys,
 * 400 for a time range or query it cannot read, 429 with the `X-RateLimit-*` headers when the test
 * sets a rate limit, and otherwise `{"status":"ok","res_type":"time_series","series":[…]}` whose
 * `pointlist` holds `[milliseconds, value|null]` pairs.
 *
 * The Datadog Cluster Agent's external metrics API (`GET /apis/external.metrics.k8s.io/v1beta1/
 * namespaces/<ns>/datadogmetric@<ns>:<name>`, a Kubernetes ExternalMetricValueList whose value is
 * a quantity), with an optional bearer token, Kubernetes `Status` errors, and 422 for a
 * DatadogMetric whose value Datadog has not given yet.
 */
import type { ServerResponse } from "node:http";
import { authorizationToken, LoopbackFake, type LoopbackRequest, sendJson } from "./loopback.ts";

export interface DatadogSeries {
  metric: string;
  /** Values of the points, oldest first; null where Datadog has no value. */
  values: (number | null)[];
}

export class FakeDatadogApi extends LoopbackFake {
  /** API key → application keys valid with it. */
  readonly keys = new Map<string, Set<string>>();
  /** Query → its series. */
  readonly queries = new Map<string, DatadogSeries[]>();
  /** When set, every query answers 429 with these rate-limit headers. */
  rateLimited: { limit: number; period: number; reset: number } | undefined;
  static start(options: { tls?: boolean } = {}): Promise<FakeDatadogApi> {
    return new FakeDatadogApi().listen(options);
  }

  handle(request: LoopbackRequest, response: ServerResponse): void {
    if (request.path !== "/api/v1/query" || request.method !== "GET") {
      sendJson(response, 404, { errors: ["Not found"] });
      return;
    }
    const apiKey = String(request.headers["dd-api-key"] ?? "");
    const appKey = String(request.headers["dd-application-key"] ?? "");
    if (!this.keys.get(apiKey)?.has(appKey)) {
      sendJson(response, 403, { errors: ["Forbidden"] });
      return;
    }
    if (this.rateLimited) {
      sendJson(
        response,
        429,
        { errors: ["Rate limit of 1600 requests in 3600 seconds reached."] },
        {
          "X-RateLimit-Limit": String(this.rateLimited.limit),
          "X-RateLimit-Period": String(this.rateLimited.period),
          "X-RateLimit-Reset": String(this.rateLimited.reset),
          "X-RateLimit-Remaining": "0",
        },
      );
      return;
    }
    const from = Number(request.query.get("from"));
    const to = Number(request.query.get("to"));
    if (!Number.isInteger(from) || !Number.isInteger(to) || from >= to) {
      sendJson(response, 400, { errors: ["The value provided for parameter 'from' is invalid"] });
      return;
    }
    const query = request.query.get("query") ?? "";
    const series = this.queries.get(query);
    if (series === undefined) {
      sendJson(response, 400, {
        errors: [`Error parsing query: unable to parse ${query}: Rule 'scope_expr' didn't match`],
      });
      return;
    }
    const step = Math.max(Math.floor(((to - from) * 1000) / 10), 1000);
    sendJson(response, 200, {
      status: "ok",
      res_type: "time_series",
      resp_version: 1,
      query,
      from_date: from * 1000,
      to_date: to * 1000,
      series: series.map((entry) => ({
        metric: entry.metric,
        display_name: entry.metric,
        expression: query,
        scope: "*",
        unit: null,
        aggr: null,
        interval: step / 1000,
        length: entry.values.length,
        start: from * 1000,
        end: to * 1000,
        pointlist: entry.values.map((value, index) => [from * 1000 + index * step, value]),
      })),
      values: [],
      times: [],
      message: "",
      group_by: [],
    });
  }
}

function status(response: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(response, code, {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  });
}

export class FakeDatadogClusterAgent extends LoopbackFake {
  /** `<namespace>/<name>` of a DatadogMetric → its value as a quantity, or "unavailable". */
  readonly datadogMetrics = new Map<string, string>();
  /** Bearer tokens it accepts; empty accepts any request. */
  readonly tokens = new Set<string>();
  /** Over HTTPS (the Cluster Agent serves the external metrics API with TLS). */
  static start(): Promise<FakeDatadogClusterAgent> {
    return new FakeDatadogClusterAgent().listen({ tls: true });
  }

  handle(request: LoopbackRequest, response: ServerResponse): void {
    if (this.tokens.size > 0) {
      const token = authorizationToken(request.headers, "Bearer");
      if (token === undefined || !this.tokens.has(token)) {
        status(response, 401, "Unauthorized", "Unauthorized");
        return;
      }
    }
    const path = decodeURIComponent(request.path);
    const match = /^\/apis\/external\.metrics\.k8s\.io\/v1beta1\/namespaces\/([^/]+)\/([^/]+)$/.exec(path);
    if (!match || request.method !== "GET") {
      status(response, 404, "NotFound", `the server could not find the requested resource (${path})`);
      return;
    }
    const [namespace = "", metricName = ""] = [match[1], match[2]];
    const reference = /^datadogmetric@([^:]+):(.+)$/.exec(metricName);
    const key = reference ? `${reference[1] ?? ""}/${reference[2] ?? ""}` : "";
    const value = this.datadogMetrics.get(key);
    if (!reference || reference[1] !== namespace || value === undefined) {
      status(response, 404, "NotFound", `DatadogMetric ${key || metricName} not found`);
      return;
    }
    if (value === "unavailable") {
      status(response, 422, "Invalid", `DatadogMetric ${key} is not valid: no data points yet`);
      return;
    }
    sendJson(response, 200, {
      kind: "ExternalMetricValueList",
      apiVersion: "external.metrics.k8s.io/v1beta1",
      metadata: {},
      items: [{ metricName, metricLabels: null, timestamp: new Date().toISOString(), value }],
    });
  }
}
