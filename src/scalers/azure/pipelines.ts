import { azureScalerCredential, type TokenCredential } from "../../auth/identity/azure.ts";
import type { ParamProblem } from "../params.ts";
import { goQueryEscape } from "../metric-name.ts";
import { param } from "../params.ts";
import { bodyExcerpt } from "../shared/excerpt.ts";
import { basicAuthorization } from "../shared/go-url.ts";
import type { HttpClient } from "../shared/http-get.ts";
import { createHttpGetClient, isHttpUrl } from "../shared/http-get.ts";
import type { ScalerContext, ScalerDefinition } from "../types.ts";

/** The Entra ID scope of Azure DevOps (its application id). */
export const AZURE_DEVOPS_SCOPE = "499b84ac-1321-427f-aa17-267ca6975798/.default";

const params = {
  organizationURL: param.string({
    sources: ["env", "auth", "metadata"],
    description: "the organization's URL, e.g. https://dev.azure.com/my-org",
  }),
  personalAccessToken: param.string({
    sources: ["auth", "env"],
    optional: true,
    secret: true,
    description: "a personal access token with Agent Pools (read) (or use podIdentity azure-workload)",
  }),
  poolName: param.string({
    optional: true,
    description: "the agent pool's name (looked up once; wins over poolID)",
  }),
  poolID: param.int({ optional: true, description: "the agent pool's id" }),
  parent: param.string({
    optional: true,
    description: "count only jobs this agent (a template agent of the pool) could run",
  }),
  demands: param.string({
    optional: true,
    description: "comma-separated capabilities of the agent; jobs whose demands they meet are counted",
  }),
  requireAllDemands: param.bool({
    default: false,
    description: "count a job only when its demands and the agent's are exactly the same",
  }),
  requireAllDemandsAndIgnoreOthers: param.bool({
    default: false,
    description: "count a job when it demands every capability of the agent, whatever else it demands",
  }),
  caseInsensitiveDemandsProcessing: param.bool({
    default: false,
    description: "compare demands ignoring case",
  }),
  targetPipelinesQueueLength: param.int({
    default: 1,
    description: "target number of waiting jobs per replica",
  }),
  activationTargetPipelinesQueueLength: param.int({
    default: 0,
    description: "active when more jobs than this wait",
  }),
  jobsToFetch: param.int({ default: 250, description: "how many of the pool's latest job requests to read" }),
  fetchUnfinishedJobsOnly: param.bool({
    default: false,
    description:
      "read the unfinished job requests only (completedRequestCount=0) instead of the latest jobsToFetch",
  }),
};

type Values = {
  organizationURL: string;
  personalAccessToken?: string | undefined;
  poolName?: string | undefined;
  poolID?: number | undefined;
  parent?: string | undefined;
  demands?: string | undefined;
  requireAllDemands: boolean;
  requireAllDemandsAndIgnoreOthers: boolean;
  caseInsensitiveDemandsProcessing: boolean;
  targetPipelinesQueueLength: number;
  activationTargetPipelinesQueueLength: number;
  jobsToFetch: number;
  fetchUnfinishedJobsOnly: boolean;
};

function problem(key: string, message: string): ParamProblem {
  return { key, message, severity: "error" };
}

/** KEDA's job requests URL of a pool. */
export function jobRequestsUrl(
  values: Pick<Values, "organizationURL" | "fetchUnfinishedJobsOnly" | "parent" | "jobsToFetch">,
  poolId: number,
): string {
  const base = `${values.organizationURL}/_apis/distributedtask/pools/${poolId}/jobrequests`;
  if (values.fetchUnfinishedJobsOnly) return `${base}?completedRequestCount=0`;
  if (values.parent) return base;
  return `${base}?$top=${values.jobsToFetch}`;
}

/** A job request as the API answers it (the fields KEDA reads). */
export interface JobRequest {
  result?: string | null;
  receiveTime?: string | null;
  demands?: string[] | null;
  matchedAgents?: { name?: string }[] | null;
}

function isZeroTime(text: string | null | undefined): boolean {
  if (!text) return true;
  const time = Date.parse(text);
  return Number.isNaN(time) || text.startsWith("0001-01-01");
}

