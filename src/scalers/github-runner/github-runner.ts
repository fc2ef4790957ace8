import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { HttpClient } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";
import { appPrivateKey, githubMessage, InstallationToken } from "./github-app.ts";

const FROM_ENV = ["metadata", "env"] as const;

const params = {
  githubApiURL: param.string({
    sources: FROM_ENV,
    default: "https://api.github.com",
    description: "GitHub's REST API (GitHub Enterprise Server: https://<host>/api/v3)",
  }),
  owner: param.string({
    sources: FROM_ENV,
    description: "the organization, enterprise or user that owns the repositories",
  }),
  runnerScope: param.enum(["org", "ent", "repo"] as const, {
    sources: FROM_ENV,
    description: "where the runners are registered: org, ent (enterprise) or repo",
  }),
  personalAccessToken: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "a personal access token (or give a GitHub App's applicationID, installationID and appKey)",
  }),
  repos: param.list({
    sources: FROM_ENV,
    optional: true,
    description: "comma-separated repositories to read (default: every repository of the owner)",
  }),
  labels: param.list({
    sources: FROM_ENV,
    optional: true,
    description:
      "the runner's labels: a job counts when each of its labels is one of these (or a default label)",
  }),
  noDefaultLabels: param.bool({
    sources: FROM_ENV,
    default: false,
    description: "do not add the default labels self-hosted, linux and x64 to the runner's",
  }),
  enableEtags: param.bool({
    sources: FROM_ENV,
    default: false,
    description:
      "send If-None-Match and reuse unchanged answers (GitHub does not count them against the rate limit)",
  }),
  matchUnlabeledJobsWithUnlabeledRunners: param.bool({
    sources: FROM_ENV,
    default: false,
    description: "a job without labels counts only when the runner has no labels",
  }),
  targetWorkflowQueueLength: param.int({
    sources: FROM_ENV,
    default: 1,
    description: "target number of queued jobs per replica; active from this many",
  }),
  // Integers, read as text so that the checks between them also run when one comes from an
  // environment `tidal validate` cannot see.
  applicationID: param.string({
    sources: FROM_ENV,
    optional: true,
    description: "GitHub App id (an integer)",
  }),
  installationID: param.string({
    sources: FROM_ENV,
    optional: true,
    description: "GitHub App installation id (an integer)",
  }),
  appKey: param.string({
    sources: ["auth"],
    optional: true,
    secret: true,
    description: "the GitHub App's private key (PEM)",
  }),
};

type Values = {
  githubApiURL: string;
  owner: string;
  runnerScope: "org" | "ent" | "repo";
  personalAccessToken?: string | undefined;
  repos?: string[] | undefined;
  labels?: string[] | undefined;
  noDefaultLabels: boolean;
  enableEtags: boolean;
  matchUnlabeledJobsWithUnlabeledRunners: boolean;
  targetWorkflowQueueLength: number;
  applicationID?: string | undefined;
  installationID?: string | undefined;
  appKey?: string | undefined;
};

/** An app or installation id as KEDA reads it (a Go int64); 0, absent or not an integer is none. */
function appId(text: string | undefined): bigint | undefined {
  if (text === undefined || !/^[+-]?\d+$/.test(text)) return undefined;
  const id = BigInt(text);
  return id === 0n ? undefined : id;
}

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

const RESERVED_LABELS = ["self-hosted", "linux", "x64"];
const REPOS_PER_PAGE = 30;
const MAX_CACHE_ENTRIES = 5000;

/** KEDA's label match: every label of the job is one of the runner's (case-insensitively). */
export function runnerCanRunJob(
  jobLabels: readonly string[],
  runnerLabels: readonly string[],
  options: { noDefaultLabels: boolean; matchUnlabeledJobsWithUnlabeledRunners: boolean },
): boolean {
  if (options.matchUnlabeledJobsWithUnlabeledRunners && jobLabels.length === 0)
    return runnerLabels.length === 0;
  const all = options.noDefaultLabels ? runnerLabels : [...runnerLabels, ...RESERVED_LABELS];
  return jobLabels.every((label) => all.some((own) => own.toLowerCase() === label.toLowerCase()));
}

interface WorkflowRun {
  id: number;
  status: string;
  repository?: { name?: string };
}

interface Job {
  status: string;
  labels?: string[] | null;
}

interface RateLimit {
  remaining: number;
  resetTime: number | undefined;
  retryAfterTime: number | undefined;
}

interface GithubAnswer {
  status: number;
  body: string;
}

/** One trigger's reader: KEDA's requests, its ETag caches and its rate-limit handling. */
class WorkflowQueue {
  readonly #values: Values;
  readonly #client: HttpClient;
  readonly #installation: InstallationToken | undefined;
  readonly #etags = new Map<string, string>();
  readonly #bodies = new Map<string, string>();
  #rateLimit: RateLimit = { remaining: 0, resetTime: undefined, retryAfterTime: undefined };
  #previous: { length: number; at: number } | undefined;

