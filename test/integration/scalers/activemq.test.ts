import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("activemq"));

/**
 * A queue name no other test uses. Not uniqueName: its "tidal-" prefix is the test password, which
 * error messages redact.
 */
const queueName = (prefix: string) => `${prefix}-${process.pid}-${randomBytes(4).toString("hex")}`;

const credentials = () => ({ username: services.activemqUsername, password: services.activemqPassword });

/** One Jolokia exec on the broker, as a client of the web console (the tests' producer). */
async function jolokiaExec(mbean: string, operation: string, args: unknown[]): Promise<unknown> {
  const response = await fetch(`http://${services.activemqManagement}/api/jolokia/`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Origin: `http://${services.activemqManagement}`,
      Authorization: `Basic ${Buffer.from(`${services.activemqUsername}:${services.activemqPassword}`).toString("base64")}`,
    },
    body: JSON.stringify({ type: "exec", mbean, operation, arguments: args }),
  });
  const reply = (await response.json()) as { status: number; value?: unknown; error?: string };
  if (reply.status !== 200) throw new Error(`Jolokia ${operation}: ${reply.error ?? reply.status}`);
  return reply.value;
}

const brokerMbean = () => `org.apache.activemq:type=Broker,brokerName=${services.activemqBroker}`;

/** A queue holding `messages` messages; removed by the cleanup. */
async function queue(cleanup: Cleanup, messages: number): Promise<string> {
  const name = queueName("jobs");
  await jolokiaExec(brokerMbean(), "addQueue(java.lang.String)", [name]);
  cleanup.add(() => jolokiaExec(brokerMbean(), "removeQueue(java.lang.String)", [name]));
  await send(name, messages);
  return name;
}

async function send(name: string, messages: number): Promise<void> {
  const mbean = `${brokerMbean()},destinationType=Queue,destinationName=${name}`;
  for (let index = 0; index < messages; index += 1) {
    await jolokiaExec(mbean, "sendTextMessage(java.lang.String)", [`job ${index}`]);
  }
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "activemq", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("activemq scaler against ActiveMQ Classic", () => {
  const cleanup = useCleanup();

  it("reads the queue size, inactive at activationTargetQueueSize and active above it", async () => {
    const name = await queue(cleanup, 3);
    const trigger = measurer(cleanup, {
      metadata: {
        managementEndpoint: services.activemqManagement,
        brokerName: services.activemqBroker,
        destinationName: name,
        activationTargetQueueSize: "3",
      },
      authParams: credentials(),
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-activemq-${name}`,
      value: 3,
      active: false,
    });
    await send(name, 1);
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("reads the queue through restAPITemplate, credentials from the environment", async () => {
    const name = await queue(cleanup, 2);
    const trigger = measurer(cleanup, {
      metadata: {
        restAPITemplate: `http://${services.activemqManagement}/api/jolokia/read/org.apache.activemq:type=Broker,brokerName=${services.activemqBroker},destinationType=Queue,destinationName=${name}/QueueSize`,
        usernameFromEnv: "AMQ_USER",
        passwordFromEnv: "AMQ_PASSWORD",
      },
      resolvedEnv: { AMQ_USER: services.activemqUsername, AMQ_PASSWORD: services.activemqPassword },
    });
    expect(await trigger.measure()).toMatchObject({ metricName: `s0-activemq-${name}`, value: 2 });
  });

  it("names a queue the broker does not have", async () => {
    const name = queueName("missing");
    const trigger = measurer(cleanup, {
      metadata: {
        managementEndpoint: services.activemqManagement,
        brokerName: services.activemqBroker,
        destinationName: name,
      },
      authParams: credentials(),
    });
    expect((await trigger.measure()).error).toMatch(
      new RegExp(
        `^ActiveMQ has no queue "${name}" on broker "${services.activemqBroker}" \\(Jolokia status 404`,
      ),
    );
  });

  it("reports wrong credentials without showing the password", async () => {
    const name = await queue(cleanup, 1);
    const password = `wrong-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: {
        managementEndpoint: services.activemqManagement,
        brokerName: services.activemqBroker,
        destinationName: name,
      },
      authParams: { username: services.activemqUsername, password },
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      /^ActiveMQ management endpoint answered HTTP 401 \(check the username and password\)/,
    );
    expect(sample.error).not.toContain(password);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { managementEndpoint: `127.0.0.1:${port}`, brokerName: "tidal", destinationName: "jobs" },
      authParams: credentials(),
    });
    expect((await trigger.measure()).error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 40]);
  });
});
