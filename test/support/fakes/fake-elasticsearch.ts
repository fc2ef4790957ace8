/**
 * fake-elasticsearch: a loopback server in front of the OpenSearch test server that answers as
 * Elasticsearch does where KEDA's client looks (go-elasticsearch refuses a server that does not
 * say it is Elasticsearch), and adds the part of Elasticsearch's documented ML API that KEDA's
 * elastic-forecast scaler calls. Searches, search templates and stored scripts are OpenSearch's
 * own (its 7.10-compatible REST API), passed through with the caller's credentials, which
 * OpenSearch checks:
 *
 * - `GET /` answers Elasticsearch's info document and `X-Elastic-Product: Elasticsearch`;
 *   every other answer also carries that header.
 * - `POST /_ml/anomaly_detectors/<job>/_forecast` (`{"duration","expires_in"}`) writes the
 *   forecast's `model_forecast` results, one per bucket from now to now + duration, into the
 *   index `.ml-anomalies-shared` in OpenSearch, where the scaler's search finds them, and
 *   answers `{"acknowledged":true,"forecast_id":…}`. Jobs are registered by the test with the
 *   values their forecast predicts.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listen } from "../../../src/util/listen.ts";

export interface ForecastJob {
  /** Bucket span in milliseconds. */
  bucketSpanMs: number;
  /** The prediction for the bucket starting at `timeMs`. */
  predict: (timeMs: number) => number;
  partitionFieldValue?: string;
  byFieldValue?: string;
}

export interface RecordedForecast {
  jobId: string;
  forecastId: string;
  body: unknown;
}

const RESULTS_INDEX = ".ml-anomalies-shared";

export class FakeElasticsearch {
  readonly url: string;
  readonly forecasts: RecordedForecast[] = [];
  readonly #server: Server;
  readonly #upstream: string;
  readonly #jobs = new Map<string, ForecastJob>();

  private constructor(server: Server, url: string, upstream: string) {
    this.#server = server;
    this.url = url;
    this.#upstream = upstream.replace(/\/+$/, "");
  }

  /** Starts on 127.0.0.1:<random port> in front of the OpenSearch at `upstream`. */
  static async start(upstream: string): Promise<FakeElasticsearch> {
    const holder: { fake?: FakeElasticsearch } = {};
    const server = createServer((request, response) => {
      void holder.fake?.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ error: { type: "fake_error", reason: String(error) }, status: 500 }));
      });
    });
    const port = await listen(server, 0);
    holder.fake = new FakeElasticsearch(server, `http://127.0.0.1:${port}`, upstream);
    return holder.fake;
  }

  /** Registers an anomaly detection job whose forecasts predict `job.predict`. */
  addJob(jobId: string, job: ForecastJob): void {
    this.#jobs.set(jobId, job);
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? "/", this.url);
    const authorization = request.headers.authorization;
    const forecast = /^\/_ml\/anomaly_detectors\/([^/]+)\/_forecast$/.exec(url.pathname);
    if (request.method === "GET" && url.pathname === "/") {
      const upstream = await this.upstream("GET", "/", authorization, undefined);
      if (upstream.status !== 200) return send(response, upstream.status, upstream.body);
      return send(response, 200, {
        name: "fake-elasticsearch",
        cluster_name: "tidal",
        version: { number: "8.15.0", build_flavor: "default", lucene_version: "9.11.1" },
        tagline: "You Know, for Search",
      });
    }
    if (request.method === "POST" && forecast) {
      const upstream = await this.upstream("GET", "/", authorization, undefined);
      if (upstream.status !== 200) return send(response, upstream.status, upstream.body);
      const jobId = decodeURIComponent(forecast[1] ?? "");
      const job = this.#jobs.get(jobId);
      if (!job) {
        return send(response, 404, {
          error: { type: "resource_not_found_exception", reason: `No known job with id '${jobId}'` },
          status: 404,
        });
      }
      const parsed = JSON.parse(body || "{}") as { duration?: string };
      const seconds = Number(/^(\d+)s$/.exec(parsed.duration ?? "")?.[1] ?? 86_400);
      const forecastId = randomBytes(8).toString("hex");
      this.forecasts.push({ jobId, forecastId, body: parsed });
      await this.writeForecast(jobId, job, forecastId, seconds * 1000, authorization);
      return send(response, 200, { acknowledged: true, forecast_id: forecastId });
    }
    const upstream = await this.upstream(
      request.method ?? "GET",
      `${url.pathname}${url.search}`,
      authorization,
      body,
    );
    send(response, upstream.status, upstream.body);
  }

  /** The forecast's buckets, written into OpenSearch and visible to searches when this returns. */
  private async writeForecast(
    jobId: string,
    job: ForecastJob,
    forecastId: string,
    durationMs: number,
    authorization: string | undefined,
  ): Promise<void> {
    await this.upstream(
      "PUT",
      `/${RESULTS_INDEX}`,
      authorization,
      JSON.stringify({
        mappings: {
          properties: {
            job_id: { type: "keyword" },
            forecast_id: { type: "keyword" },
            result_type: { type: "keyword" },
            partition_field_value: { type: "keyword" },
            by_field_value: { type: "keyword" },
            timestamp: { type: "date", format: "epoch_millis" },
            forecast_prediction: { type: "double" },
          },
        },
      }),
    );
    const start = Math.floor(Date.now() / job.bucketSpanMs) * job.bucketSpanMs;
    const lines: string[] = [];
    for (let time = start; time <= start + durationMs; time += job.bucketSpanMs) {
      lines.push(JSON.stringify({ index: { _index: RESULTS_INDEX } }));
      lines.push(
        JSON.stringify({
          job_id: jobId,
          forecast_id: forecastId,
          result_type: "model_forecast",
          timestamp: time,
          forecast_prediction: job.predict(time),
          ...(job.partitionFieldValue ? { partition_field_value: job.partitionFieldValue } : {}),
          ...(job.byFieldValue ? { by_field_value: job.byFieldValue } : {}),
        }),
      );
    }
    const result = await this.upstream(
      "POST",
      "/_bulk?refresh=wait_for",
      authorization,
      `${lines.join("\n")}\n`,
      {
        "Content-Type": "application/x-ndjson",
      },
    );
    if (result.status !== 200)
      throw new Error(`writing the forecast failed: ${result.status} ${result.body}`);
  }

  private async upstream(
    method: string,
    path: string,
    authorization: string | undefined,
    body: string | undefined,
    headers: Record<string, string> = { "Content-Type": "application/json" },
  ): Promise<{ status: number; body: string }> {
    const response = await fetch(`${this.#upstream}${path}`, {
      method,
      headers: { ...headers, ...(authorization ? { Authorization: authorization } : {}) },
      ...(body !== undefined && body !== "" && method !== "GET" ? { body } : {}),
    });
    return { status: response.status, body: await response.text() };
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "Content-Type": "application/json", "X-Elastic-Product": "Elasticsearch" });
  response.end(typeof body === "string" ? body : JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    request.on("data", (chunk: Buffer) => (text += chunk.toString()));
    request.on("end", () => resolve(text));
    request.on("error", reject);
  });
}
