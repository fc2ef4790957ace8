/**
 * fake-sumologic: a loopback fake of Sumo Logic's documented Search Job API and Metrics Query API,
 * with Basic authentication by access ID and key. A search job (`POST /api/v1/search/jobs`, 202
 * with its `id`) is bound to the session cookie set when it is created, as Sumo Logic requires
 * clients to keep cookies: its status (`GET …/{id}`: `GATHERING RESULTS` for a configured number of
 * polls, then `DONE GATHERING RESULTS` with `messageCount` and `recordCount`), records (`GET
 * …/{id}/records?offset&limit`, fields as strings in `map`) and deletion answer 404
 * `searchjob.jobid.invalid` without it. `POST /api/v1/metricsQueries` answers `queryResult` per
 * row with `timeSeriesList.timeSeries[].points`, and a query it does not know as `errors`. Errors
 * are `{"status":…,"id":…,"code":…,"message":…}`.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { basicCredentials, LoopbackFake, type LoopbackRequest, sendJson } from "./loopback.ts";

export interface LogSearch {
  /** The aggregate's rows (fields as strings); empty with messageCount for a non-aggregate query. */
  records: Record<string, string>[];
  messageCount?: number;
  /** Status polls answered GATHERING RESULTS first. */
  gatheringPolls?: number;
}

interface Job {
  search: LogSearch;
  session: string;
  polls: number;
  body: Record<string, unknown>;
}

function sumoError(response: ServerResponse, status: number, code: string, message: string): void {
  sendJson(response, status, { status, id: randomBytes(4).toString("hex").toUpperCase(), code, message });
}

export class FakeSumoLogic extends LoopbackFake {
  /** Access ID → access key. */
  readonly accessKeys = new Map<string, string>();
  readonly logSearches = new Map<string, LogSearch>();
  /** Metrics query → the values of each series it selects. */
  readonly metrics = new Map<string, number[][]>();
  readonly jobs = new Map<string, Job>();
  readonly deleted: string[] = [];
  static start(options: { tls?: boolean } = {}): Promise<FakeSumoLogic> {
    return new FakeSumoLogic().listen(options);
  }

  handle(request: LoopbackRequest, response: ServerResponse): void {
    const credentials = basicCredentials(request.headers);
    if (!credentials || this.accessKeys.get(credentials.username) !== credentials.password) {
      sumoError(response, 401, "unauthorized", "Credential could not be verified.");
      return;
    }
    if (request.path === "/api/v1/metricsQueries" && request.method === "POST") {
      this.#metricsQuery(request, response);
      return;
    }
    if (request.path === "/api/v1/search/jobs" && request.method === "POST") {
      this.#createJob(request, response);
      return;
    }
    const match = /^\/api\/v1\/search\/jobs\/([^/]+)(\/records)?$/.exec(request.path);
    if (!match) {
      sumoError(response, 404, "notfound", `No resource at ${request.method} ${request.path}`);
      return;
    }
    const id = match[1] ?? "";
    const job = this.jobs.get(id);
    const session = /(?:^|;\s*)JSESSIONID=([^;]+)/.exec(request.headers.cookie ?? "")?.[1];
    if (job === undefined || job.session !== session) {
      sumoError(response, 404, "searchjob.jobid.invalid", "Job ID is invalid.");
      return;
    }
    if (match[2] && request.method === "GET") {
      const offset = Number(request.query.get("offset") ?? "0");
      const limit = Number(request.query.get("limit") ?? "100");
      const fields = Object.keys(job.search.records[0] ?? {}).map((name) => ({
        name,
        fieldType: "string",
        keyField: false,
      }));
      sendJson(response, 200, {
        fields,
        records: job.search.records.slice(offset, offset + limit).map((map) => ({ map })),
      });
    } else if (!match[2] && request.method === "GET") {
      job.polls += 1;
      const done = job.polls > (job.search.gatheringPolls ?? 0);
      sendJson(response, 200, {
        state: done ? "DONE GATHERING RESULTS" : "GATHERING RESULTS",
        messageCount: job.search.messageCount ?? 0,
        recordCount: done ? job.search.records.length : 0,
        histogramBuckets: [],
        pendingErrors: [],
        pendingWarnings: [],
      });
    } else if (!match[2] && request.method === "DELETE") {
      this.jobs.delete(id);
      this.deleted.push(id);
      sendJson(response, 200, { id });
    } else {
      sumoError(response, 405, "method.notallowed", `${request.method} is not allowed here`);
    }
  }

  #createJob(request: LoopbackRequest, response: ServerResponse): void {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(request.body) as Record<string, unknown>;
    } catch {
      sumoError(response, 400, "searchjob.invalid.body", "The request body is not valid JSON.");
      return;
    }
    for (const field of ["from", "to"]) {
      if (typeof body[field] !== "string" || Number.isNaN(Date.parse(body[field] as string))) {
        sumoError(
          response,
          400,
          `searchjob.invalid.timestamp.${field}`,
          `The '${field}' field is not a valid time.`,
        );
        return;
      }
    }
    const search = typeof body.query === "string" ? this.logSearches.get(body.query) : undefined;
    if (search === undefined) {
      sumoError(response, 400, "searchjob.query.invalid", `Unable to parse the query: ${String(body.query)}`);
      return;
    }
    const id = randomUUID().replaceAll("-", "").slice(0, 16).toUpperCase();
    const session = randomBytes(8).toString("hex");
    this.jobs.set(id, { search, session, polls: 0, body });
    sendJson(
      response,
      202,
      { id, link: { rel: "self", href: `${this.url}/api/v1/search/jobs/${id}` } },
      { "Set-Cookie": [`JSESSIONID=${session}; Path=/api; Secure; HttpOnly`, "AWSELB=fake; Path=/"] },
    );
  }

  #metricsQuery(request: LoopbackRequest, response: ServerResponse): void {
    let body: { queries?: { rowId?: string; query?: string; quantization?: number; rollup?: string }[] };
    try {
      body = JSON.parse(request.body) as typeof body;
    } catch {
      sumoError(response, 400, "metrics.invalid.body", "The request body is not valid JSON.");
      return;
    }
    const unknown = (body.queries ?? []).filter((row) => !this.metrics.has(row.query ?? ""));
    if (unknown.length > 0) {
      sendJson(response, 200, {
        queryResult: [],
        errors: {
          id: randomBytes(4).toString("hex").toUpperCase(),
          errors: unknown.map((row) => ({
            code: "metrics:query_parse_error",
            message: `Row ${row.rowId ?? ""}: cannot parse the query '${row.query ?? ""}'`,
          })),
        },
      });
      return;
    }
    sendJson(response, 200, {
      queryResult: (body.queries ?? []).map((row) => ({
        rowId: row.rowId,
        timeSeriesList: {
          timeSeries: (this.metrics.get(row.query ?? "") ?? []).map((values) => ({
            metricDefinition: { metric: row.query },
            points: {
              timestamps: values.map((_, index) => Date.now() - (values.length - index) * 60_000),
              values,
            },
          })),
          unit: "",
        },
      })),
      errors: null,
    });
  }
}
