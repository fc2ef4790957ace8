import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { DecisionTrace } from "../../engine/types.ts";
import type { TidalMetrics } from "../../observability/metrics.ts";
import type { RuntimeEvent } from "../events.ts";
import type { ObjectSnapshot } from "../snapshot.ts";
import type { WorkerLogLine } from "./pool-logs.ts";

/** A ProcessPool's output, as the status API serves it. */
export interface PoolLogSource {
  recent(tail?: number): WorkerLogLine[];
  follow(listener: (line: WorkerLogLine) => void): () => void;
}

/** What the status API reads from the running runtime. */
export interface StatusSource {
  scaledObjects(): ObjectSnapshot[];
  scaledJobs(): ObjectSnapshot[];
  /** The last decision trace of a ScaledObject (namespace optional when the name is unique). */
  trace(name: string, namespace?: string): DecisionTrace | undefined | "ambiguous";
  events(kind: string, name: string, namespace?: string): RuntimeEvent[];
  /** ProcessPools and their workers (state, restarts, last exit). */
  processPools(): unknown[];
  /** A pool's output; "ambiguous" when the name is in several namespaces and none was given. */
  poolLogs?(name: string, namespace?: string): PoolLogSource | undefined | "ambiguous";
}

/** `worker-0 | text` (`worker-0 stderr | text` for stderr), as `tidal logs` prints it. */
export function formatLogLine(line: WorkerLogLine, timestamps = false): string {
  const stream = line.stream === "stderr" ? " stderr" : "";
  return `${timestamps ? `${line.at} ` : ""}worker-${line.worker}${stream} | ${line.line}\n`;
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  contentType = "application/json",
): void {
  const text = contentType === "application/json" ? `${JSON.stringify(body, null, 2)}\n` : String(body);
  response.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  response.end(text);
}

/** The HTTP status API of `tidal run`: health, objects, decision traces and Prometheus metrics. */
export function createStatusServer(source: StatusSource, metrics: TidalMetrics): Server {
  return createServer((request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        send(response, 500, { error: error instanceof Error ? error.message : String(error) });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method !== "GET" && request.method !== "HEAD") {
      send(response, 405, { error: "only GET is supported" });
      return;
    }
    const namespace = url.searchParams.get("namespace") ?? undefined;
    const path = url.pathname.replace(/\/+$/, "") || "/";
    if (path === "/healthz" || path === "/readyz") return send(response, 200, "ok\n", "text/plain");
    if (path === "/metrics") {
      // `?name=METRIC` (repeatable) returns only those metrics: cheap with thousands of objects.
      const { contentType, body } = await metrics.text(url.searchParams.getAll("name"));
      return send(response, 200, body, contentType);
    }
    if (path === "/api/v1/scaledobjects")
      return send(response, 200, filter(source.scaledObjects(), namespace));
    if (path === "/api/v1/scaledjobs") return send(response, 200, filter(source.scaledJobs(), namespace));
    if (path === "/api/v1/processpools") return send(response, 200, source.processPools());
    const logs = /^\/api\/v1\/processpools\/([^/]+)\/logs$/.exec(path);
    if (logs) return serveLogs(decodeURIComponent(logs[1]!), namespace, url.searchParams, request, response);
    const match = /^\/api\/v1\/(scaledobjects|scaledjobs)\/([^/]+)(?:\/(explain|events))?$/.exec(path);
    if (match) {
      const [, collection, rawName, view] = match as unknown as [string, string, string, string | undefined];
      const name = decodeURIComponent(rawName);
      const kind = collection === "scaledobjects" ? "ScaledObject" : "ScaledJob";
      if (view === "explain") {
        if (kind !== "ScaledObject")
          return send(response, 404, { error: "explain is available for ScaledObjects" });
        const trace = source.trace(name, namespace);
        if (trace === "ambiguous")
          return send(response, 409, { error: `several ScaledObjects are named "${name}"; add ?namespace=` });
        if (trace === undefined)
          return send(response, 404, {
            error: `no decision yet for ScaledObject "${name}" (unknown, or not evaluated yet)`,
          });
        return send(response, 200, trace);
      }
      if (view === "events") return send(response, 200, source.events(kind, name, namespace));
      const all = kind === "ScaledObject" ? source.scaledObjects() : source.scaledJobs();
      const found = filter(all, namespace).filter((snapshot) => snapshot.name === name);
      if (found.length === 0) return send(response, 404, { error: `${kind} "${name}" not found` });
      return send(response, 200, { ...found[0], events: source.events(kind, name, found[0]?.namespace) });
    }
    send(response, 404, {
      error: `no route for ${path}`,
      routes: [
        "/healthz",
        "/metrics",
        "/api/v1/scaledobjects",
        "/api/v1/scaledjobs",
        "/api/v1/processpools",
        "/api/v1/processpools/NAME/logs",
        "/api/v1/scaledobjects/NAME/explain",
      ],
    });
  }

  /** `?tail=N` (default 100, `all`), `?follow=true` keeps the response open for new lines, `?timestamps=true`. */
  function serveLogs(
    name: string,
    namespace: string | undefined,
    params: URLSearchParams,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    const found = source.poolLogs?.(name, namespace);
    if (found === "ambiguous")
      return send(response, 409, { error: `several ProcessPools are named "${name}"; add ?namespace=` });
    if (found === undefined) return send(response, 404, { error: `ProcessPool "${name}" not found` });
    const tailText = params.get("tail") ?? "100";
    const tail = tailText === "all" ? undefined : Number(tailText);
    if (tail !== undefined && !(Number.isInteger(tail) && tail >= 0))
      return send(response, 400, { error: `tail must be a whole number or "all", got "${tailText}"` });
    const timestamps = params.get("timestamps") === "true";
    response.writeHead(200, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    for (const line of found.recent(tail)) response.write(formatLogLine(line, timestamps));
    if (params.get("follow") !== "true" || request.method === "HEAD") {
      response.end();
      return;
    }
    const stop = found.follow((line) => response.write(formatLogLine(line, timestamps)));
    response.once("close", stop);
  }
}

function filter(snapshots: ObjectSnapshot[], namespace: string | undefined): ObjectSnapshot[] {
  return namespace === undefined
    ? snapshots
    : snapshots.filter((snapshot) => snapshot.namespace === namespace);
}
