/**
 * fake-azure-monitor: a loopback fake (HTTPS) of three documented Azure Monitor APIs, on one port,
 * as KEDA's azure-monitor, azure-log-analytics and azure-app-insights scalers call them:
 *
 * - Azure Monitor metrics (Resource Manager): `GET <resource id>/providers/Microsoft.Insights/metrics`
 *   with `api-version`, `metricnames`, `aggregation`, `timespan` (`start/end`) and optional
 *   `$filter` and `metricnamespace`; it answers `{cost, timespan, interval, value: [{id, type,
 *   name: {value}, unit, timeseries: [{metadatavalues, data: [{timeStamp, <aggregation>}]}]}]}`,
 *   or `{"error": {"code": "ResourceNotFound", …}}` (404) and `{"code": "BadRequest", …}` (400)
 *   for an unknown metric;
 * - Log Analytics: `POST /v1/workspaces/{id}/query` with `{query}` (and an optional `timespan`):
 *   `{tables: [{name, columns: [{name, type}], rows}]}`; the answer of a query is what the test
 *   registered for its text, else 400 `BadArgumentError`; an unknown workspace is 404;
 * - Application Insights: `GET /v1/apps/{app}/metrics/{metric}?aggregation=&timespan=&filter=`:
 *   `{"value": {start, end, "<metric>": {"<aggregation>": n}}}`; unknown app 404, unknown metric 400.
 *
 * Every request needs `Authorization: Bearer <token>` with a token the test accepted (tokens of
 * fake-entra, issued for this server's audience); 401 `InvalidAuthenticationToken` otherwise.
 */
import { sendJson, serveLoopback, type LoopbackServer } from "./loopback.ts";

export interface FakeMonitorMetric {
  /** The resource's id: /subscriptions/…/resourceGroups/…/providers/<ns>/<type>/<name> */
  resourceId: string;
  name: string;
  namespace?: string;
  /** Points, oldest first: one object per time grain with the aggregations it has. */
  points: Partial<Record<"average" | "total" | "maximum" | "minimum" | "count", number>>[];
}

