/**
 * fake-huawei-cloudeye: a loopback fake of the Huawei Cloud APIs KEDA's huawei-cloudeye scaler
 * calls, on one port, each request checked for its AK/SK signature (`SDK-HMAC-SHA256`: the
 * credential's access key is known, X-Sdk-Date is within 15 minutes, and the signature over the
 * signed headers, path, query and body matches the secret key), else 401 with the API gateway's
 * `{"error_msg", "error_code": "APIGW.0301", "request_id"}`:
 *
 * - IAM (identity v3): `GET /v3/services` and `GET /v3/endpoints`, the catalog, whose `cesv1`
 *   endpoint is `<this server>/V1.0/$(tenant_id)s`;
 * - Cloud Eye: `POST /V1.0/{project_id}/batch-query-metric-data` with `{metrics: [{namespace,
 *   dimensions: [{name, value}], metric_name}], from, to, period, filter}` (X-Project-Id must be
 *   the path's project): `{"metrics": [{namespace, metric_name, dimensions, datapoints:
 *   [{<filter>: n, timestamp}], unit}]}`, no datapoints for an unknown metric or resource; a
 *   malformed query is 400 `{"message", "code", "details": {"details", "code": "ces.0014"}}`.
 */
import { huaweiCanonicalRequest, huaweiSignature } from "../../../src/auth/identity/huawei.ts";
import { sendJson, serveLoopback, type LoopbackRequest, type LoopbackServer } from "./loopback.ts";

export interface FakeCloudEyeSeries {
  project: string;
  namespace: string;
  metricName: string;
  dimension: { name: string; value: string };
  /** Datapoints, oldest first, each with the aggregations it has; timestamps default to now. */
  datapoints: { at?: number; average?: number; max?: number; min?: number; sum?: number }[];
}

export interface FakeHuaweiCloudEye extends LoopbackServer {
  /** Access keys and their secret keys. */
  credentials: Map<string, string>;
  series: FakeCloudEyeSeries[];
}

function signatureProblem(request: LoopbackRequest, credentials: Map<string, string>): string | undefined {
  const authorization = request.headers.authorization ?? "";
  const match =
    /^SDK-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/\/\/sdk_request, SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(
      authorization,
    );
  if (!match)
    return "Incorrect IAM authentication information: Authorization header is not an AK/SK signature";
  const [, accessKey, , signedList, signature] = match as unknown as [string, string, string, string, string];
  const secret = credentials.get(accessKey);
  if (secret === undefined)
    return "Incorrect IAM authentication information: ak " + accessKey.slice(0, 4) + "*** not exist";
  const date = String(request.headers["x-sdk-date"] ?? "");
  const time = Date.parse(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
  if (Number.isNaN(time) || Math.abs(Date.now() - time) > 15 * 60_000)
    return "Incorrect IAM authentication information: x-sdk-date is too old or malformed";
  const signed = signedList.split(";");
  const headers: Record<string, string> = {};
  for (const name of signed) headers[name] = String(request.headers[name] ?? "");
  const canonical = huaweiCanonicalRequest(
    {
      method: request.method,
      url: new URL(`http://${headers.host}${request.path}?${request.query}`),
      headers,
      body: request.body,
    },
    signed,
  );
  if (huaweiSignature(canonical, date, secret) !== signature)
    return "Incorrect IAM authentication information: verify aksk signature fail";
  return undefined;
}

export async function startFakeHuaweiCloudEye(): Promise<FakeHuaweiCloudEye> {
  const credentials = new Map<string, string>();
  const series: FakeCloudEyeSeries[] = [];
  let origin = "";
  const server = await serveLoopback((request, response) => {
    const problem = signatureProblem(request, credentials);
    if (problem !== undefined)
      return sendJson(response, 401, { error_msg: problem, error_code: "APIGW.0301", request_id: "fake" });
    if (request.method === "GET" && request.path === "/v3/services") {
      return sendJson(response, 200, {
        services: [
          { id: "svc-ces", type: "cesv1", name: "ces", enabled: true },
          { id: "svc-ecs", type: "compute", name: "ecs", enabled: true },
        ],
        links: { self: `${origin}/v3/services`, next: null, previous: null },
      });
    }
    if (request.method === "GET" && request.path === "/v3/endpoints") {
      return sendJson(response, 200, {
        endpoints: [
          {
            id: "ep-1",
            service_id: "svc-ces",
            region: "cn-north-1",
            interface: "public",
            url: `${origin}/V1.0/$(tenant_id)s`,
            enabled: true,
          },
          {
            id: "ep-2",
            service_id: "svc-ecs",
            region: "cn-north-1",
            interface: "public",
            url: `${origin}/v2/$(tenant_id)s`,
            enabled: true,
          },
        ],
        links: { self: `${origin}/v3/endpoints`, next: null, previous: null },
      });
    }
    const batch = /^\/V1\.0\/([^/]+)\/batch-query-metric-data$/.exec(request.path);
    if (request.method === "POST" && batch) {
      const project = decodeURIComponent(batch[1] as string);
      const invalid = (details: string) =>
        sendJson(response, 400, {
          message: "Some content in message body is incorrect",
          code: 400,
          details: { details, code: "ces.0014" },
          element: "",
        });
      if (request.headers["x-project-id"] !== project)
        return invalid("X-Project-Id does not match the project");
      let body: {
        metrics?: {
          namespace?: string;
          metric_name?: string;
          dimensions?: { name?: string; value?: string }[];
        }[];
        from?: number;
        to?: number;
        period?: string;
        filter?: string;
      };
      try {
        body = JSON.parse(request.body) as typeof body;
      } catch {
        return invalid("the body is not JSON");
      }
      if (
        !body.metrics?.length ||
        typeof body.from !== "number" ||
        typeof body.to !== "number" ||
        body.from >= body.to
      )
        return invalid("metrics, from and to are required, from before to");
      if (!["1", "300", "1200", "3600", "14400", "86400"].includes(body.period ?? ""))
        return invalid("period is invalid");
      const filter = body.filter ?? "";
      if (!["average", "max", "min", "sum"].includes(filter)) return invalid("filter is invalid");
      const now = Date.now();
      return sendJson(response, 200, {
        metrics: body.metrics.map((metric) => {
          const dimension = metric.dimensions?.[0];
          const found = series.find(
            (entry) =>
              entry.project === project &&
              entry.namespace === metric.namespace &&
              entry.metricName === metric.metric_name &&
              entry.dimension.name === dimension?.name &&
              entry.dimension.value === dimension?.value,
          );
          return {
            namespace: metric.namespace,
            metric_name: metric.metric_name,
            dimensions: metric.dimensions,
            datapoints: (found?.datapoints ?? [])
              .map((point) => ({ ...point, at: point.at ?? now - 60_000 }))
              .filter(
                (point) => point.at >= (body.from as number) && point.at <= (body.to as number) + 60_000,
              )
              .filter((point) => typeof point[filter as "average"] === "number")
              .map((point) => ({ [filter]: point[filter as "average"], timestamp: point.at })),
            unit: "count/s",
          };
        }),
      });
    }
    sendJson(response, 404, {
      error_msg: `${request.method} ${request.path} not found`,
      error_code: "APIGW.0101",
      request_id: "fake",
    });
  });
  origin = server.origin;
  return Object.assign(server, { credentials, series });
}
