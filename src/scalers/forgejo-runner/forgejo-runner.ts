import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerDefinition } from "../types.ts";

const params = {
  address: param.string({ description: "Forgejo base URL, e.g. https://code.forgejo.org" }),
  labels: param.string({
    description: "comma-separated runner labels; jobs that run on any of them are counted",
  }),
  token: param.string({
    sources: ["auth", "env"],
    secret: true,
    description: "access token of a user allowed to read the runner jobs of the scope",
  }),
  global: param.bool({
    default: false,
    description: "count the jobs of the whole instance (admin token), unless org or owner and repo are set",
  }),
  owner: param.string({ optional: true, description: "with repo: count the jobs of this repository" }),
  repo: param.string({ optional: true, description: "with owner: count the jobs of this repository" }),
  org: param.string({ optional: true, description: "count the jobs of this organization" }),
};

interface Scope {
  address: string;
  labels: string;
  global: boolean;
  owner?: string | undefined;
  repo?: string | undefined;
  org?: string | undefined;
}

/**
 * KEDA's jobs URL: a repository's (owner and repo), else an organization's, else the instance's
 * (global), else the token's user's; the labels go into the query as they are written.
 */
export function forgejoJobsUrl(scope: Scope): string {
  const address = scope.address.replace(/\/$/, "");
  let path: string;
  if (scope.owner && scope.repo) path = `/api/v1/repos/${scope.owner}/${scope.repo}/actions/runners/jobs`;
  else if (scope.org) path = `/api/v1/orgs/${scope.org}/actions/runners/jobs`;
  else if (scope.global) path = "/api/v1/admin/runners/jobs";
  else path = "/api/v1/user/actions/runners/jobs";
  return `${address}${path}?labels=${scope.labels}`;
}

/** The number of jobs in an answer of the jobs API (a JSON array); any status but 200 is an error. */
export function forgejoJobCount(response: { status: number; body: string }, address: string): number {
  if (response.status !== 200) {
    const hint =
      response.status === 401 || response.status === 403
        ? " (check the token and its access to the scope)"
        : response.status === 404
          ? " (no such user, organization or repository, or no access to it)"
          : "";
    throw new Error(
      `the Forgejo REST API returned error. url: ${address} status: ${response.status}${hint}: ${bodyExcerpt(forgejoMessage(response.body))}`,
    );
  }
  let jobs: unknown;
  try {
    jobs = JSON.parse(response.body);
  } catch {
    throw new Error(
      `the Forgejo REST API answered with something that is not JSON: ${bodyExcerpt(response.body)}`,
    );
  }
  if (jobs === null) return 0;
  if (!Array.isArray(jobs))
    throw new Error("the Forgejo REST API answered with JSON that is not a list of jobs");
  return jobs.length;
}

/** Forgejo's error body is `{"message": …, "url": …}`: the message alone. */
function forgejoMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON: the text itself
  }
  return body;
}

export const forgejoRunnerScaler: ScalerDefinition<typeof params> = {
  type: "forgejo-runner",
  kedaScalerName: "forgejoRunnerScaler",
  description:
    "Forgejo Actions jobs waiting for a runner with the given labels (of a repository, organization, user or the whole instance).",
  testedAgainst: "fake-forgejo (a loopback fake of Forgejo's documented runner jobs API)",
  example: {
    metadata: { address: "https://code.forgejo.org", labels: "docker" },
    authParams: { token: "forgejo-access-token" },
    metricName: "s0-forgejo",
  },
  params,
  validate(values) {
    const problems: ParamProblem[] = [];
    if (!isHttpUrl(forgejoJobsUrl(values))) {
      problems.push({
        key: "address",
        message: `address "${values.address}" is not a URL such as https://code.forgejo.org`,
        severity: "error",
      });
    }
    return problems;
  },
  metric: () => ({ name: "forgejo", target: 1, activationTarget: 0 }),
  connect(values) {
    const client = createHttpGetClient({ tls: {} });
    const url = new URL(forgejoJobsUrl(values));
    const address = values.address.replace(/\/$/, "");
    const headers = { Authorization: `token ${values.token}` };
    return {
      async measure(signal) {
        const count = forgejoJobCount(await client.get(url, headers, signal), address);
        return { value: count, active: count > 0 };
      },
      close: async () => client.close(),
    };
  },
};
