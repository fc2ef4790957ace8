/**
 * fake-github: a loopback fake of the parts of GitHub's documented REST API that KEDA's
 * github-runner scaler calls:
 *
 * - `GET /orgs/{org}/repos?page=N` and `GET /users/{user}/repos?page=N` (30 repositories a page);
 * - `GET /repos/{owner}/{repo}/actions/runs?status=…&per_page=…` (`{total_count, workflow_runs}`,
 *   each run with `id`, `status` and `repository.name`) and
 *   `GET /repos/{owner}/{repo}/actions/runs/{run_id}/jobs?per_page=…` (`{total_count, jobs}`,
 *   each job with `status` and `labels`);
 * - `POST /app/installations/{id}/access_tokens` with `Authorization: Bearer <JWT>`: the JWT must
 *   be RS256, signed with the app's key, issued by the app id, unexpired and at most 10 minutes
 *   long; it answers 201 `{token, expires_at}`.
 *
 * Reads take `Authorization: Bearer|token <personal access token or installation token>` (401
 * `{"message": "Bad credentials"}` otherwise), a supported `X-GitHub-Api-Version` when one is
 * sent (400 otherwise), and answer with `ETag` and the `X-RateLimit-*` headers; a matching
 * `If-None-Match` is 304 and costs nothing; with no requests left, 403 "API rate limit exceeded".
 * An unknown owner or repository is 404 `{"message": "Not Found"}`.
 */
import { createHash, randomBytes, verify, type KeyObject } from "node:crypto";
import { sendJson, serveLoopback, type LoopbackServer } from "./loopback.ts";

export interface FakeGithubRun {
  id: number;
  status: "queued" | "in_progress" | "completed";
  /** Jobs of the run: status and labels. */
  jobs: { status: "queued" | "in_progress" | "completed"; labels: string[] }[];
}

export interface FakeGithub extends LoopbackServer {
  /** Personal access tokens the API accepts. */
  tokens: Set<string>;
  /** A GitHub App and one installation of it; its installation tokens are accepted too. */
  addApp(app: { id: number; installationId: number; publicKey: KeyObject }): void;
  /** An owner (organization or user) and its repositories' runs. */
  addOwner(owner: { login: string; kind: "org" | "user" }): void;
  addRepo(owner: string, name: string, runs?: FakeGithubRun[]): void;
  runs(owner: string, name: string): FakeGithubRun[];
  /** Requests left before the rate limit answers 403 (default: plenty). */
  rateLimit: { remaining: number; reset: number };
}

const DOCS = "https://docs.github.com/rest";

