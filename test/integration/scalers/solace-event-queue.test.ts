import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeSolace } from "../../support/fakes/fake-solace.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// No Solace broker runs here: the scaler is driven against fake-solace, a loopback fake of the
// broker's SEMP v2 monitor API.
const PASSWORD = `canary-${randomBytes(6).toString("hex")}`;
let solace: FakeSolace;

beforeAll(async () => {
  solace = await FakeSolace.start();
  solace.users.set("semp-reader", PASSWORD);
});
afterAll(() => solace.close());

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "solace-event-queue", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

const auth = { username: "semp-reader", password: PASSWORD };

describe("solace-event-queue scaler (fake-solace)", () => {
  const cleanup = useCleanup();

  it("reads a queue's message count; active when any counter passes its activation target", async () => {
    const queue = `${uniqueName("orders")}/eu`;
    solace.setQueue("default", queue, { msgs: 3, msgSpoolUsage: 0, averageRxMsgRate: 0 });
    const trigger = measurer(cleanup, {
      metadata: {
        solaceSempBaseURL: solace.url,
        messageVpn: "default",
        queueName: queue,
        messageCountTarget: "2",
        activationMessageCountTarget: "3",
      },
      authParams: auth,
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({
      metricName: `s0-solace-${queue.replace("/", "-")}-msgcount`,
      value: 3,
      active: false,
    });
    expect(JSON.stringify(sample)).not.toContain(PASSWORD);
    // The receive rate passes its activation target (0): KEDA's activity is any of the three.
    solace.setQueue("default", queue, { msgs: 3, msgSpoolUsage: 0, averageRxMsgRate: 1 });
    expect(await trigger.measure()).toMatchObject({ value: 3, active: true });
    const paths = solace.requests.slice(-2).map((request) => `${request.path}?${request.query.toString()}`);
    expect(paths).toEqual([
      "/SEMP/v2/monitor/msgVpns/default?select=state",
      `/SEMP/v2/monitor/msgVpns/default/queues/${encodeURIComponent(queue)}?select=msgs%2CmsgSpoolUsage%2CaverageRxMsgRate`,
    ]);
  });

  it("reads spool usage in bytes against a target in megabytes, and skips a broker that is down", async () => {
    const queue = uniqueName("spool");
    solace.setQueue("default", queue, { msgs: 0, msgSpoolUsage: 3 * 1024 * 1024, averageRxMsgRate: 0 });
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        solaceSempBaseURL: `http://127.0.0.1:${port}, ${solace.url}`,
        messageVpn: "default",
        queueName: queue,
        messageSpoolUsageTarget: "1",
      },
      authParams: auth,
    });
    expect(trigger.prepared.metricSpec).toMatchObject({ target: 1024 * 1024 });
    expect(await trigger.measure()).toMatchObject({ value: 3 * 1024 * 1024, active: true });
  });

  it("reports a missing queue, a VPN that is not up, and asks for one target per trigger", async () => {
    const missing = measurer(cleanup, {
      metadata: {
        solaceSempBaseURL: solace.url,
        messageVpn: "default",
        queueName: "absent",
        messageCountTarget: "1",
      },
      authParams: auth,
    });
    expect((await missing.measure()).error).toBe(
      `unable to collect metrics, error(s): Host 1 Error: semp request http status code: 400 - Could not find match for queueName "absent", url: ${solace.url}/SEMP/v2/monitor/msgVpns/default/queues/absent?select=msgs,msgSpoolUsage,averageRxMsgRate`,
    );
    solace.vpns.set("maintenance", { state: "down", queues: new Map() });
    const down = measurer(cleanup, {
      metadata: {
        solaceSempBaseURL: solace.url,
        messageVpn: "maintenance",
        queueName: "q",
        messageCountTarget: "1",
      },
      authParams: auth,
    });
    expect((await down.measure()).error).toBe(
      `unable to collect metrics, error(s): Host 1 Error: Message vpn is not up (down) url: ${solace.url}/SEMP/v2/monitor/msgVpns/maintenance?select=state`,
    );
    expect(() =>
      connectTestTrigger({
        type: "solace-event-queue",
        metadata: {
          solaceSempBaseURL: solace.url,
          messageVpn: "default",
          queueName: "q",
          messageCountTarget: "1",
          messageReceiveRateTarget: "5",
        },
        authParams: auth,
      }),
    ).toThrow("Tidal reads one metric per trigger");
  });

  it("reports wrong credentials without the password", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: {
        solaceSempBaseURL: solace.url,
        messageVpn: "default",
        queueName: "q",
        messageCountTarget: "1",
      },
      authParams: { username: "semp-reader", password: wrong },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `unable to collect metrics, error(s): Host 1 Error: semp request http status code: 401 - Unauthorized, url: ${solace.url}/SEMP/v2/monitor/msgVpns/default?select=state`,
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable broker, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        solaceSempBaseURL: `http://127.0.0.1:${port}`,
        messageVpn: "default",
        queueName: "q",
        messageCountTarget: "5",
      },
      authParams: auth,
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `unable to collect metrics, error(s): Host 1 Error: call to solace semp api failed: cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}, url: http://127.0.0.1:${port}/SEMP/v2/monitor/msgVpns/default?select=state`,
    );
    expect(JSON.stringify(sample)).not.toContain(PASSWORD);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