const withoutAgentVersion = (items: readonly string[]) =>
  items.filter((item) => !item.startsWith("Agent.Version"));

/** KEDA's demand check of a job against the agent's demands. */
export function agentCanRunJob(
  job: JobRequest,
  values: Pick<
    Values,
    "demands" | "requireAllDemands" | "requireAllDemandsAndIgnoreOthers" | "caseInsensitiveDemandsProcessing"
  >,
): boolean {
  const jobDemands = withoutAgentVersion(job.demands ?? []);
  const agentDemands = withoutAgentVersion((values.demands ?? "").split(","));
  let matches = 0;
  for (const wanted of jobDemands) {
    for (const offered of agentDemands) {
      const same = values.caseInsensitiveDemandsProcessing
        ? wanted.toLowerCase() === offered.toLowerCase()
        : wanted === offered;
      if (same) matches += 1;
    }
  }
  if (values.requireAllDemands) return matches === jobDemands.length && matches === agentDemands.length;
  if (values.requireAllDemandsAndIgnoreOthers) return matches === agentDemands.length;
  return matches === jobDemands.length;
}

/**
 * KEDA's queue length from a job requests answer: the jobs not finished and not yet received by an
 * agent, that the parent agent (or the demands) can run.
 */
export function pipelinesQueueLength(jobs: readonly JobRequest[], values: Values): number {
  let count = 0;
  for (const job of jobs) {
    if (job.result !== undefined && job.result !== null) continue;
    if (!isZeroTime(job.receiveTime)) continue;
    if (!values.parent && !values.demands) count += 1;
    else if (values.parent) {
      if ((job.matchedAgents ?? []).some((agent) => agent.name === values.parent)) count += 1;
    } else if (agentCanRunJob(job, values)) count += 1;
  }
  return count;
}

/** The pool id of a `?poolName=` answer: exactly one pool must have the name. */
export function poolIdFromNameAnswer(body: string, poolName: string): number {
  const parsed = JSON.parse(body) as { value?: { id?: number }[] };
  const pools = parsed.value ?? [];
  if (pools.length === 0) throw new Error(`agent pool with name \`${poolName}\` not found`);
  if (pools.length !== 1) throw new Error(`found ${pools.length} agent pool with name \`${poolName}\``);
  return Number(pools[0]?.id);
}

/** Azure DevOps' error body carries a `message`; otherwise the text (or an HTML page's title). */
function devOpsMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // not JSON
  }
  return bodyExcerpt(body) || "(empty)";
}

class DevOpsClient {
  readonly #values: Values;
  readonly #client: HttpClient;
  readonly #credential: Promise<TokenCredential> | undefined;

  constructor(values: Values, client: HttpClient, context: ScalerContext) {
    this.#values = values;
    this.#client = client;
    if (!values.personalAccessToken && context.podIdentity) {
      this.#credential = azureScalerCredential({
        podIdentity: context.podIdentity,
        env: context.processEnvironment,
      });
    }
  }

  async get(url: string, signal: AbortSignal): Promise<string> {
    let authorization: string;
    if (this.#credential) {
      const token = await (await this.#credential).getToken(AZURE_DEVOPS_SCOPE, { abortSignal: signal });
      if (!token) throw new Error("the workload identity gave no token for Azure DevOps");
      authorization = `Bearer ${token.token}`;
    } else {
      authorization = basicAuthorization("", this.#values.personalAccessToken ?? "");
    }
    const response = await this.#client.get(
      new URL(url),
      { Authorization: authorization, Accept: "application/json" },
      signal,
    );
    if (response.status < 200 || response.status > 299) {
      const hint =
        response.status === 401 || response.status === 403
          ? " (check the personalAccessToken, its scope Agent Pools (read), or the identity's access)"
          : "";
      throw new Error(
        `the Azure DevOps REST API returned error. url: ${url} status: ${response.status}${hint} response: ${devOpsMessage(response.body)}`,
      );
    }
    return response.body;
  }
}