export async function startFakeGithub(): Promise<FakeGithub> {
  const tokens = new Set<string>();
  const apps = new Map<number, { installationId: number; publicKey: KeyObject }>();
  const installationTokens = new Set<string>();
  const owners = new Map<string, "org" | "user">();
  const repos = new Map<string, FakeGithubRun[]>();
  const rateLimit = { remaining: 5000, reset: Math.floor(Date.now() / 1000) + 3600 };

  const server = await serveLoopback((request, response) => {
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      sendJson(response, status, body, headers);
    const fail = (status: number, message: string, headers: Record<string, string> = {}) =>
      answer(status, { message, documentation_url: DOCS }, headers);

    const installation = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(request.path);
    if (installation && request.method === "POST") {
      const jwt = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      const problem =
        jwt === undefined ? "A JSON web token could not be decoded" : checkJwt(jwt, Number(installation[1]));
      if (problem !== undefined) return fail(401, problem);
      const token = `ghs_${randomBytes(18).toString("base64url")}`;
      installationTokens.add(token);
      return answer(201, {
        token,
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        permissions: { actions: "read", metadata: "read" },
      });
    }

    const credential = /^(?:Bearer|token) (.+)$/i.exec(request.headers.authorization ?? "")?.[1];
    if (credential === undefined || (!tokens.has(credential) && !installationTokens.has(credential)))
      return fail(401, "Bad credentials");
    const version = request.headers["x-github-api-version"];
    if (version !== undefined && version !== "2022-11-28")
      return fail(400, `API version ${String(version)} is not supported.`);
    if (request.method !== "GET") return fail(404, "Not Found");

    let body: unknown;
    let match: RegExpExecArray | null;
    if ((match = /^\/(orgs|users)\/([^/]+)\/repos$/.exec(request.path))) {
      const login = decodeURIComponent(match[2] as string);
      const kind = owners.get(login);
      if (kind === undefined || (match[1] === "orgs") !== (kind === "org")) return fail(404, "Not Found");
      const page = Number(request.query.get("page") ?? "1");
      const names = [...repos.keys()]
        .filter((key) => key.startsWith(`${login}/`))
        .map((key) => key.split("/")[1] as string);
      body = names.slice((page - 1) * 30, page * 30).map((name, index) => ({
        id: index + 1,
        name,
        full_name: `${login}/${name}`,
        owner: { login, type: kind === "org" ? "Organization" : "User" },
      }));
    } else if ((match = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs$/.exec(request.path))) {
      const key = `${decodeURIComponent(match[1] as string)}/${decodeURIComponent(match[2] as string)}`;
      const runs = repos.get(key);
      if (runs === undefined) return fail(404, "Not Found");
      const status = request.query.get("status");
      const selected = runs.filter((run) => status === null || run.status === status);
      body = {
        total_count: selected.length,
        workflow_runs: selected.map((run) => ({
          id: run.id,
          name: "CI",
          status: run.status,
          conclusion: null,
          repository: { name: key.split("/")[1], full_name: key },
        })),
      };
    } else if ((match = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/jobs$/.exec(request.path))) {
      const key = `${decodeURIComponent(match[1] as string)}/${decodeURIComponent(match[2] as string)}`;
      const run = repos.get(key)?.find((entry) => entry.id === Number(match?.[3]));
      if (run === undefined) return fail(404, "Not Found");
      body = {
        total_count: run.jobs.length,
        jobs: run.jobs.map((job, index) => ({
          id: run.id * 100 + index,
          run_id: run.id,
          status: job.status,
          labels: job.labels,
          name: `job-${index}`,
        })),
      };
    } else {
      return fail(404, "Not Found");
    }

    const text = JSON.stringify(body);
    const etag = `W/"${createHash("sha256").update(text).digest("hex").slice(0, 32)}"`;
    const limits = () => ({
      "X-RateLimit-Limit": "5000",
      "X-RateLimit-Remaining": String(rateLimit.remaining),
      "X-RateLimit-Reset": String(rateLimit.reset),
    });
    if (request.headers["if-none-match"] === etag)
      return response.writeHead(304, { ETag: etag, ...limits() }).end();
    if (rateLimit.remaining <= 0) return fail(403, "API rate limit exceeded for installation.", limits());
    rateLimit.remaining -= 1;
    response
      .writeHead(200, { "content-type": "application/json; charset=utf-8", ETag: etag, ...limits() })
      .end(text);
  });

  function checkJwt(jwt: string, installationId: number): string | undefined {
    const [header, payload, signature] = jwt.split(".");
    if (!header || !payload || !signature) return "A JSON web token could not be decoded";
    let claims: { iss?: unknown; iat?: number; exp?: number };
    try {
      if ((JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: string }).alg !== "RS256")
        return "A JSON web token could not be decoded";
      claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as typeof claims;
    } catch {
      return "A JSON web token could not be decoded";
    }
    const app = apps.get(Number(claims.iss));
    if (app === undefined) return "Integration not found";
    if (
      !verify(
        "RSA-SHA256",
        Buffer.from(`${header}.${payload}`),
        app.publicKey,
        Buffer.from(signature, "base64url"),
      )
    )
      return "A JSON web token could not be decoded";
    const now = Date.now() / 1000;
    if (
      typeof claims.exp !== "number" ||
      typeof claims.iat !== "number" ||
      claims.exp < now ||
      claims.exp - claims.iat > 600
    )
      return "'Expiration time' claim ('exp') is too far in the future";
    if (app.installationId !== installationId) return "Not Found";
    return undefined;
  }

  return Object.assign(server, {
    tokens,
    addApp: (app: { id: number; installationId: number; publicKey: KeyObject }) =>
      void apps.set(app.id, { installationId: app.installationId, publicKey: app.publicKey }),
    addOwner: (owner: { login: string; kind: "org" | "user" }) => void owners.set(owner.login, owner.kind),
    addRepo: (owner: string, name: string, runs: FakeGithubRun[] = []) =>
      void repos.set(`${owner}/${name}`, runs),
    runs: (owner: string, name: string) => repos.get(`${owner}/${name}`) ?? [],
    rateLimit,
  });
}