export interface FakeLogTable {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export interface FakeAzureMonitor extends LoopbackServer {
  bearerTokens: Set<string>;
  metrics: FakeMonitorMetric[];
  /** Answers of Log Analytics queries, by workspace and query text. */
  setQueryResult(workspace: string, query: string, tables: FakeLogTable[]): void;
  /** Application Insights metric values, by app, metric and aggregation (null is a missing value). */
  setAppMetric(app: string, metric: string, values: Record<string, number | null>): void;
}

export async function startFakeAzureMonitor(): Promise<FakeAzureMonitor> {
  const bearerTokens = new Set<string>();
  const metrics: FakeMonitorMetric[] = [];
  const workspaces = new Map<string, Map<string, FakeLogTable[]>>();
  const apps = new Map<string, Map<string, Record<string, number | null>>>();
  const server = await serveLoopback(
    (request, response) => {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      if (token === undefined || !bearerTokens.has(token)) {
        return sendJson(
          response,
          401,
          {
            error: {
              code: "InvalidAuthenticationToken",
              message: "The access token is invalid or was issued for another audience.",
            },
          },
          {
            "WWW-Authenticate":
              'Bearer authorization_uri="https://login.windows.net/", error="invalid_token"',
          },
        );
      }
      const armMetrics = /^(\/subscriptions\/.+)\/providers\/Microsoft\.Insights\/metrics$/i.exec(
        request.path,
      );
      if (armMetrics && request.method === "GET") {
        const resourceId = decodeURIComponent(armMetrics[1] as string);
        if (!request.query.get("api-version"))
          return sendJson(response, 400, {
            error: {
              code: "MissingApiVersionParameter",
              message: "The api-version query parameter (?api-version=) is required for all requests.",
            },
          });
        const ofResource = metrics.filter(
          (metric) => metric.resourceId.toLowerCase() === resourceId.toLowerCase(),
        );
        if (ofResource.length === 0) {
          return sendJson(response, 404, {
            error: { code: "ResourceNotFound", message: `The Resource '${resourceId}' was not found.` },
          });
        }
        const names = (request.query.get("metricnames") ?? "").split(",");
        const namespace = request.query.get("metricnamespace");
        const aggregations = (request.query.get("aggregation") ?? "Average")
          .split(",")
          .map((item) => item.toLowerCase());
        const timespan = request.query.get("timespan") ?? "";
        const [start, end] = timespan.split("/").map((item) => Date.parse(item));
        if (timespan && (Number.isNaN(start) || Number.isNaN(end)))
          return sendJson(response, 400, { code: "BadRequest", message: `Invalid timespan ${timespan}` });
        const value = [];
        for (const name of names) {
          const metric = ofResource.find(
            (entry) => entry.name === name && (!namespace || entry.namespace === namespace),
          );
          if (metric === undefined) {
            return sendJson(response, 400, {
              code: "BadRequest",
              message: `Failed to find metric configuration for provider: ${resourceId.split("/providers/")[1]}, metric: ${name}, valid metrics: ${ofResource.map((entry) => entry.name).join(",")}`,
            });
          }
          value.push({
            id: `${resourceId}/providers/Microsoft.Insights/metrics/${name}`,
            type: "Microsoft.Insights/metrics",
            name: { value: name, localizedValue: name },
            displayDescription: "",
            unit: "Count",
            errorCode: "Success",
            timeseries: [
              {
                metadatavalues: [],
                data: metric.points.map((point, index) => ({
                  timeStamp: new Date(
                    (end || Date.now()) - (metric.points.length - index) * 60_000,
                  ).toISOString(),
                  ...Object.fromEntries(Object.entries(point).filter(([key]) => aggregations.includes(key))),
                })),
              },
            ],
          });
        }
        return sendJson(response, 200, {
          cost: 0,
          timespan,
          interval: "PT1M",
          value,
          namespace: namespace ?? "",
          resourceregion: "westeurope",
        });
      }
      const logQuery = /^\/v1\/workspaces\/([^/]+)\/query$/.exec(request.path);
      if (logQuery && request.method === "POST") {
        const workspace = workspaces.get(decodeURIComponent(logQuery[1] as string));
        if (workspace === undefined) {
          return sendJson(response, 404, {
            error: { message: `The workspace could not be found`, code: "WorkspaceNotFoundError" },
          });
        }
        let body: { query?: string };
        try {
          body = JSON.parse(request.body) as { query?: string };
        } catch {
          return sendJson(response, 400, {
            error: { message: "The request body is not JSON", code: "BadArgumentError" },
          });
        }
        const tables = workspace.get(body.query ?? "");
        if (tables === undefined) {
          return sendJson(response, 400, {
            error: {
              message: "The request had some invalid properties",
              code: "BadArgumentError",
              innererror: { code: "SyntaxError", message: "A recognition error occurred in the query." },
            },
          });
        }
        return sendJson(response, 200, {
          tables: tables.map((table) => ({
            name: "PrimaryResult",
            columns: table.columns,
            rows: table.rows,
          })),
        });
      }
      const appMetric = /^\/v1\/apps\/([^/]+)\/metrics\/(.+)$/.exec(request.path);
      if (appMetric && request.method === "GET") {
        const app = apps.get(decodeURIComponent(appMetric[1] as string));
        if (app === undefined)
          return sendJson(response, 404, {
            error: { message: "The application could not be found", code: "ApplicationNotFoundError" },
          });
        const metricId = decodeURIComponent(appMetric[2] as string);
        const values = app.get(metricId);
        if (values === undefined)
          return sendJson(response, 400, {
            error: { message: `The metric ${metricId} is not a valid metric`, code: "BadArgumentError" },
          });
        if (!/^P(T(\d+H)?(\d+M)?)$/.test(request.query.get("timespan") ?? ""))
          return sendJson(response, 400, {
            error: { message: "The timespan is not valid", code: "BadArgumentError" },
          });
        const aggregation = request.query.get("aggregation") ?? "avg";
        return sendJson(response, 200, {
          value: {
            start: new Date(Date.now() - 300_000).toISOString(),
            end: new Date().toISOString(),
            [metricId]: aggregation in values ? { [aggregation]: values[aggregation] } : {},
          },
        });
      }
      sendJson(response, 404, {
        error: { code: "NotFound", message: `${request.method} ${request.path} is not served by this fake` },
      });
    },
    { tls: true },
  );
  return Object.assign(server, {
    bearerTokens,
    metrics,
    setQueryResult(workspace: string, query: string, tables: FakeLogTable[]) {
      const ofWorkspace = workspaces.get(workspace) ?? new Map<string, FakeLogTable[]>();
      ofWorkspace.set(query, tables);
      workspaces.set(workspace, ofWorkspace);
    },
    setAppMetric(app: string, metric: string, values: Record<string, number | null>) {
      const ofApp = apps.get(app) ?? new Map<string, Record<string, number | null>>();
      ofApp.set(metric, values);
      apps.set(app, ofApp);
    },
  });
}
