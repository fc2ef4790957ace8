import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeIbmMq } from "../../support/fakes/fake-ibmmq.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// IBM MQ has no server that runs here: the scaler is driven against fake-ibmmq, a loopback fake of
// the MQ REST admin API's documented MQSC endpoint, over HTTPS.
const PASSWORD = `canary-${randomBytes(6).toString("hex")}`;
let mq: FakeIbmMq;

beforeAll(async () => {
  await trustFakeCertificate();
  mq = await FakeIbmMq.start({ tls: true });
  mq.users.set("app", PASSWORD);
});
afterAll(() => mq.close());

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "ibmmq", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

function expectNoCanary(output: unknown): void {
  expect(JSON.stringify(output)).not.toContain(PASSWORD);
}

describe("ibmmq scaler (fake-ibmmq)", () => {
  const cleanup = useCleanup();

  it("reads a queue's current depth, inactive at activationQueueDepth and active above it", async () => {
    const queue = uniqueName("DEV.Q").toUpperCase();
    mq.setDepth("QM1", queue, 3);
    const trigger = measurer(cleanup, {
      metadata: { host: mq.mqscUrl("QM1"), queueName: queue, queueDepth: "5", activationQueueDepth: "3" },
      authParams: { username: "app", password: PASSWORD },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({
      value: 3,
      active: false,
      metricName: `s0-ibmmq-${queue.replaceAll(".", "-")}`,
    });
    expectNoCanary(sample);
    mq.setDepth("QM1", queue, 9);
    expect(await trigger.measure()).toMatchObject({ value: 9, active: true });
    const request = mq.requests.findLast((entry) => entry.body.includes(queue));
    expect(request?.headers["ibm-mq-rest-csrf-token"]).toBe("value");
    expect(request?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(request?.body ?? "{}")).toEqual({
      type: "runCommandJSON",
      command: "display",
      qualifier: "qlocal",
      name: queue,
      responseParameters: ["CURDEPTH"],
    });
  });

  it("combines several queues by max, avg (rounded down) and sum, credentials from the environment", async () => {
    const [a, b] = [uniqueName("A.Q").toUpperCase(), uniqueName("B.Q").toUpperCase()];
    mq.setDepth("QM1", a, 4);
    mq.setDepth("QM1", b, 7);
    const read = async (operation: string) =>
      (
        await measurer(cleanup, {
          metadata: {
            host: mq.mqscUrl("QM1"),
            queueNames: `${a}, ${b}`,
            operation,
            usernameFromEnv: "MQ_USER",
            passwordFromEnv: "MQ_PASSWORD",
          },
          resolvedEnv: { MQ_USER: "app", MQ_PASSWORD: PASSWORD },
        }).measure()
      ).value;
    expect(await read("max")).toBe(7);
    expect(await read("avg")).toBe(5);
    expect(await read("sum")).toBe(11);
  });

  it("reports a missing queue and a missing queue manager with MQ's messages", async () => {
    const missing = uniqueName("NO.Q").toUpperCase();
    const queue = measurer(cleanup, {
      metadata: { host: mq.mqscUrl("QM1"), queueName: missing },
      authParams: { username: "app", password: PASSWORD },
    });
    expect((await queue.measure()).error).toBe(`AMQ8147E: IBM MQ object ${missing} not found.`);
    const manager = measurer(cleanup, {
      metadata: { host: mq.mqscUrl("QMX"), queueName: "DEV.QUEUE.1" },
      authParams: { username: "app", password: PASSWORD },
    });
    expect((await manager.measure()).error).toBe("MQWB0009E: Could not query the queue manager 'QMX'.");
  });

  it("reports wrong credentials without the password", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { host: mq.mqscUrl("QM1"), queueName: "DEV.QUEUE.1" },
      authParams: { username: "app", password: wrong },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe("authentication failed: incorrect username or password");
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        host: `https://127.0.0.1:${port}/ibmmq/rest/v2/admin/action/qmgr/QM1/mqsc`,
        queueName: "DEV.QUEUE.1",
        queueDepth: "5",
      },
      authParams: { username: "app", password: PASSWORD },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `failed to contact MQ via REST for queue DEV.QUEUE.1: cannot reach https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expectNoCanary(sample);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
