import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { startFakeForgejo, type FakeForgejo } from "../../support/fakes/fake-forgejo.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Forgejo has no server here: the scaler is driven against fake-forgejo, a loopback fake of the
// documented runner jobs API.
const TOKEN = `canary-${randomBytes(8).toString("hex")}`;
const ADMIN_TOKEN = `canary-admin-${randomBytes(8).toString("hex")}`;
let forgejo: FakeForgejo;

beforeAll(async () => {
  forgejo = await startFakeForgejo();
  forgejo.addUser({ name: "alice", token: TOKEN, orgs: ["acme"] });
  forgejo.addUser({ name: "root", token: ADMIN_TOKEN, admin: true });
  forgejo.addOrg("acme");
  forgejo.addRepo("alice/app");
  forgejo.addRepo("acme/site");
  forgejo.jobs.push(
    { id: 1, repo: "alice/app", runsOn: ["docker"] },
    { id: 2, repo: "alice/app", runsOn: ["docker", "arm64"] },
    { id: 3, repo: "acme/site", runsOn: ["docker"] },
    { id: 4, repo: "acme/site", runsOn: ["docker"], status: "running" },
    { id: 5, repo: "other/tool", runsOn: ["docker"] },
  );
});
afterAll(() => forgejo.close());

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "forgejo-runner",
    ...trigger,
    metadata: { address: forgejo.origin, labels: "docker", ...trigger.metadata },
    authParams: trigger.authParams ?? { token: TOKEN },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("forgejo-runner scaler against fake-forgejo", () => {
  const cleanup = useCleanup();

  it("counts the waiting jobs of a repository that the labels can run", async () => {
    const sample = await measurer(cleanup, {
      metadata: { owner: "alice", repo: "app", labels: "docker,arm64" },
    }).measure();
    expect(sample).toMatchObject({ metricName: "s0-forgejo", value: 2, active: true });
    const request = forgejo.requests.at(-1);
    expect(request?.path).toBe("/api/v1/repos/alice/app/actions/runners/jobs");
    expect(request?.query.get("labels")).toBe("docker,arm64");
    expect(request?.headers.authorization).toBe(`token ${TOKEN}`);
  });

  it("reads each scope: the token's user, an organization, the whole instance", async () => {
    expect(await measurer(cleanup, {}).measure()).toMatchObject({ value: 1 });
    expect(await measurer(cleanup, { metadata: { org: "acme" } }).measure()).toMatchObject({ value: 1 });
    const global = measurer(cleanup, { metadata: { global: "true" }, authParams: { token: ADMIN_TOKEN } });
    expect(await global.measure()).toMatchObject({ value: 3 });
    expect(forgejo.requests.at(-1)?.path).toBe("/api/v1/admin/runners/jobs");
  });

  it("is inactive with no waiting job, and takes the token from the environment", async () => {
    const sample = await measurer(cleanup, {
      metadata: { owner: "alice", repo: "app", labels: "gpu", tokenFromEnv: "FORGEJO_TOKEN" },
      authParams: {},
      resolvedEnv: { FORGEJO_TOKEN: TOKEN },
    }).measure();
    expect(sample).toMatchObject({ value: 0, active: false });
  });

  it("says the token was refused, without the token", async () => {
    const wrong = `canary-wrong-${randomBytes(6).toString("hex")}`;
    const sample = await measurer(cleanup, { authParams: { token: wrong } }).measure();
    expect(sample.error).toBe(
      `the Forgejo REST API returned error. url: ${forgejo.origin} status: 401 (check the token and its access to the scope): token is required`,
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
    const notAdmin = await measurer(cleanup, { metadata: { global: "true" } }).measure();
    expect(notAdmin.error).toMatch(/status: 403 \(check the token/);
    expect(JSON.stringify(notAdmin)).not.toContain(TOKEN);
  });

  it("names a repository that does not exist", async () => {
    const sample = await measurer(cleanup, { metadata: { owner: "alice", repo: "missing" } }).measure();
    expect(sample.error).toMatch(/status: 404 \(no such user, organization or repository/);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, { metadata: { address: `http://127.0.0.1:${port}` } });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(TOKEN);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 4]);
  });
});
