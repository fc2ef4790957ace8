import { randomBytes } from "node:crypto";
import { Client, Connection } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { eventually, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

let connection: Connection;
let client: Client;

beforeAll(async () => {
  await useServices("temporal");
  connection = await Connection.connect({ address: services.temporalEndpoint });
  client = new Client({ connection, namespace: "default" });
});
afterAll(() => connection?.close());

const queueName = (prefix: string) => `${prefix}-${process.pid}-${randomBytes(4).toString("hex")}`;

/** Starts `count` workflows on a task queue no worker polls: each leaves a workflow task in its backlog. */
async function startWorkflows(cleanup: Cleanup, taskQueue: string, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const handle = await client.workflow.start("ProcessOrder", {
      taskQueue,
      workflowId: `${taskQueue}-${index}-${randomBytes(3).toString("hex")}`,
    });
    cleanup.add(() => handle.terminate("test over").catch(() => undefined));
  }
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "temporal", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("temporal scaler against the Temporal dev server", () => {
  const cleanup = useCleanup();

  it("reads the task queue's backlog, inactive at the activation size and active above it", async () => {
    const taskQueue = queueName("orders");
    await startWorkflows(cleanup, taskQueue, 3);
    const trigger = measurer(cleanup, {
      metadata: {
        endpoint: services.temporalEndpoint,
        namespace: "default",
        taskQueue,
        targetQueueSize: "2",
        activationTargetQueueSize: "3",
      },
    });
    const first = await eventually("the backlog to reach 3", async () => {
      const sample = await trigger.measure();
      return sample.value === 3 ? sample : undefined;
    });
    expect(first).toMatchObject({ metricName: `s0-temporal-default-${taskQueue}`, active: false });
    await startWorkflows(cleanup, taskQueue, 1);
    await eventually("the backlog to reach 4", async () => (await trigger.measure()).value === 4);
    expect(await trigger.measure()).toMatchObject({ active: true });
  });

  it("counts only the named queue types; running workflows keep it active with includeRunningWorkflowCount", async () => {
    const taskQueue = queueName("reports");
    await startWorkflows(cleanup, taskQueue, 2);
    const base = { endpoint: services.temporalEndpoint, taskQueue, queueTypes: "activity" };
    const activities = measurer(cleanup, { metadata: base });
    const keepAlive = measurer(cleanup, { metadata: { ...base, includeRunningWorkflowCount: "true" } });
    const workflows = measurer(cleanup, { metadata: { ...base, queueTypes: "workflow" } });
    await eventually("the workflow backlog to reach 2", async () => (await workflows.measure()).value === 2);
    expect(await activities.measure()).toMatchObject({ value: 0, active: false });
    await eventually("the running workflows to be visible", async () => (await keepAlive.measure()).active);
    expect(await keepAlive.measure()).toMatchObject({ value: 0, active: true });
  });

  it("names a namespace Temporal does not have", async () => {
    const namespace = queueName("nowhere");
    const trigger = measurer(cleanup, {
      metadata: {
        endpoint: services.temporalEndpoint,
        namespace,
        taskQueue: "orders",
        queueTypes: "workflow",
      },
    });
    expect((await trigger.measure()).error).toBe(
      `failed to get Temporal backlog count: failed to describe task queue "orders" (type TASK_QUEUE_TYPE_WORKFLOW): rpc error: code = NotFound desc = Namespace ${namespace} is not found.`,
    );
  });

  it("reports a server that does not speak TLS to an apiKey trigger, without showing the key", async () => {
    const apiKey = `key-${randomBytes(8).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: { endpoint: services.temporalEndpoint, taskQueue: "orders" },
      authParams: { apiKey },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `failed to create Temporal client connection to ${services.temporalEndpoint}: Failed to connect before the deadline`,
    );
    expect(sample.error).not.toContain(apiKey);
  });

  it("reports an unreachable server, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        endpoint: `127.0.0.1:${port}`,
        taskQueue: "orders",
        targetQueueSize: "3",
        minConnectTimeout: "1",
      },
    });
    expect((await trigger.measure()).error).toMatch(
      new RegExp(`^failed to create Temporal client connection to 127\\.0\\.0\\.1:${port}: `),
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 12]);
  });
});
