import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { DecisionTrace } from "../../engine/types.ts";
import type { TidalMetrics } from "../../observability/metrics.ts";
import type { RuntimeEvent } from "../events.ts";
import type { ObjectSnapshot } from "../snapshot.ts";

/** What the status API reads from the running runtime. */
export interface StatusSource {
  scaledObjects(): ObjectSnapshot[];
  scaledJobs(): ObjectSnapshot[];
  /** The last decision trace of a ScaledObject (namespace optional when the name is unique). */
  trace(name: string, namespace?: string): DecisionTrace | undefined | "ambiguous";
  events(kind: string, name: string, namespace?: string): RuntimeEvent[];
  /** ProcessPools and their workers (state, restarts, last exit). */
  processPools(): unknown[];
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
    const match = /^\/api\/v1\/(scaledobjects|scaledjobs)\/([^/]+)(?:\/(explain|events))?$/.exec(path);
    if (match) {
      const [, collection, rawName, view] = match as unknown as [string, string, string, string | undefined];
      const name = decodedName(rawName);
      if (name === undefined)
        return send(response, 400, { error: "the name in the path is not valid percent-encoded UTF-8" });
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
        "/api/v1/scaledobjects/NAME/explain",
      ],
    });
  }
}

/** A path segment decoded, or undefined when it is not valid percent-encoded UTF-8 (`%ff`, `%`). */
function decodedName(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

function filter(snapshots: ObjectSnapshot[], namespace: string | undefined): ObjectSnapshot[] {
  return namespace === undefined
    ? snapshots
    : snapshots.filter((snapshot) => snapshot.namespace === namespace);
}
