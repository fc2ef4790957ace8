import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "../../support/closed-port.ts";
import { eventually, useCleanup } from "../../support/isolation.ts";
import { TidalRun } from "../../support/tidal-run.ts";
import { processPool, writeManifests } from "./manifests.ts";
import { useServices } from "../../support/services.ts";

beforeAll(() => useServices("redis", "rabbitmq"));

describe("tidal run keeps secrets out of every output", () => {
  const cleanup = useCleanup();

  it("never shows a Secret's value in logs, status, explain, events or metrics, even when the trigger fails", async () => {
    const canary = `canary-${randomBytes(6).toString("hex")}`;
    const port = await closedPort();
    const file = writeManifests([
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "credentials" },
        stringData: { password: canary, url: `amqp://tidal:${canary}@127.0.0.1:5672/` },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "redis-password" },
        spec: { secretTargetRef: [{ parameter: "password", name: "credentials", key: "password" }] },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "rabbitmq-url" },
        spec: { secretTargetRef: [{ parameter: "host", name: "credentials", key: "url" }] },
      },
      processPool("guarded", "idle.js"),
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "guarded" },
        spec: {
          scaleTargetRef: { apiVersion: "tidal.dev/v1alpha1", kind: "ProcessPool", name: "guarded" },
          pollingInterval: 1,
          triggers: [
            {
              type: "redis",
              metadata: { address: `127.0.0.1:${port}`, listName: "jobs" },
              authenticationRef: { name: "redis-password" },
            },
            {
              type: "rabbitmq",
              metadata: { queueName: "jobs", protocol: "amqp" },
              authenticationRef: { name: "rabbitmq-url" },
            },
          ],
        },
      },
    ]);
    const run = await TidalRun.start([file]);
    cleanup.add(() => run.stop());
    const failing = await eventually(
      "both triggers to fail",
      async () => {
        const object = await run.object("guarded");
        return object.triggers.every((trigger) => trigger.error !== null) && object;
      },
      { timeoutMs: 20_000 },
    );
    expect(failing.triggers[1]?.error).toMatch(/auth|ACCESS_REFUSED|password/i);
    const outputs = [
      JSON.stringify(await run.get("/api/v1/scaledobjects")),
      JSON.stringify(await run.get("/api/v1/scaledobjects/guarded")),
      JSON.stringify(await run.get("/api/v1/scaledobjects/guarded/explain")),
      JSON.stringify(await run.get("/api/v1/scaledobjects/guarded/events")),
      await run.get<string>("/metrics"),
    ];
    expect(await run.stop()).toBe(0);
    outputs.push(run.output);
    expect(run.logs.some((line) => line.reason === "KEDAScalerFailed")).toBe(true);
    for (const output of outputs) expect(output).not.toContain(canary);
  });
});
