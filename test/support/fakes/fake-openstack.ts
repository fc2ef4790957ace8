/**
 * fake-openstack: a loopback fake of the documented OpenStack APIs KEDA's openstack-metric and
 * openstack-swift scalers call, on one port:
 *
 * - Keystone (Identity v3): `POST /v3/auth/tokens` with the password method (user id, password,
 *   optional project scope; unscoped requests get the user's default project) or the
 *   application_credential method (id, secret); it answers 201 with the token in
 *   `X-Subject-Token` and `{"token": {"methods", "expires_at", "project", "catalog"}}`, or 401
 *   `{"error": {"code", "title", "message"}}`. `HEAD /v3/auth/tokens` checks `X-Subject-Token`
 *   with `X-Auth-Token` (401 for a bad authority, 404 for an unknown subject).
 * - Gnocchi: `GET /v1/metric/{id}/measures?aggregation=&granularity=&start=` with `X-Auth-Token`
 *   of the metric's project: `[[timestamp, granularity, value], …]` from `start` on, oldest first;
 *   404 `{"code", "description", "title"}` for an unknown metric or aggregation.
 * - Swift: `HEAD /v1/AUTH_{project}/{container}` with `X-Auth-Token` of that project: 204 with
 *   `X-Container-Object-Count` and `X-Container-Bytes-Used`; 404 for an unknown container, 403
 *   for another project's account, 401 without a valid token.
 *
 * The catalog names Swift (`object-store`, region RegionOne) and Gnocchi (`metric`) at this
 * server. `revokeTokens()` makes every issued token invalid, as their expiry would.
 */
import { randomBytes } from "node:crypto";
import { sendJson, serveLoopback, type LoopbackServer } from "./loopback.ts";

export interface FakeOpenStack extends LoopbackServer {
  addUser(user: { id: string; password: string; defaultProject: string; projects?: string[] }): void;
  addAppCredential(credential: { id: string; secret: string; project: string }): void;
  /** A Gnocchi metric of `project` with points (timestamps default to now) at `granularity` seconds. */
  addMetric(metric: {
    id: string;
    project: string;
    granularity: number;
    aggregations?: string[];
    points: { value: number; at?: number }[];
  }): void;
  /** A Swift container of `project` with `objects` objects. */
  setContainer(project: string, container: string, objects: number): void;
  revokeTokens(): void;
  /** Swift's account URL of a project, as the catalog names it. */
  swiftUrl(project: string): string;
}

interface Metric {
  project: string;
  granularity: number;
  aggregations: string[];
  points: { value: number; at?: number }[];
}