export const azurePipelinesScaler: ScalerDefinition<typeof params> = {
  type: "azure-pipelines",
  kedaScalerName: "azurePipelinesScaler",
  description:
    "Azure Pipelines jobs waiting in an agent pool (optionally only those a parent agent or a set of demands can run).",
  testedAgainst:
    "fake-azure-devops (a loopback fake of Azure DevOps' documented agent pool and job request REST API) and fake-entra (of Entra ID's token endpoint)",
  example: {
    metadata: { poolID: "12" },
    authParams: { organizationURL: "https://dev.azure.com/my-org", personalAccessToken: "azure-devops-pat" },
    metricName: "s0-azure-pipelines-12",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const given = (key: string) => Boolean(context.inputs.metadata[key]);
    if (given("jobsToFetch") && given("fetchUnfinishedJobsOnly"))
      problems.push(
        problem(
          "jobsToFetch",
          "cannot specify both jobsToFetch and fetchUnfinishedJobsOnly at the same time",
        ),
      );
    if (given("jobsToFetch") && given("parent"))
      problems.push(problem("jobsToFetch", "cannot specify both jobsToFetch and parent at the same time"));
    if (!values.personalAccessToken) {
      const provider = context.podIdentity?.provider;
      if (provider === undefined)
        problems.push(
          problem("personalAccessToken", "no personalAccessToken given or PodIdentity provider configured"),
        );
      else if (provider !== "azure-workload")
        problems.push(
          problem(
            "podIdentity",
            `pod identity ${provider} not supported for azure pipelines; use azure-workload`,
          ),
        );
    }
    const organization = values.organizationURL.slice(values.organizationURL.lastIndexOf("/") + 1);
    if (organization === "")
      problems.push(problem("organizationURL", "failed to extract organization name from organizationURL"));
    else if (!isHttpUrl(values.organizationURL))
      problems.push(
        problem(
          "organizationURL",
          `organizationURL "${values.organizationURL}" is not a URL such as https://dev.azure.com/my-org`,
        ),
      );
    if (!values.poolName && !values.poolID) problems.push(problem("poolID", "no poolName or poolID given"));
    return problems;
  },
  // With poolName, KEDA names the metric after the id it looks up; the connected scaler says it.
  metric: (values) => ({
    name: `azure-pipelines-${values.poolName ? 0 : (values.poolID ?? 0)}`,
    target: values.targetPipelinesQueueLength,
    activationTarget: values.activationTargetPipelinesQueueLength,
  }),
  connect(values, context) {
    const client = createHttpGetClient({ tls: {} });
    const devops = new DevOpsClient(values, client, context);
    let pool: Promise<number> | undefined;
    // KEDA resolves the pool when it builds the scaler: by name (which must match one pool), or
    // checks the id. A failure is retried at the next measurement.
    const poolId = (signal: AbortSignal) => {
      pool ??= (async () => {
        if (values.poolName) {
          const url = `${values.organizationURL}/_apis/distributedtask/pools?poolName=${goQueryEscape(values.poolName)}`;
          return poolIdFromNameAnswer(await devops.get(url, signal), values.poolName);
        }
        const id = values.poolID as number;
        try {
          await devops.get(`${values.organizationURL}/_apis/distributedtask/pools?poolID=${id}`, signal);
        } catch (error) {
          throw new Error(`agent pool with id \`${id}\` not found: ${(error as Error).message}`, {
            cause: error,
          });
        }
        return id;
      })();
      pool.catch(() => (pool = undefined));
      return pool;
    };
    const metric = (id: number) => ({
      name: `azure-pipelines-${id}`,
      target: values.targetPipelinesQueueLength,
      activationTarget: values.activationTargetPipelinesQueueLength,
    });
    return {
      ...(values.poolName ? { describe: async (signal: AbortSignal) => metric(await poolId(signal)) } : {}),
      async measure(signal) {
        const body = await devops.get(jobRequestsUrl(values, await poolId(signal)), signal);
        let jobs: JobRequest[];
        try {
          jobs = (JSON.parse(body) as { value?: JobRequest[] }).value ?? [];
        } catch {
          throw new Error(
            `the Azure DevOps REST API answered with something that is not JSON: ${bodyExcerpt(body)}`,
          );
        }
        const length = pipelinesQueueLength(jobs, values);
        return { value: length, active: length > values.activationTargetPipelinesQueueLength };
      },
      close: async () => client.close(),
    };
  },
};
