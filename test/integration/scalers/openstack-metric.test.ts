import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { startFakeOpenStack, type FakeOpenStack } from "../../support/fakes/fake-openstack.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// No OpenStack runs here: the scaler is driven against fake-openstack, a loopback fake of
// Keystone's and Gnocchi's documented APIs.
const PASSWORD = `canary-${randomBytes(8).toString("hex")}`;
const APP_SECRET = `canary-app-${randomBytes(8).toString("hex")}`;
const METRIC = "003bb589-166d-439d-8c31-cbf098d863de";
let openstack: FakeOpenStack;

beforeAll(async () => {
  openstack = await startFakeOpenStack();
  openstack.addUser({ id: "alice", password: PASSWORD, defaultProject: "web" });
  openstack.addAppCredential({ id: "app-1", secret: APP_SECRET, project: "web" });
  const now = Date.now();
  openstack.addMetric({
    id: METRIC,
    project: "web",
    granularity: 300,
    points: [{ value: 100, at: now - 3_600_000 }, { value: 1400 }],
  });
  openstack.addMetric({
    id: "quiet",
    project: "web",
    granularity: 300,
    points: [{ value: 5, at: now - 3_600_000 }],
  });
});
afterAll(() => openstack.close());

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "openstack-metric",
    ...trigger,
    metadata: {
      metricsURL: `${openstack.origin}/v1/metric`,
      metricID: METRIC,
      aggregationMethod: "mean",
      granularity: "300",
      threshold: "1250",
      ...trigger.metadata,
    },
    authParams: trigger.authParams ?? {
      authURL: `${openstack.origin}/v3/`,
      userID: "alice",
      password: PASSWORD,
    },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("openstack-metric scaler against fake-openstack", () => {
  const cleanup = useCleanup();

  it("reads the last measure with a password token, active above activationThreshold", async () => {
    const trigger = measurer(cleanup, { metadata: { activationThreshold: "1400" } });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-openstack-metric-${METRIC}`,
      value: 1400,
      active: false,
    });
    const read = openstack.requests.findLast((request) => request.path.endsWith("/measures"));
    expect(read?.path).toBe(`/v1/metric/${METRIC}/measures`);
    expect(read?.query.get("aggregation")).toBe("mean");
    expect(read?.query.get("granularity")).toBe("300");
    expect(read?.query.get("start")).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00$/);
    const lower = measurer(cleanup, { metadata: { activationThreshold: "1000" } });
    expect(await lower.measure()).toMatchObject({ value: 1400, active: true });
  });

  it("checks the token before each read and gets a new one once Keystone no longer accepts it", async () => {
    const trigger = measurer(cleanup, {});
    await trigger.measure();
    const posts = () => openstack.requests.filter((request) => request.method === "POST").length;
    const before = posts();
    expect(await trigger.measure()).toMatchObject({ value: 1400 });
    expect(posts()).toBe(before);
    expect(openstack.requests.at(-2)?.method).toBe("HEAD");
    openstack.revokeTokens();
    expect(await trigger.measure()).toMatchObject({ value: 1400 });
    expect(posts()).toBe(before + 1);
  });

  it("authenticates with an application credential", async () => {
    const sample = await measurer(cleanup, {
      authParams: { authURL: openstack.origin, appCredentialID: "app-1", appCredentialSecret: APP_SECRET },
    }).measure();
    expect(sample).toMatchObject({ value: 1400 });
  });

  it("reads 0 when the window has no measure", async () => {
    expect(await measurer(cleanup, { metadata: { metricID: "quiet" } }).measure()).toMatchObject({
      value: 0,
      active: false,
    });
  });

  it("says Keystone refused the password, without the password", async () => {
    const wrong = `canary-wrong-${randomBytes(6).toString("hex")}`;
    const sample = await measurer(cleanup, {
      authParams: { authURL: openstack.origin, userID: "alice", password: wrong },
    }).measure();
    expect(sample.error).toBe(
      `Keystone refused a token (HTTP 401) (check the user id and password, or the application credential): The request you have made requires authentication.`,
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("names a metric that does not exist", async () => {
    const sample = await measurer(cleanup, { metadata: { metricID: "no-such-metric" } }).measure();
    expect(sample.error).toBe(
      "Gnocchi answered HTTP 404 (no such metric, or no measures at that granularity): Metric no-such-metric does not exist",
    );
  });

  it("reports an unreachable Keystone, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      authParams: { authURL: `http://127.0.0.1:${port}/v3`, userID: "alice", password: PASSWORD },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(PASSWORD);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 5000]);
  });
});