  constructor(values: Values, client: HttpClient) {
    this.#values = values;
    this.#client = client;
    if (appId(values.applicationID) && appId(values.installationID) && values.appKey) {
      this.#installation = new InstallationToken({
        apiUrl: values.githubApiURL.replace(/\/+$/, ""),
        applicationId: String(appId(values.applicationID)),
        installationId: String(appId(values.installationID)),
        key: appPrivateKey(values.appKey),
        client,
      });
    }
  }

  get #api(): string {
    return this.#values.githubApiURL.replace(/\/+$/, "");
  }

  #rateLimited(): boolean {
    const now = Date.now();
    const { remaining, resetTime, retryAfterTime } = this.#rateLimit;
    return (
      (remaining === 0 && resetTime !== undefined && now < resetTime) ||
      (retryAfterTime !== undefined && now < retryAfterTime)
    );
  }

  #cachedLength(): number {
    if (this.#previous) return this.#previous.length;
    throw new Error("GitHub API rate limit exceeded. No cached queue length available");
  }

  async #request(url: string, signal: AbortSignal): Promise<GithubAnswer> {
    const headers: Record<string, string> = {
      Accept: "application/vnd.github.v3+json",
      "X-GitHub-Api-Version": "2022-11-28",
    };
    if (this.#installation) headers.Authorization = `token ${await this.#installation.get(signal)}`;
    else if (!appId(this.#values.applicationID) && this.#values.personalAccessToken)
      headers.Authorization = `Bearer ${this.#values.personalAccessToken}`;
    const etag = this.#values.enableEtags ? this.#etags.get(url) : undefined;
    if (etag) headers["If-None-Match"] = etag;
    const response = await this.#client.send("GET", new URL(url), headers, undefined, signal);
    const header = (name: string) => {
      const value = response.headers?.[name];
      return Array.isArray(value) ? value[0] : value;
    };
    if (header("x-ratelimit-remaining")) this.#readRateLimit(header);
    if (response.status === 304 && this.#values.enableEtags) return { status: 304, body: "" };
    if (response.status !== 200) {
      const { remaining, resetTime, retryAfterTime } = this.#rateLimit;
      const now = Date.now();
      if (remaining === 0 && resetTime !== undefined && now < resetTime)
        throw new Error(`GitHub API rate limit exceeded, reset time ${new Date(resetTime).toISOString()}`);
      if (retryAfterTime !== undefined && now < retryAfterTime)
        throw new Error(
          `GitHub API rate limit exceeded, retry after ${new Date(retryAfterTime).toISOString()}`,
        );
      const hint =
        response.status === 401
          ? " (check the personalAccessToken or the GitHub App)"
          : response.status === 404
            ? " (no such owner or repository, or the token cannot see it)"
            : "";
      const error = new Error(
        `the GitHub REST API returned error. url: ${url} status: ${response.status}${hint}: ${githubMessage(response.body)}`,
      );
      (error as Error & { status?: number }).status = response.status;
      throw error;
    }
    if (this.#values.enableEtags) {
      const newEtag = header("etag");
      if (newEtag) {
        this.#etags.set(url, newEtag);
        this.#bodies.set(url, response.body);
        evictExcess(this.#etags);
        evictExcess(this.#bodies);
      }
    }
    return { status: 200, body: response.body };
  }

  #readRateLimit(header: (name: string) => string | undefined): void {
    const remaining = Number(header("x-ratelimit-remaining"));
    const reset = Number(header("x-ratelimit-reset"));
    const retryAfter = Number(header("retry-after"));
    this.#rateLimit = {
      remaining: Number.isFinite(remaining) ? remaining : 0,
      resetTime: Number.isFinite(reset) && header("x-ratelimit-reset") ? reset * 1000 : undefined,
      retryAfterTime:
        Number.isFinite(retryAfter) && header("retry-after") ? Date.now() + retryAfter * 1000 : undefined,
    };
  }

  /** An answer's body, or the body cached with its ETag when GitHub says it is unchanged (304). */
  async #json<T>(url: string, signal: AbortSignal): Promise<T> {
    let answer = await this.#request(url, signal);
    if (answer.status === 304) {
      const cached = this.#bodies.get(url);
      if (cached !== undefined) return JSON.parse(cached) as T;
      // An ETag whose answer was dropped from the cache: ask again without it.
      this.#etags.delete(url);
      answer = await this.#request(url, signal);
    }
    try {
      return JSON.parse(answer.body) as T;
    } catch {
      throw new Error(`the GitHub REST API answered ${url} with something that is not JSON`);
    }
  }

  async #repositories(signal: AbortSignal): Promise<string[]> {
    if (this.#values.repos) return this.#values.repos;
    const owner = encodeURIComponent(this.#values.owner);
    const kind = this.#values.runnerScope === "repo" ? "users" : "orgs";
    const names: string[] = [];
    for (let page = 1; ; page += 1) {
      const repos = await this.#json<{ name: string }[]>(
        `${this.#api}/${kind}/${owner}/repos?page=${page}`,
        signal,
      );
      names.push(...repos.map((repo) => repo.name));
      if (repos.length < REPOS_PER_PAGE) return names;
    }
  }

  async #runs(repo: string, status: string, signal: AbortSignal): Promise<WorkflowRun[]> {
    const url = `${this.#api}/repos/${encodeURIComponent(this.#values.owner)}/${encodeURIComponent(repo)}/actions/runs?status=${encodeURIComponent(status)}&per_page=100`;
    try {
      return (await this.#json<{ workflow_runs?: WorkflowRun[] }>(url, signal)).workflow_runs ?? [];
    } catch (error) {
      // A repository that does not exist (or cannot be seen) has no runs, as in KEDA.
      if ((error as { status?: number }).status === 404) return [];
      throw error;
    }
  }

  async #jobs(repo: string, runId: number, signal: AbortSignal): Promise<Job[]> {
    const url = `${this.#api}/repos/${encodeURIComponent(this.#values.owner)}/${encodeURIComponent(repo)}/actions/runs/${runId}/jobs?per_page=100`;
    return (await this.#json<{ jobs?: Job[] }>(url, signal)).jobs ?? [];
  }

  /** KEDA's GetWorkflowQueueLength: queued and in-progress jobs the runner's labels can run. */
  async length(signal: AbortSignal): Promise<number> {
    if (this.#rateLimited()) return this.#cachedLength();
    try {
      const runs: WorkflowRun[] = [];
      for (const repo of await this.#repositories(signal)) {
        runs.push(
          ...(await this.#runs(repo, "queued", signal)),
          ...(await this.#runs(repo, "in_progress", signal)),
        );
      }
      let count = 0;
      for (const run of runs.filter((entry) => entry.status === "queued" || entry.status === "in_progress")) {
        for (const job of await this.#jobs(run.repository?.name ?? "", run.id, signal)) {
          if (
            (job.status === "queued" || job.status === "in_progress") &&
            runnerCanRunJob(job.labels ?? [], this.#values.labels ?? [], this.#values)
          ) {
            count += 1;
          }
        }
      }
      this.#previous = { length: count, at: Date.now() };
      return count;
    } catch (error) {
      if (!signal.aborted && this.#rateLimited()) return this.#cachedLength();
      throw error;
    }
  }
}

function evictExcess(map: Map<string, string>): void {
  for (const key of map.keys()) {
    if (map.size <= MAX_CACHE_ENTRIES) return;
    map.delete(key);
  }
}

export const githubRunnerScaler: ScalerDefinition<typeof params> = {
  type: "github-runner",
  kedaScalerName: "githubRunnerScaler",
  description:
    "GitHub Actions jobs queued or in progress that a self-hosted runner with the given labels can run (an owner's repositories, or the listed ones).",
  testedAgainst:
    "fake-github (a loopback fake of GitHub's documented REST API for workflow runs, jobs, repositories and GitHub App tokens)",
  example: {
    metadata: { owner: "my-org", runnerScope: "org", labels: "linux-large" },
    authParams: { personalAccessToken: "github-token" },
    metricName: "s0-github-runner-my-org",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (!values.appKey && !values.personalAccessToken)
      problems.push(problem("personalAccessToken", "no personalAccessToken or appKey given"));
    for (const key of ["applicationID", "installationID"] as const) {
      const text = values[key];
      if (text !== undefined && !/^[+-]?\d+$/.test(text))
        problems.push(problem(key, `${key} "${text}" must be an integer`));
    }
    // Given: set and not 0 (a value that is not an integer is reported above).
    const given = (text: string | undefined) => text !== undefined && !/^[+-]?0+$/.test(text);
    const application = given(values.applicationID);
    const installation = given(values.installationID);
    if (application || installation || values.appKey) {
      if (!application) problems.push(problem("applicationID", "no applicationID given"));
      else if (!installation) problems.push(problem("installationID", "no installationID given"));
      else if (!values.appKey) problems.push(problem("appKey", "no appKey given"));
    }
    if (!isHttpUrl(values.githubApiURL))
      problems.push(
        problem(
          "githubApiURL",
          `githubApiURL "${values.githubApiURL}" is not a URL such as https://api.github.com`,
        ),
      );
    return problems;
  },
  metric: (values) => ({
    name: `github-runner-${values.owner}`,
    target: values.targetWorkflowQueueLength,
    activationTarget: Math.max(0, values.targetWorkflowQueueLength - 1),
  }),
  connect(values) {
    const client = createHttpGetClient({ tls: {} });
    let queue: WorkflowQueue | undefined;
    return {
      async measure(signal) {
        queue ??= new WorkflowQueue(values, client);
        const length = await queue.length(signal);
        return { value: length, active: length >= values.targetWorkflowQueueLength };
      },
      close: async () => client.close(),
    };
  },
};
