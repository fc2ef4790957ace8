import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("artemis"));

/**
 * A queue name no other test uses. Not uniqueName: its "tidal-" prefix is the test password, which
 * error messages redact.
 */
const queueName = (prefix: string) => `${prefix}-${process.pid}-${randomBytes(4).toString("hex")}`;

const credentials = () => ({ username: services.artemisUsername, password: services.artemisPassword });

/** One Jolokia exec on the broker, as a client of the web console (the tests' producer). */
async function jolokiaExec(mbean: string, operation: string, args: unknown[]): Promise<unknown> {
  const response = await fetch(`http://${services.artemisManagement}/console/jolokia/`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      Origin: `http://${services.artemisManagement}`,
      Authorization: `Basic ${Buffer.from(`${services.artemisUsername}:${services.artemisPassword}`).toString("base64")}`,
    },
    body: JSON.stringify({ type: "exec", mbean, operation, arguments: args }),
  });
  const reply = (await response.json()) as { status: number; value?: unknown; error?: string };
  if (reply.status !== 200) throw new Error(`Jolokia ${operation}: ${reply.error ?? reply.status}`);
  return reply.value;
}

const brokerMbean = () => `org.apache.activemq.artemis:broker="${services.artemisBroker}"`;

/** An anycast queue of the same name as its address, holding `messages` messages; destroyed by the cleanup. */
async function queue(cleanup: Cleanup, messages: number): Promise<string> {
  const name = queueName("jobs");
  const configuration = { name, address: name, "routing-type": "ANYCAST", durable: false };
  await jolokiaExec(brokerMbean(), "createQueue(java.lang.String)", [JSON.stringify(configuration)]);
  cleanup.add(async () => {
    await jolokiaExec(brokerMbean(), "destroyQueue(java.lang.String,boolean,boolean)", [name, true, true]);
    await jolokiaExec(brokerMbean(), "deleteAddress(java.lang.String,boolean)", [name, true]).catch(
      () => undefined,
    );
  });
  await send(name, messages);
  return name;
}

async function send(name: string, messages: number): Promise<void> {
  const mbean = `${brokerMbean()},component=addresses,address="${name}",subcomponent=queues,routing-type="anycast",queue="${name}"`;
  for (let index = 0; index < messages; index += 1) {
    await jolokiaExec(
      mbean,
      "sendMessage(java.util.Map,int,java.lang.String,boolean,java.lang.String,java.lang.String)",
      [{}, 3, `job ${index}`, false, services.artemisUsername, services.artemisPassword],
    );
  }
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "artemis-queue", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

function metadataFor(name: string): Record<string, string> {
  return {
    managementEndpoint: services.artemisManagement,
    brokerName: services.artemisBroker,
    brokerAddress: name,
    queueName: name,
  };
}

describe("artemis-queue scaler against ActiveMQ Artemis", () => {
  const cleanup = useCleanup();

  it("reads the message count; inactive up to KEDA's default activationQueueLength of 10", async () => {
    const name = await queue(cleanup, 10);
    const trigger = measurer(cleanup, { metadata: metadataFor(name), authParams: credentials() });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-artemis-${name}`,
      value: 10,
      active: false,
    });
    await send(name, 1);
    expect(await trigger.measure()).toMatchObject({ value: 11, active: true });
  });

  it("takes the credentials from metadata and the environment, and activationQueueLength 0", async () => {
    const name = await queue(cleanup, 1);
    const trigger = measurer(cleanup, {
      metadata: {
        ...metadataFor(name),
        username: services.artemisUsername,
        passwordFromEnv: "ARTEMIS_PASSWORD",
        activationQueueLength: "0",
      },
      resolvedEnv: { ARTEMIS_PASSWORD: services.artemisPassword },
    });
    expect(await trigger.measure()).toMatchObject({ value: 1, active: true });
  });

  it("reads the queue through restApiTemplate, the names taken from it with their quotes as KEDA does", async () => {
    const name = await queue(cleanup, 2);
    const trigger = measurer(cleanup, {
      metadata: {
        restApiTemplate: `http://${services.artemisManagement}/console/jolokia/read/org.apache.activemq.artemis:broker="${services.artemisBroker}",component=addresses,address="${name}",subcomponent=queues,routing-type="anycast",queue="${name}"/MessageCount`,
        activationQueueLength: "0",
      },
      authParams: credentials(),
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-artemis-"${name}"`,
      value: 2,
      active: true,
    });
  });

  it("names a queue the broker does not have", async () => {
    const name = queueName("missing");
    const trigger = measurer(cleanup, { metadata: metadataFor(name), authParams: credentials() });
    expect((await trigger.measure()).error).toMatch(
      new RegExp(
        `^Artemis has no queue "${name}" on broker "${services.artemisBroker}" \\(Jolokia status 404`,
      ),
    );
  });

  it("reports wrong credentials without showing the password", async () => {
    const name = await queue(cleanup, 1);
    const password = `wrong-${randomBytes(6).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: metadataFor(name),
      authParams: { username: services.artemisUsername, password },
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      /^Artemis management endpoint answered HTTP 403 \(check the username and password\)/,
    );
    expect(sample.error).not.toContain(password);
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { ...metadataFor("jobs"), managementEndpoint: `127.0.0.1:${port}` },
      authParams: credentials(),
    });
    expect((await trigger.measure()).error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 40]);
  });
});
