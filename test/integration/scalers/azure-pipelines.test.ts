import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { AZURE_DEVOPS_SCOPE } from "../../../src/scalers/azure/pipelines.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { startFakeAzureDevOps, type FakeAzureDevOps } from "../../support/fakes/fake-azure-devops.ts";
import { startFakeEntra, type FakeEntra } from "../../support/fakes/fake-entra.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Azure DevOps is a SaaS: the scaler is driven against fake-azure-devops (a loopback fake of the
// documented agent pool API) and, for the workload identity, fake-entra.
const PAT = `canary-${randomBytes(8).toString("hex")}`;
let devops: FakeAzureDevOps;
let entra: FakeEntra;

beforeAll(async () => {
  await trustFakeCertificate();
  devops = await startFakeAzureDevOps();
  entra = await startFakeEntra();
  devops.tokens.add(PAT);
  devops.addPool("acme", {
    id: 12,
    name: "linux pool",
    jobs: [
      {
        requestId: 1,
        demands: ["docker", "Agent.Version -gtVersion 2.182.1"],
        matchedAgents: ["template-agent"],
      },
      { requestId: 2, demands: ["docker", "gpu"], matchedAgents: ["other-agent"] },
      { requestId: 3, demands: ["docker"], received: true },
      { requestId: 4, demands: ["docker"], received: true, result: "succeeded" },
    ],
  });
  devops.addPool("acme", { id: 13, name: "idle" });
});
afterAll(async () => {
  await devops.close();
  await entra.close();
});

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "azure-pipelines",
    ...trigger,
    metadata: { poolID: "12", ...trigger.metadata },
    authParams: trigger.authParams ?? {
      organizationURL: devops.organizationUrl("acme"),
      personalAccessToken: PAT,
    },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("azure-pipelines scaler against fake-azure-devops", () => {
  const cleanup = useCleanup();

  it("counts the pool's waiting jobs with a personal access token, active above the activation length", async () => {
    const trigger = measurer(cleanup, { metadata: { activationTargetPipelinesQueueLength: "2" } });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-azure-pipelines-12",
      value: 2,
      active: false,
    });
    const read = devops.requests.at(-1);
    expect(read?.path).toBe("/acme/_apis/distributedtask/pools/12/jobrequests");
    expect(read?.query.get("$top")).toBe("250");
    expect(read?.headers.authorization).toBe(`Basic ${Buffer.from(`:${PAT}`).toString("base64")}`);
    expect(devops.requests.some((request) => request.query.get("poolID") === "12")).toBe(true);
    devops.jobs("acme", 12).push({ requestId: 5, demands: ["docker"] });
    try {
      expect(await trigger.measure()).toMatchObject({ value: 3, active: true });
    } finally {
      devops.jobs("acme", 12).pop();
    }
  });

  it("looks a pool up by name and names the metric after its id", async () => {
    const sample = await measurer(cleanup, { metadata: { poolID: "", poolName: "linux pool" } }).measure();
    expect(sample).toMatchObject({ metricName: "s0-azure-pipelines-12", value: 2 });
    expect(devops.requests.some((request) => request.query.get("poolName") === "linux pool")).toBe(true);
  });

  it("counts only the jobs the parent agent or the demands can run", async () => {
    const parent = measurer(cleanup, { metadata: { parent: "template-agent" } });
    expect(await parent.measure()).toMatchObject({ value: 1 });
    expect(devops.requests.at(-1)?.query.has("$top")).toBe(false);
    const demands = measurer(cleanup, { metadata: { demands: "docker", fetchUnfinishedJobsOnly: "true" } });
    expect(await demands.measure()).toMatchObject({ value: 1 });
    expect(devops.requests.at(-1)?.query.get("completedRequestCount")).toBe("0");
  });

  it("authenticates with podIdentity azure-workload: an Entra ID token for Azure DevOps", async () => {
    const tenantId = "11111111-2222-3333-4444-555555555555";
    const clientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    const federatedToken = `eyJ.canary-${randomBytes(6).toString("hex")}.sig`;
    const file = join(mkdtempSync(join(tmpdir(), "tidal-wi-")), "token");
    writeFileSync(file, federatedToken);
    entra.addApp({ tenantId, clientId, federatedToken });
    devops.bearerTokens.add(entra.tokenFor(clientId, AZURE_DEVOPS_SCOPE));
    const sample = await measurer(cleanup, {
      authParams: { organizationURL: devops.organizationUrl("acme") },
      podIdentity: {
        provider: "azure-workload",
        identityId: clientId,
        identityTenantId: tenantId,
        identityAuthorityHost: entra.authorityHost,
      },
      processEnvironment: { AZURE_FEDERATED_TOKEN_FILE: file },
    }).measure();
    expect(sample).toMatchObject({ value: 2 });
    expect(devops.requests.at(-1)?.headers.authorization).toBe(
      `Bearer ${entra.tokenFor(clientId, AZURE_DEVOPS_SCOPE)}`,
    );
    expect(entra.requests.at(-1)).toMatchObject({
      clientId,
      scope: AZURE_DEVOPS_SCOPE,
      kind: "assertion",
      status: 200,
    });
    expect(JSON.stringify(sample)).not.toContain(federatedToken);
  });

  it("says the token was refused, without the token", async () => {
    const wrong = `canary-wrong-${randomBytes(6).toString("hex")}`;
    const sample = await measurer(cleanup, {
      authParams: { organizationURL: devops.organizationUrl("acme"), personalAccessToken: wrong },
    }).measure();
    expect(sample.error).toMatch(/status: 401 \(check the personalAccessToken/);
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("names a pool that does not exist, by name or by id", async () => {
    const byName = await measurer(cleanup, { metadata: { poolID: "", poolName: "nope" } }).measure();
    expect(byName.error).toBe("agent pool with name `nope` not found");
    const byId = await measurer(cleanup, { metadata: { poolID: "99" } }).measure();
    expect(byId.error).toMatch(
      /pools\/99\/jobrequests\?\$top=250 status: 404 response: Agent pool 99 could not be found\.$/,
    );
  });

  it("reports an unreachable organization, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      authParams: { organizationURL: `http://127.0.0.1:${port}/acme`, personalAccessToken: PAT },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `agent pool with id \`12\` not found: cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(PAT);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 4]);
  });
});
