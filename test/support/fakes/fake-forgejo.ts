/**
 * fake-forgejo: a loopback fake of Forgejo's documented runner jobs API (API v1), as KEDA's
 * forgejo-runner scaler calls it:
 *
 * - `GET /api/v1/admin/runners/jobs?labels=a,b` (the whole instance; site administrators only),
 *   `GET /api/v1/user/actions/runners/jobs?labels=…` (the token's user's repositories),
 *   `GET /api/v1/orgs/{org}/actions/runners/jobs?labels=…` and
 *   `GET /api/v1/repos/{owner}/{repo}/actions/runners/jobs?labels=…`;
 * - authentication by `Authorization: token <access token>` (401 without a known token, 403 when
 *   the user may not see the scope, 404 for an unknown organization or repository);
 * - the answer is a JSON array of ActionRunJob objects (`id`, `repo_id`, `owner_id`, `name`,
 *   `needs`, `runs_on`, `task_id`, `status`): the waiting jobs of the scope that a runner with the
 *   given labels can run (every label of `runs_on` is among them). Errors are
 *   `{"message": …, "url": …}` as Forgejo answers them.
 */
import { sendJson, serveLoopback, type LoopbackServer } from "./loopback.ts";

export interface FakeForgejoJob {
  id: number;
  /** "owner/repo" */
  repo: string;
  name?: string;
  runsOn: string[];
  status?: "waiting" | "running" | "success" | "failure";
}

export interface FakeForgejo extends LoopbackServer {
  /** A user with an access token; an admin sees the whole instance. */
  addUser(user: { name: string; token: string; admin?: boolean; orgs?: string[] }): void;
  /** A repository (owner is a user or an organization). */
  addRepo(fullName: string): void;
  addOrg(name: string): void;
  jobs: FakeForgejoJob[];
}

export async function startFakeForgejo(): Promise<FakeForgejo> {
  const users = new Map<string, { name: string; admin: boolean; orgs: string[] }>();
  const repos = new Set<string>();
  const orgs = new Set<string>();
  const jobs: FakeForgejoJob[] = [];
  const repoIds = new Map<string, number>();
  const idOf = (repo: string) => {
    if (!repoIds.has(repo)) repoIds.set(repo, repoIds.size + 1);
    return repoIds.get(repo) as number;
  };
  const server = await serveLoopback((request, response) => {
    const fail = (status: number, message: string) =>
      sendJson(response, status, { message, url: `${server.origin}/api/swagger` });
    if (request.method !== "GET") return fail(405, "method not allowed");
    const token = /^token (.+)$/i.exec(request.headers.authorization ?? "")?.[1];
    const user = token === undefined ? undefined : users.get(token);
    if (user === undefined) return fail(401, "token is required");
    let inScope: (job: FakeForgejoJob) => boolean;
    let match: RegExpExecArray | null;
    if (request.path === "/api/v1/admin/runners/jobs") {
      if (!user.admin) return fail(403, "reqSiteAdmin");
      inScope = () => true;
    } else if (request.path === "/api/v1/user/actions/runners/jobs") {
      inScope = (job) => job.repo.split("/")[0] === user.name;
    } else if ((match = /^\/api\/v1\/orgs\/([^/]+)\/actions\/runners\/jobs$/.exec(request.path))) {
      const org = decodeURIComponent(match[1] as string);
      if (!orgs.has(org)) return fail(404, "GetOrgByName");
      if (!user.admin && !user.orgs.includes(org)) return fail(403, "must be an organization owner");
      inScope = (job) => job.repo.split("/")[0] === org;
    } else if ((match = /^\/api\/v1\/repos\/([^/]+)\/([^/]+)\/actions\/runners\/jobs$/.exec(request.path))) {
      const repo = `${decodeURIComponent(match[1] as string)}/${decodeURIComponent(match[2] as string)}`;
      const [owner] = repo.split("/");
      if (!repos.has(repo)) return fail(404, "GetRepositoryByName");
      if (!user.admin && owner !== user.name && !user.orgs.includes(owner as string))
        return fail(403, "user should have admin permission of the repository");
      inScope = (job) => job.repo === repo;
    } else {
      return fail(404, "not found");
    }
    const labels = (request.query.get("labels") ?? "")
      .split(",")
      .map((label) => label.trim())
      .filter((label) => label !== "");
    const found = jobs.filter(
      (job) =>
        (job.status ?? "waiting") === "waiting" &&
        inScope(job) &&
        job.runsOn.every((label) => labels.includes(label)),
    );
    sendJson(
      response,
      200,
      found.map((job) => ({
        id: job.id,
        repo_id: idOf(job.repo),
        owner_id: idOf(job.repo.split("/")[0] as string),
        name: job.name ?? `job-${job.id}`,
        needs: [],
        runs_on: job.runsOn,
        task_id: 0,
        status: job.status ?? "waiting",
      })),
    );
  });
  return Object.assign(server, {
    addUser: (user: { name: string; token: string; admin?: boolean; orgs?: string[] }) =>
      void users.set(user.token, { name: user.name, admin: user.admin ?? false, orgs: user.orgs ?? [] }),
    addRepo: (fullName: string) => void repos.add(fullName),
    addOrg: (name: string) => void orgs.add(name),
    jobs,
  });
}
