import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import type { TidalMetrics } from "../../observability/metrics.ts";
import type { ObjectSnapshot } from "../snapshot.ts";
import { findObject, objectDetail } from "./dashboard.ts";
import { LiveUpdates } from "./live.ts";
import { formatLogLine, type DashboardSource, type StatusSource } from "./source.ts";

export interface StatusServerOptions {
  status: StatusSource;
  dashboard: DashboardSource;
  /** Serves /metrics (tidal run); the operator serves its metrics on its monitoring port. */
  metrics?: TidalMetrics;
  /**
   * The server listens on loopback only: requests must name a loopback host, so a web page
   * elsewhere cannot reach the API through a DNS name that resolves to 127.0.0.1.
   */
  loopbackOnly: boolean;
  /** How often live updates are sent (default 1 s). */
  tickMs?: number;
}

/** A server with its live updates, which `close` ends (they would keep the server open). */
export interface StatusServer {
  server: Server;
  close(): Promise<void>;
}

const ROUTES = [
  "/healthz",
  "/metrics",
  "/dashboard/",
  "/api/v1/scaledobjects",
  "/api/v1/scaledjobs",
  "/api/v1/processpools",
  "/api/v1/processpools/NAME/logs",
  "/api/v1/scaledobjects/NAME/explain",
  "/api/v1/dashboard/overview",
  "/api/v1/dashboard/objects/KIND/NAMESPACE/NAME",
  "/api/v1/dashboard/stream[?object=KIND/NAMESPACE/NAME]",
];

interface Asset {
  type: string;
  body: Buffer;
}

const page = (name: string) => fileURLToPath(new URL(`./page/${name}`, import.meta.url));
const vendor = (name: string) => createRequire(import.meta.url).resolve(`uplot/dist/${name}`);

/** The page's files, read once: small, and served from memory. */
function loadAssets(): Map<string, Asset> {
  const files: [string, string, string][] = [
    ["/dashboard/", page("index.html"), "text/html; charset=utf-8"],
    ["/dashboard/app.js", page("app.js"), "text/javascript; charset=utf-8"],
    ["/dashboard/charts.js", page("charts.js"), "text/javascript; charset=utf-8"],
    ["/dashboard/format.js", page("format.js"), "text/javascript; charset=utf-8"],
    ["/dashboard/style.css", page("style.css"), "text/css; charset=utf-8"],
    ["/dashboard/favicon.svg", page("favicon.svg"), "image/svg+xml"],
    ["/dashboard/vendor/uPlot.esm.js", vendor("uPlot.esm.js"), "text/javascript; charset=utf-8"],
    ["/dashboard/vendor/uPlot.min.css", vendor("uPlot.min.css"), "text/css; charset=utf-8"],
  ];
  return new Map(files.map(([path, file, type]) => [path, { type, body: readFileSync(file) }]));
}

/** Scripts, styles, data and images from the page's own origin only. */
const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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

/** The Host header names this machine (127.0.0.0/8, ::1 or localhost), with any port. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  return name === "localhost" || name === "::1" || /^127(?:\.\d{1,3}){3}$/.test(name);
}

/**
 * The status API and the dashboard, the same for `tidal run` and `tidal operator`: health, the
 * objects' snapshots and decision traces, the dashboard's page (plain ES modules and uPlot, served
 * from here: nothing is fetched from elsewhere), its JSON and its live updates (Server-Sent
 * Events), and for `tidal run` Prometheus metrics.
 */
