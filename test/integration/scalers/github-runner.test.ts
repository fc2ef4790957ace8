import { generateKeyPairSync, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { startFakeGithub, type FakeGithub } from "../../support/fakes/fake-github.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// GitHub is a SaaS: the scaler is driven against fake-github, a loopback fake of the documented
// REST API for repositories, workflow runs, jobs and GitHub App installation tokens.
const TOKEN = `canary-${randomBytes(8).toString("hex")}`;
const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const APP_KEY = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
let github: FakeGithub;

beforeAll(async () => {
  github = await startFakeGithub();
  github.tokens.add(TOKEN);
  github.addApp({ id: 4242, installationId: 77, publicKey });
  github.addOwner({ login: "acme", kind: "org" });
  github.addOwner({ login: "alice", kind: "user" });
  // 31 repositories: the list takes two pages of 30.
  for (let index = 0; index < 30; index += 1)
    github.addRepo("acme", `idle-${String(index).padStart(2, "0")}`);
  github.addRepo("acme", "zz-busy", [
    {
      id: 1,
      status: "queued",
      jobs: [
        { status: "queued", labels: ["self-hosted", "linux", "gpu"] },
        { status: "queued", labels: ["self-hosted", "windows"] },
      ],
    },
    {
      id: 2,
      status: "in_progress",
      jobs: [
        { status: "in_progress", labels: ["gpu"] },
        { status: "completed", labels: ["gpu"] },
      ],
    },
    { id: 3, status: "completed", jobs: [{ status: "queued", labels: ["gpu"] }] },
  ]);
  github.addRepo("alice", "tool", [{ id: 9, status: "queued", jobs: [{ status: "queued", labels: [] }] }]);
});
afterAll(() => github.close());

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "github-runner",
    ...trigger,
    metadata: {
      githubApiURL: github.origin,
      owner: "acme",
      runnerScope: "org",
      labels: "gpu",
      ...trigger.metadata,
    },
    authParams: trigger.authParams ?? { personalAccessToken: TOKEN },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("github-runner scaler against fake-github", () => {
  const cleanup = useCleanup();

  it("counts the queued and running jobs the runner's labels can run, across every repository of the org", async () => {
    const trigger = measurer(cleanup, { metadata: { targetWorkflowQueueLength: "3" } });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-github-runner-acme",
      value: 2,
      active: false,
    });
    const paths = github.requests.map((request) => `${request.path}?${request.query}`);
    expect(paths).toContain("/orgs/acme/repos?page=2");
    expect(paths).toContain("/repos/acme/zz-busy/actions/runs?status=queued&per_page=100");
    expect(paths).toContain("/repos/acme/zz-busy/actions/runs/1/jobs?per_page=100");
    expect(github.requests.at(-1)?.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      accept: "application/vnd.github.v3+json",
      "x-github-api-version": "2022-11-28",
    });
    const atTarget = measurer(cleanup, { metadata: { repos: "zz-busy", targetWorkflowQueueLength: "2" } });
    expect(await atTarget.measure()).toMatchObject({ value: 2, active: true });
  });

  it("reads a user's repositories (runnerScope repo); an unlabeled job counts for any runner", async () => {
    const sample = await measurer(cleanup, {
      metadata: { owner: "alice", runnerScope: "repo", labels: "" },
    }).measure();
    expect(sample).toMatchObject({ value: 1, active: true });
    expect(github.requests.some((request) => request.path === "/users/alice/repos")).toBe(true);
  });

  it("authenticates as a GitHub App installation", async () => {
    const sample = await measurer(cleanup, {
      metadata: { repos: "zz-busy", applicationID: "4242", installationID: "77" },
      authParams: { appKey: APP_KEY },
    }).measure();
    expect(sample).toMatchObject({ value: 2 });
    expect(github.requests.some((request) => request.path === "/app/installations/77/access_tokens")).toBe(
      true,
    );
    expect(github.requests.at(-1)?.headers.authorization).toMatch(/^token ghs_/);
  });

  it("with enableEtags, asks with If-None-Match and reuses unchanged answers", async () => {
    const trigger = measurer(cleanup, { metadata: { repos: "zz-busy", enableEtags: "true" } });
    expect(await trigger.measure()).toMatchObject({ value: 2 });
    const before = github.requests.length;
    expect(await trigger.measure()).toMatchObject({ value: 2 });
    const again = github.requests.slice(before);
    expect(again.length).toBeGreaterThan(0);
    expect(again.every((request) => request.status === 304)).toBe(true);
  });

  it("serves the last count while rate limited, and fails when it has none", async () => {
    const trigger = measurer(cleanup, { metadata: { repos: "zz-busy" } });
    expect(await trigger.measure()).toMatchObject({ value: 2 });
    github.rateLimit.remaining = 0;
    try {
      expect(await trigger.measure()).toMatchObject({ value: 2 });
      const fresh = await measurer(cleanup, { metadata: { repos: "zz-busy" } }).measure();
      expect(fresh.error).toBe("GitHub API rate limit exceeded. No cached queue length available");
    } finally {
      github.rateLimit.remaining = 5000;
    }
  });

  it("says the token was refused, without the token", async () => {
    const wrong = `canary-wrong-${randomBytes(6).toString("hex")}`;
    const sample = await measurer(cleanup, { authParams: { personalAccessToken: wrong } }).measure();
    expect(sample.error).toBe(
      `the GitHub REST API returned error. url: ${github.origin}/orgs/acme/repos?page=1 status: 401 (check the personalAccessToken or the GitHub App): Bad credentials`,
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("names an owner that does not exist", async () => {
    const sample = await measurer(cleanup, { metadata: { owner: "nobody" } }).measure();
    expect(sample.error).toMatch(/\/orgs\/nobody\/repos\?page=1 status: 404 \(no such owner or repository/);
  });

  it("reports an unreachable API, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, { metadata: { githubApiURL: `http://127.0.0.1:${port}` } });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(TOKEN);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 4]);
  });
});
