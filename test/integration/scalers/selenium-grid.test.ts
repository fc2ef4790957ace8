import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { eventually, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";
import { startHttpServer } from "./http-test-server.ts";

beforeAll(() => useServices("selenium-grid"));

const graphqlUrl = () => `${services.seleniumGridUrl}/graphql`;

/** A browser name no other test asks for, so each test counts only its own requests. */
const browser = () => `browser${process.pid}x${randomBytes(4).toString("hex")}`;

/**
 * Puts a new-session request into the Grid's queue: a POST /session that waits there, as no node
 * can serve it. The cleanup abandons the request, which takes it out of the queue.
 */
function requestSession(cleanup: Cleanup, capabilities: Record<string, unknown>): void {
  const controller = new AbortController();
  void fetch(`${services.seleniumGridUrl}/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json; charset=utf-8" },
    body: JSON.stringify({ capabilities: { alwaysMatch: capabilities } }),
    signal: controller.signal,
  }).catch(() => undefined);
  cleanup.add(() => controller.abort());
}

/** The queued requests the Grid reports for `browserName`. */
async function queued(browserName: string): Promise<number> {
  const response = await fetch(graphqlUrl(), {
    method: "POST",
    body: JSON.stringify({ query: "{ sessionsInfo { sessionQueueRequests } }" }),
  });
  const answer = (await response.json()) as { data: { sessionsInfo: { sessionQueueRequests: string[] } } };
  return answer.data.sessionsInfo.sessionQueueRequests.filter(
    (request) => (JSON.parse(request) as { browserName?: string }).browserName === browserName,
  ).length;
}

function measurer(cleanup: Cleanup, metadata: Record<string, string>, extra: Partial<TriggerUnderTest> = {}) {
  const connected: TriggerMeasurer = connectTestTrigger({
    type: "selenium-grid",
    metadata: { url: graphqlUrl(), ...metadata },
    ...extra,
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("selenium-grid scaler against a Selenium Grid hub", () => {
  const cleanup = useCleanup();

  it("counts the queued requests for its browser and platform, one new node each", async () => {
    const browserName = browser();
    requestSession(cleanup, { browserName, platformName: "linux" });
    requestSession(cleanup, { browserName, platformName: "linux" });
    requestSession(cleanup, { browserName, platformName: "windows" });
    requestSession(cleanup, { browserName: `${browserName}other`, platformName: "linux" });
    await eventually("the three requests in the queue", async () => (await queued(browserName)) === 3);

    const linux = measurer(cleanup, { browserName, platformName: "linux" });
    expect(await linux.measure()).toMatchObject({
      metricName: `s0-selenium-grid-${browserName}-linux`,
      value: 2,
      active: true,
    });
    // A request without a platform is "any", which matches only a trigger without one.
    const anyPlatform = measurer(cleanup, { browserName });
    expect(await anyPlatform.measure()).toMatchObject({ value: 0, active: false });
  });

  it("packs nodeMaxSessions requests into one new node, and applies activationThreshold", async () => {
    const browserName = browser();
    for (let index = 0; index < 3; index += 1) requestSession(cleanup, { browserName });
    await eventually("the three requests in the queue", async () => (await queued(browserName)) === 3);
    const trigger = measurer(cleanup, { browserName, nodeMaxSessions: "2", activationThreshold: "2" });
    expect(await trigger.measure()).toMatchObject({ value: 2, active: false });
    const single = measurer(cleanup, { browserName, activationThreshold: "2" });
    expect(await single.measure()).toMatchObject({ value: 3, active: true });
  });

  it("matches browserVersion by prefix and the trigger's extra capabilities", async () => {
    const browserName = browser();
    requestSession(cleanup, { browserName, browserVersion: "91", "myApp:version": "beta" });
    requestSession(cleanup, { browserName, browserVersion: "91", "myApp:version": "stable" });
    await eventually("the two requests in the queue", async () => (await queued(browserName)) === 2);
    const beta = measurer(cleanup, {
      browserName,
      browserVersion: "91.0",
      capabilities: '{"myApp:version": "beta"}',
    });
    expect(await beta.measure()).toMatchObject({ value: 1 });
    const otherVersion = measurer(cleanup, { browserName, browserVersion: "92.0" });
    expect(await otherVersion.measure()).toMatchObject({ value: 0 });
  });

  it("counts a request asking for managed downloads only when enableManagedDownloads is on", async () => {
    const browserName = browser();
    requestSession(cleanup, { browserName, "se:downloadsEnabled": true });
    await eventually("the request in the queue", async () => (await queued(browserName)) === 1);
    expect(await measurer(cleanup, { browserName }).measure()).toMatchObject({ value: 1 });
    expect(await measurer(cleanup, { browserName, enableManagedDownloads: "false" }).measure()).toMatchObject(
      { value: 0 },
    );
  });

  it("sends the access token with its authType, never showing it", async () => {
    const token = `canary-${randomBytes(6).toString("hex")}`;
    const proxy = await startHttpServer(cleanup, async (request, response) => {
      if (request.headers.authorization !== `Bearer ${token}`) {
        response.writeHead(401, { "content-type": "text/plain" }).end("unauthorized");
        return;
      }
      const upstream = await fetch(graphqlUrl(), {
        method: "POST",
        body: JSON.stringify({ query: "{ sessionsInfo { sessionQueueRequests } }" }),
      });
      response.writeHead(upstream.status, { "content-type": "application/json" }).end(await upstream.text());
    });
    const allowed = measurer(
      cleanup,
      { url: `${proxy.baseUrl}/graphql`, browserName: browser() },
      { authParams: { authType: "Bearer", accessToken: token } },
    );
    expect(await allowed.measure()).toMatchObject({ value: 0 });
    const wrong = `${token}-wrong`;
    const denied = measurer(
      cleanup,
      { url: `${proxy.baseUrl}/graphql`, browserName: browser() },
      { authParams: { authType: "Bearer", accessToken: wrong } },
    );
    const sample = await denied.measure();
    expect(sample.error).toBe("Selenium Grid returned response status code: 401 (check the credentials)");
    expect(sample.error).not.toContain(wrong);
  });

  it("reports an unreachable Grid, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, { url: `http://127.0.0.1:${port}/graphql`, browserName: "chrome" });
    expect((await trigger.measure()).error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 4]);
  });
});