export async function startFakeOpenStack(): Promise<FakeOpenStack> {
  const users = new Map<string, { password: string; defaultProject: string; projects: string[] }>();
  const appCredentials = new Map<string, { secret: string; project: string }>();
  const tokens = new Map<string, string>(); // token -> project
  const metrics = new Map<string, Metric>();
  const containers = new Map<string, number>(); // "project/container" -> objects
  let origin = "";

  const keystoneError = (status: number, title: string, message: string) => ({
    error: { code: status, title, message },
  });

  const server = await serveLoopback((request, response) => {
    const tokenProject = tokens.get(String(request.headers["x-auth-token"] ?? ""));
    if (request.path === "/v3/auth/tokens" && request.method === "POST") {
      let project: string | undefined;
      try {
        const body = JSON.parse(request.body) as {
          auth?: {
            identity?: {
              methods?: string[];
              password?: { user?: { id?: string; password?: string } };
              application_credential?: { id?: string; secret?: string };
            };
            scope?: { project?: { id?: string } };
          };
        };
        const identity = body.auth?.identity;
        if (identity?.methods?.[0] === "password") {
          const user = users.get(identity.password?.user?.id ?? "");
          if (user && user.password === identity.password?.user?.password) {
            const scoped = body.auth?.scope?.project?.id;
            project =
              scoped === undefined
                ? user.defaultProject
                : user.projects.includes(scoped)
                  ? scoped
                  : undefined;
          }
        } else if (identity?.methods?.[0] === "application_credential") {
          const credential = appCredentials.get(identity.application_credential?.id ?? "");
          if (credential && credential.secret === identity.application_credential?.secret)
            project = credential.project;
        } else {
          return sendJson(
            response,
            400,
            keystoneError(400, "Bad Request", "Invalid input for field 'identity'."),
          );
        }
      } catch {
        return sendJson(response, 400, keystoneError(400, "Bad Request", "Malformed request body."));
      }
      if (project === undefined) {
        return sendJson(
          response,
          401,
          keystoneError(401, "Unauthorized", "The request you have made requires authentication."),
        );
      }
      const token = `gAAAAA${randomBytes(24).toString("base64url")}`;
      tokens.set(token, project);
      return sendJson(
        response,
        201,
        {
          token: {
            methods: ["password"],
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
            project: { id: project, name: project, domain: { id: "default", name: "Default" } },
            catalog: [
              {
                type: "object-store",
                name: "swift",
                id: "swift",
                endpoints: [
                  {
                    id: "s1",
                    interface: "public",
                    region: "RegionOne",
                    region_id: "RegionOne",
                    url: `${origin}/v1/AUTH_${project}`,
                  },
                  {
                    id: "s2",
                    interface: "internal",
                    region: "RegionOne",
                    region_id: "RegionOne",
                    url: `${origin}/v1/AUTH_${project}`,
                  },
                ],
              },
              {
                type: "metric",
                name: "gnocchi",
                id: "gnocchi",
                endpoints: [
                  { id: "g1", interface: "public", region: "RegionOne", region_id: "RegionOne", url: origin },
                ],
              },
            ],
          },
        },
        { "X-Subject-Token": token },
      );
    }
    if (request.path === "/v3/auth/tokens" && request.method === "HEAD") {
      if (tokenProject === undefined) return response.writeHead(401).end();
      return response
        .writeHead(tokens.has(String(request.headers["x-subject-token"] ?? "")) ? 200 : 404)
        .end();
    }
    const measures = /^\/v1\/metric\/([^/]+)\/measures$/.exec(request.path);
    if (measures && request.method === "GET") {
      const notFound = (description: string) =>
        sendJson(response, 404, { code: 404, description, title: "Not Found" });
      if (tokenProject === undefined) {
        return sendJson(response, 401, {
          code: 401,
          description: "The request you have made requires authentication.",
          title: "Unauthorized",
        });
      }
      const id = decodeURIComponent(measures[1] as string);
      const metric = metrics.get(id);
      if (metric === undefined || metric.project !== tokenProject)
        return notFound(`Metric ${id} does not exist`);
      const aggregation = request.query.get("aggregation") ?? "mean";
      if (!metric.aggregations.includes(aggregation))
        return notFound(`Aggregation method '${aggregation}' for metric ${id} does not exist`);
      const granularity = Number(request.query.get("granularity") ?? metric.granularity);
      if (granularity !== metric.granularity)
        return notFound(`Granularity '${granularity}.0' for metric ${id} does not exist`);
      const startText = request.query.get("start");
      const start = startText ? Date.parse(`${startText}Z`) : 0;
      if (Number.isNaN(start)) {
        return sendJson(response, 400, {
          code: 400,
          description: `Invalid value for start: ${startText}`,
          title: "Bad Request",
        });
      }
      const now = Date.now();
      const bucket = granularity * 1000;
      const rows = metric.points
        .map((point) => ({ ...point, at: Math.floor((point.at ?? now) / bucket) * bucket }))
        .filter((point) => point.at >= start)
        .sort((a, b) => a.at - b.at)
        .map((point) => [
          new Date(point.at).toISOString().replace(".000Z", "+00:00"),
          granularity,
          point.value,
        ]);
      return sendJson(response, 200, rows);
    }
    const container = /^\/v1\/AUTH_([^/]+)\/([^/]+)$/.exec(request.path);
    if (container && request.method === "HEAD") {
      const [, project, name] = container as unknown as [string, string, string];
      if (tokenProject === undefined) return response.writeHead(401).end();
      if (tokenProject !== project) return response.writeHead(403).end();
      const objects = containers.get(`${project}/${decodeURIComponent(name)}`);
      if (objects === undefined) return response.writeHead(404).end();
      return response
        .writeHead(204, {
          "X-Container-Object-Count": String(objects),
          "X-Container-Bytes-Used": String(objects * 1024),
          "X-Timestamp": String(Date.now() / 1000),
        })
        .end();
    }
    sendJson(
      response,
      404,
      keystoneError(404, "Not Found", `${request.method} ${request.path} is not served by this fake`),
    );
  });
  origin = server.origin;
  return Object.assign(server, {
    addUser: (user: { id: string; password: string; defaultProject: string; projects?: string[] }) =>
      void users.set(user.id, {
        password: user.password,
        defaultProject: user.defaultProject,
        projects: user.projects ?? [user.defaultProject],
      }),
    addAppCredential: (credential: { id: string; secret: string; project: string }) =>
      void appCredentials.set(credential.id, { secret: credential.secret, project: credential.project }),
    addMetric: (metric: {
      id: string;
      project: string;
      granularity: number;
      aggregations?: string[];
      points: { value: number; at?: number }[];
    }) =>
      void metrics.set(metric.id, {
        project: metric.project,
        granularity: metric.granularity,
        aggregations: metric.aggregations ?? ["mean", "max", "min", "sum", "count", "last"],
        points: metric.points,
      }),
    setContainer: (project: string, name: string, objects: number) =>
      void containers.set(`${project}/${name}`, objects),
    revokeTokens: () => tokens.clear(),
    swiftUrl: (project: string) => `${origin}/v1/AUTH_${project}`,
  });
}
