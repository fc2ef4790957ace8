/**
 * fake-azure-devops: a loopback fake of Azure DevOps' documented agent pool REST API, as KEDA's
 * azure-pipelines scaler calls it, for organizations at `/{organization}`:
 *
 * - `GET /{org}/_apis/distributedtask/pools[?poolName=…]`: `{count, value: [{id, name, …}]}` (the
 *   pools of that name, or all of them; other query parameters are ignored, as the service does);
 * - `GET /{org}/_apis/distributedtask/pools/{poolId}/jobrequests[?$top=N | ?completedRequestCount=0]`:
 *   `{count, value: [job request]}`, newest first, the latest N or the unfinished ones; an unknown
 *   pool is 404 with the service's error body (`{message, typeKey: "TaskAgentPoolNotFoundException", …}`);
 * - authentication: `Basic base64(":<personal access token>")` or `Bearer <Entra ID token for
 *   Azure DevOps>`; anything else is 401 with an empty body and `WWW-Authenticate`, as the
 *   service answers.
 */
import { sendJson, serveLoopback, type LoopbackServer } from "./loopback.ts";

export interface FakeJobRequest {
  requestId: number;
  demands?: string[];
  /** Names of the agents able to run it. */
  matchedAgents?: string[];
  /** Set once an agent received it; finished ones have a result. */
  received?: boolean;
  result?: "succeeded" | "failed" | "canceled";
}

export interface FakeAzureDevOps extends LoopbackServer {
  /** `${origin}/${organization}` */
  organizationUrl(organization: string): string;
  /** Personal access tokens and bearer tokens the organization accepts. */
  tokens: Set<string>;
  bearerTokens: Set<string>;
  addPool(organization: string, pool: { id: number; name: string; jobs?: FakeJobRequest[] }): void;
  jobs(organization: string, poolId: number): FakeJobRequest[];
}

export async function startFakeAzureDevOps(): Promise<FakeAzureDevOps> {
  const tokens = new Set<string>();
  const bearerTokens = new Set<string>();
  const pools = new Map<string, { id: number; name: string; jobs: FakeJobRequest[] }[]>();
  const server = await serveLoopback((request, response) => {
    const authorization = request.headers.authorization ?? "";
    const basic = /^Basic (.+)$/.exec(authorization)?.[1];
    const pat =
      basic === undefined
        ? undefined
        : Buffer.from(basic, "base64").toString("utf8").split(":").slice(1).join(":");
    const bearer = /^Bearer (.+)$/.exec(authorization)?.[1];
    const allowed =
      (pat !== undefined && tokens.has(pat)) || (bearer !== undefined && bearerTokens.has(bearer));
    if (!allowed) {
      return response
        .writeHead(401, {
          "WWW-Authenticate":
            'Bearer authorization_uri=https://login.microsoftonline.com/common, Basic realm="https://dev.azure.com/"',
          "X-TFS-ProcessId": "00000000-0000-0000-0000-000000000000",
        })
        .end();
    }
    const notFound = (message: string, typeKey: string) =>
      sendJson(response, 404, {
        $id: "1",
        innerException: null,
        message,
        typeName: `Microsoft.TeamFoundation.DistributedTask.WebApi.${typeKey}, Microsoft.TeamFoundation.DistributedTask.WebApi`,
        typeKey,
        errorCode: 0,
        eventId: 3000,
      });
    const list = /^\/([^/]+)\/_apis\/distributedtask\/pools$/.exec(request.path);
    if (list && request.method === "GET") {
      const ofOrg = pools.get(decodeURIComponent(list[1] as string));
      if (ofOrg === undefined)
        return notFound("The organization could not be found.", "OrganizationNotFoundException");
      const name = request.query.get("poolName");
      const found = ofOrg.filter((pool) => name === null || pool.name === name);
      return sendJson(response, 200, {
        count: found.length,
        value: found.map((pool) => ({
          id: pool.id,
          name: pool.name,
          isHosted: false,
          poolType: "automation",
          size: 1,
        })),
      });
    }
    const jobs = /^\/([^/]+)\/_apis\/distributedtask\/pools\/(\d+)\/jobrequests$/.exec(request.path);
    if (jobs && request.method === "GET") {
      const id = Number(jobs[2]);
      const pool = pools.get(decodeURIComponent(jobs[1] as string))?.find((entry) => entry.id === id);
      if (pool === undefined)
        return notFound(`Agent pool ${id} could not be found.`, "TaskAgentPoolNotFoundException");
      let selected = [...pool.jobs].reverse();
      if (request.query.get("completedRequestCount") === "0")
        selected = selected.filter((job) => job.result === undefined);
      const top = request.query.get("$top");
      if (top !== null) selected = selected.slice(0, Number(top));
      return sendJson(response, 200, {
        count: selected.length,
        value: selected.map((job) => ({
          requestId: job.requestId,
          queueTime: "2026-01-01T00:00:00.0000000Z",
          ...(job.received
            ? { assignTime: "2026-01-01T00:00:05Z", receiveTime: "2026-01-01T00:00:06Z" }
            : {}),
          ...(job.result ? { result: job.result, finishTime: "2026-01-01T00:01:00Z" } : {}),
          serviceOwner: "00025394-6065-48ca-87d9-7f5672854ef7",
          hostId: "41a18c7d-df5e-4032-a4df-d533b56bd2de",
          planType: "Build",
          demands: job.demands ?? [],
          ...(job.matchedAgents
            ? {
                matchedAgents: job.matchedAgents.map((name, index) => ({
                  id: index + 1,
                  name,
                  enabled: true,
                  status: "online",
                })),
              }
            : {}),
          poolId: pool.id,
          orchestrationId: `${job.requestId}.build.__default`,
          priority: 0,
        })),
      });
    }
    notFound(`${request.method} ${request.path} is not served by this fake`, "ResourceNotFoundException");
  });
  return Object.assign(server, {
    organizationUrl: (organization: string) => `${server.origin}/${organization}`,
    tokens,
    bearerTokens,
    addPool(organization: string, pool: { id: number; name: string; jobs?: FakeJobRequest[] }) {
      const list = pools.get(organization) ?? [];
      list.push({ id: pool.id, name: pool.name, jobs: pool.jobs ?? [] });
      pools.set(organization, list);
    },
    jobs: (organization: string, poolId: number) =>
      pools.get(organization)?.find((pool) => pool.id === poolId)?.jobs ?? [],
  });
}