export function createStatusServer(options: StatusServerOptions): StatusServer {
  const { status, dashboard, metrics } = options;
  const assets = loadAssets();
  const live = new LiveUpdates(dashboard, options.tickMs === undefined ? {} : { tickMs: options.tickMs });
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        send(response, 500, { error: error instanceof Error ? error.message : String(error) });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (options.loopbackOnly && !isLoopbackHost(request.headers.host)) {
      send(response, 403, { error: "this server answers only requests addressed to 127.0.0.1 or localhost" });
      return;
    }
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method !== "GET" && request.method !== "HEAD") {
      send(response, 405, { error: "only GET is supported" });
      return;
    }
    const namespace = url.searchParams.get("namespace") ?? undefined;
    if (url.pathname === "/dashboard") {
      // Relative, so the page also works behind a proxy that adds a path prefix.
      response.writeHead(308, { location: "dashboard/" }).end();
      return;
    }
    const asset = assets.get(url.pathname);
    if (asset !== undefined) {
      response.writeHead(200, {
        "content-type": asset.type,
        "content-length": asset.body.length,
        "cache-control": "no-cache",
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer",
        ...(asset.type.startsWith("text/html") ? { "content-security-policy": CONTENT_SECURITY_POLICY } : {}),
      });
      response.end(request.method === "HEAD" ? undefined : asset.body);
      return;
    }
    const path = url.pathname.replace(/\/+$/, "") || "/";
    if (path === "/") {
      response.writeHead(302, { location: "dashboard/" }).end();
      return;
    }
    if (path === "/healthz" || path === "/readyz") return send(response, 200, "ok\n", "text/plain");
    if (path === "/metrics" && metrics !== undefined) {
      // `?name=METRIC` (repeatable) returns only those metrics: cheap with thousands of objects.
      const { contentType, body } = await metrics.text(url.searchParams.getAll("name"));
      return send(response, 200, body, contentType);
    }
    if (path.startsWith("/api/v1/dashboard/")) return dashboardApi(path, url, response);
    if (path === "/api/v1/scaledobjects")
      return send(response, 200, filter(status.scaledObjects(), namespace));
    if (path === "/api/v1/scaledjobs") return send(response, 200, filter(status.scaledJobs(), namespace));
    if (path === "/api/v1/processpools") return send(response, 200, status.processPools());
    const logs = /^\/api\/v1\/processpools\/([^/]+)\/logs$/.exec(path);
    if (logs) return serveLogs(decodeURIComponent(logs[1]!), namespace, url.searchParams, request, response);
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
        const trace = status.trace(name, namespace);
        if (trace === "ambiguous")
          return send(response, 409, { error: `several ScaledObjects are named "${name}"; add ?namespace=` });
        if (trace === undefined)
          return send(response, 404, {
            error: `no decision yet for ScaledObject "${name}" (unknown, or not evaluated yet)`,
          });
        return send(response, 200, trace);
      }
      if (view === "events") return send(response, 200, status.events(kind, name, namespace));
      const all = kind === "ScaledObject" ? status.scaledObjects() : status.scaledJobs();
      const found = filter(all, namespace).filter((snapshot) => snapshot.name === name);
      if (found.length === 0) return send(response, 404, { error: `${kind} "${name}" not found` });
      return send(response, 200, { ...found[0], events: status.events(kind, name, found[0]?.namespace) });
    }
    send(response, 404, { error: `no route for ${path}`, routes: ROUTES });
  }

  /** `?tail=N` (default 100, `all`), `?follow=true` keeps the response open for new lines, `?timestamps=true`. */
  function serveLogs(
    name: string,
    namespace: string | undefined,
    params: URLSearchParams,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    const found = status.poolLogs?.(name, namespace);
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

  async function dashboardApi(path: string, url: URL, response: ServerResponse): Promise<void> {
    if (path === "/api/v1/dashboard/overview") return send(response, 200, live.overview());
    if (path === "/api/v1/dashboard/stream") {
      const object = url.searchParams.get("object") ?? undefined;
      return live.attach(response, object);
    }
    const prefix = "/api/v1/dashboard/objects/";
    if (path.startsWith(prefix)) {
      const parts = path.slice(prefix.length).split("/").map(decodedName);
      if (parts.includes(undefined))
        return send(response, 400, { error: "the name in the path is not valid percent-encoded UTF-8" });
      const key = parts.join("/");
      const object = findObject(dashboard, key);
      if (object === undefined) return send(response, 404, { error: `no object ${key}` });
      return send(response, 200, await objectDetail(object, dashboard));
    }
    send(response, 404, { error: `no route for ${path}`, routes: ROUTES });
  }

  return {
    server,
    async close() {
      live.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function filter(snapshots: ObjectSnapshot[], namespace: string | undefined): ObjectSnapshot[] {
  return namespace === undefined
    ? snapshots
    : snapshots.filter((snapshot) => snapshot.namespace === namespace);
}

/** A path segment decoded, or undefined when it is not valid percent-encoded UTF-8 (`%ff`, `%`). */
function decodedName(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}
