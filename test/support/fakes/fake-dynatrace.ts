/**
 * fake-dynatrace: a loopback fake of the two Dynatrace APIs the dynatrace scaler reads, as
 * documented. The Metrics API v2 (`GET /api/v2/metrics/query?metricSelector=…&from=…`, an
 * `Authorization: Api-Token …` header) answers MetricData: `result[].data[].values` per series,
 * null where a series has no point. The Grail query API (`POST
 * /platform/storage/query/v1/query:execute` with `{query, fetchTimeoutSeconds}` and a `Bearer`
 * platform token) answers 202 with a `requestToken`; `GET …/query:poll?request-token=…` answers the
 * query's `state` (RUNNING until the configured number of polls, then SUCCEEDED with
 * `result.records`, or FAILED). Errors are `{"error":{"code":…,"message":…}}`.
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { authorizationToken, LoopbackFake, type LoopbackRequest, sendJson } from "./loopback.ts";

export interface DqlQuery {
  records: Record<string, unknown>[];
  /** Polls answered RUNNING before the final state. */
  runningPolls?: number;
  /** The final state (default SUCCEEDED). */
  finalState?: "SUCCEEDED" | "FAILED" | "CANCELLED";
}

interface Execution {
  query: DqlQuery;
  polls: number;
}

function dynatraceError(response: ServerResponse, code: number, message: string): void {
  sendJson(response, code, { error: { code, message } });
}

export class FakeDynatrace extends LoopbackFake {
  /** API tokens (metrics.read). */
  readonly apiTokens = new Set<string>();
  /** Platform tokens (storage:metrics:read and friends), sent as Bearer. */
  readonly platformTokens = new Set<string>();
  /** Metric selector → the values of each series. */
  readonly metrics = new Map<string, (number | null)[][]>();
  /** DQL query text → its answer. */
  readonly queries = new Map<string, DqlQuery>();
  readonly #executions = new Map<string, Execution>();
  static start(options: { tls?: boolean } = {}): Promise<FakeDynatrace> {
    return new FakeDynatrace().listen(options);
  }

  handle(request: LoopbackRequest, response: ServerResponse): void {
    if (request.path === "/api/v2/metrics/query" && request.method === "GET") {
      this.#metrics(request, response);
    } else if (request.path === "/platform/storage/query/v1/query:execute" && request.method === "POST") {
      this.#execute(request, response);
    } else if (request.path === "/platform/storage/query/v1/query:poll" && request.method === "GET") {
      this.#poll(request, response);
    } else {
      dynatraceError(response, 404, `Not found: ${request.method} ${request.path}`);
    }
  }

  #metrics(request: LoopbackRequest, response: ServerResponse): void {
    const token = authorizationToken(request.headers, "Api-Token");
    if (token === undefined) {
      dynatraceError(response, 401, "Missing authorization parameter.");
      return;
    }
    if (!this.apiTokens.has(token)) {
      dynatraceError(response, 401, "Token Authentication failed");
      return;
    }
    const selector = request.query.get("metricSelector") ?? "";
    const from = request.query.get("from") ?? "now-2h";
    if (!/^now(-\d+[smhdwMy])?$/.test(from) && Number.isNaN(Date.parse(from))) {
      dynatraceError(response, 400, `Constraints violated: from: invalid timeframe '${from}'`);
      return;
    }
    const series = this.metrics.get(selector);
    if (series === undefined) {
      dynatraceError(
        response,
        404,
        `Metric selector '${selector}' could not be resolved: metric key not found`,
      );
      return;
    }
    sendJson(response, 200, {
      totalCount: 1,
      nextPageKey: null,
      resolution: "Inf",
      result: [
        {
          metricId: selector,
          dataPointCountRatio: 0.0001,
          dimensionCountRatio: 0.0001,
          data: series.map((values) => ({
            dimensions: [],
            dimensionMap: {},
            timestamps: values.map((_, index) => Date.now() - (values.length - index) * 60_000),
            values,
          })),
        },
      ],
    });
  }

  #platformAuthorized(request: LoopbackRequest, response: ServerResponse): boolean {
    const token = authorizationToken(request.headers, "Bearer");
    if (token === undefined || !this.platformTokens.has(token)) {
      dynatraceError(response, 401, "Authentication required: the bearer token is missing or not valid");
      return false;
    }
    return true;
  }

  #execute(request: LoopbackRequest, response: ServerResponse): void {
    if (!this.#platformAuthorized(request, response)) return;
    let body: { query?: unknown; fetchTimeoutSeconds?: unknown };
    try {
      body = JSON.parse(request.body) as typeof body;
    } catch {
      dynatraceError(response, 400, "The request body is not valid JSON");
      return;
    }
    const query = typeof body.query === "string" ? this.queries.get(body.query) : undefined;
    if (query === undefined) {
      dynatraceError(response, 400, `PARSE_ERROR: the query "${String(body.query)}" is not valid DQL`);
      return;
    }
    const requestToken = randomUUID();
    this.#executions.set(requestToken, { query, polls: 0 });
    sendJson(response, 202, { state: "RUNNING", requestToken, ttlSeconds: 300 });
  }

  #poll(request: LoopbackRequest, response: ServerResponse): void {
    if (!this.#platformAuthorized(request, response)) return;
    const execution = this.#executions.get(request.query.get("request-token") ?? "");
    if (execution === undefined) {
      dynatraceError(response, 410, "The result of this request token is gone (RESULT_GONE)");
      return;
    }
    execution.polls += 1;
    if (execution.polls <= (execution.query.runningPolls ?? 0)) {
      sendJson(response, 200, { state: "RUNNING", progress: 50, ttlSeconds: 300 });
      return;
    }
    const state = execution.query.finalState ?? "SUCCEEDED";
    if (state !== "SUCCEEDED") {
      sendJson(response, 200, { state, ttlSeconds: 0 });
      return;
    }
    sendJson(response, 200, {
      state,
      progress: 100,
      ttlSeconds: 300,
      result: {
        records: execution.query.records,
        types: [],
        metadata: { grail: { canonicalQuery: "", scannedRecords: execution.query.records.length } },
      },
    });
  }
}
