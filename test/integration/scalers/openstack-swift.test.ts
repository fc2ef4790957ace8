import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { startFakeOpenStack, type FakeOpenStack } from "../../support/fakes/fake-openstack.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// No OpenStack runs here: the scaler is driven against fake-openstack, a loopback fake of
// Keystone's and Swift's documented APIs.
const PASSWORD = `canary-${randomBytes(8).toString("hex")}`;
const APP_SECRET = `canary-app-${randomBytes(8).toString("hex")}`;
let openstack: FakeOpenStack;

beforeAll(async () => {
  openstack = await startFakeOpenStack();
  openstack.addUser({ id: "alice", password: PASSWORD, defaultProject: "web", projects: ["web", "batch"] });
  openstack.addAppCredential({ id: "app-1", secret: APP_SECRET, project: "batch" });
  openstack.setContainer("web", "uploads", 7);
  openstack.setContainer("batch", "jobs", 3);
});
afterAll(() => openstack.close());

function measurer(cleanup: Cleanup, trigger: Partial<TriggerUnderTest>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "openstack-swift",
    ...trigger,
    metadata: { containerName: "uploads", objectCount: "5", ...trigger.metadata },
    authParams: trigger.authParams ?? {
      authURL: `${openstack.origin}/v3`,
      userID: "alice",
      password: PASSWORD,
      projectID: "web",
    },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("openstack-swift scaler against fake-openstack", () => {
  const cleanup = useCleanup();

  it("counts a container's objects at the catalog's Swift endpoint, active above activationObjectCount", async () => {
    const trigger = measurer(cleanup, { metadata: { activationObjectCount: "7", objectPrefix: "in" } });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-openstack-swift-uploads-in",
      value: 7,
      active: false,
    });
    expect(openstack.requests.at(-1)).toMatchObject({
      method: "HEAD",
      path: "/v1/AUTH_web/uploads",
      status: 204,
    });
    openstack.setContainer("web", "uploads", 9);
    expect(await trigger.measure()).toMatchObject({ value: 9, active: true });
  });

  it("uses swiftURL instead of the catalog, and an application credential", async () => {
    const sample = await measurer(cleanup, {
      metadata: { containerName: "jobs", swiftURL: openstack.swiftUrl("batch") },
      authParams: { authURL: openstack.origin, appCredentialID: "app-1", appCredentialSecret: APP_SECRET },
    }).measure();
    expect(sample).toMatchObject({ value: 3, active: true });
  });

  it("authenticates again when Swift refuses an expired token", async () => {
    const trigger = measurer(cleanup, {});
    await trigger.measure();
    openstack.revokeTokens();
    expect(await trigger.measure()).toMatchObject({ value: 9 });
  });

  it("says Keystone refused the password, without the password", async () => {
    const wrong = `canary-wrong-${randomBytes(6).toString("hex")}`;
    const sample = await measurer(cleanup, {
      authParams: { authURL: openstack.origin, userID: "alice", password: wrong, projectID: "web" },
    }).measure();
    expect(sample.error).toMatch(/^Keystone refused a token \(HTTP 401\)/);
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("names a container that does not exist, and a region the catalog lacks", async () => {
    const missing = await measurer(cleanup, { metadata: { containerName: "nope" } }).measure();
    expect(missing.error).toBe('Swift container "nope" not found: create it or fix containerName');
    const region = await measurer(cleanup, {
      authParams: {
        authURL: openstack.origin,
        userID: "alice",
        password: PASSWORD,
        projectID: "web",
        regionName: "RegionTwo",
      },
    }).measure();
    // Values of the TriggerAuthentication (here regionName) never appear in messages.
    expect(region.error).toBe(
      "no public object-store endpoint in region *** in the service catalog: set the URL in the trigger, or check regionName",
    );
  });

  it("reports an unreachable Keystone, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      authParams: {
        authURL: `http://127.0.0.1:${port}`,
        userID: "alice",
        password: PASSWORD,
        projectID: "web",
      },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      // authURL comes from the TriggerAuthentication, so the message masks it.
      `cannot reach ***: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(JSON.stringify(sample)).not.toContain(PASSWORD);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
