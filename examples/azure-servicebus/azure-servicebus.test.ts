import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { runTidal } from "../../test/cli/tidal-cli.ts";
import { startFakeServiceBus, type FakeServiceBus } from "../../test/support/fakes/fake-servicebus.ts";
import { fakeTls } from "../../test/support/fakes/tls.ts";
import { eventually, useCleanup } from "../../test/support/isolation.ts";
import { TidalRun } from "../../test/support/tidal-run.ts";

const here = fileURLToPath(new URL(".", import.meta.url));

let serviceBus: FakeServiceBus;
beforeAll(async () => {
  serviceBus = await startFakeServiceBus();
});
afterAll(() => serviceBus.close());

type ScaledObjectDocument = {
  kind: string;
  spec: Record<string, unknown> & { scaleTargetRef: Record<string, string> };
};

describe("examples/azure-servicebus: the KEDA 1.x walkthrough, migrated and run locally", () => {
  const cleanup = useCleanup();

  it("migrates the seed's ScaledObject and scales the pool as the queue fills and drains", async () => {
    // 1. tidal migrate, as the README says.
    const migrated = await runTidal(["migrate", "-f", join(here, "keda-v1.yaml")]);
    expect(migrated.code).toBe(0);
    const scaledObject = parse(migrated.stdout) as ScaledObjectDocument;
    expect(scaledObject.kind).toBe("ScaledObject");
    expect(scaledObject.spec.triggers).toEqual([
      {
        type: "azure-servicebus",
        metadata: { queueName: "my-queue", messageCount: "10", connectionFromEnv: "SB_CONN_STRING" },
      },
    ]);

    // 2. The README's edit: point the ScaledObject at the ProcessPool. The test also shortens
    //    the walkthrough's 30 s polling, 300 s cooldown and the HPA's 300 s scale-down window.
    scaledObject.spec.scaleTargetRef = {
      apiVersion: "tidal.dev/v1alpha1",
      kind: "ProcessPool",
      name: scaledObject.spec.scaleTargetRef.name as string,
    };
    Object.assign(scaledObject.spec, {
      pollingInterval: 1,
      cooldownPeriod: 5,
      advanced: {
        horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } },
      },
    });
    const dir = mkdtempSync(join(tmpdir(), "tidal-servicebus-example-"));
    cleanup.add(() => rmSync(dir, { recursive: true, force: true }));
    const scaledObjectFile = join(dir, "scaledobject.yaml");
    writeFileSync(scaledObjectFile, stringify(scaledObject));

    // 3. The pool and its Secret, with the fake namespace's connection string; the workers idle.
    const connection = serviceBus.connectionString();
    const pool = readFileSync(join(here, "pool.yaml"), "utf8")
      .replace(/connection: Endpoint=\S+/, `connection: "${connection}"`)
      .replace(
        "    - name: QUEUE_NAME",
        '    - name: RECEIVE_MESSAGES\n      value: "false"\n    - name: QUEUE_NAME',
      );
    const poolFile = join(here, `.test-${process.pid}-pool.yaml`);
    writeFileSync(poolFile, pool);
    cleanup.add(() => rmSync(poolFile, { force: true }));

    serviceBus.setQueue("my-queue", { active: 0 });
    const run = await TidalRun.start([poolFile, scaledObjectFile], {
      env: { NODE_EXTRA_CA_CERTS: (await fakeTls()).caFile },
    });
    cleanup.add(() => run.stop());

    const replicas = async () => (await run.pool("keda-service-bus-function")).replicas;
    await eventually("one worker at minReplicaCount 1", async () => (await replicas()) === 1);
    serviceBus.setQueue("my-queue", { active: 50, scheduled: 30 });
    // 50 active messages at 10 per replica: 5 workers (scheduled messages do not count).
    await eventually("five workers for 50 messages", async () => (await replicas()) === 5, {
      timeoutMs: 30_000,
    });
    serviceBus.setQueue("my-queue", { active: 0 });
    await eventually("back to one worker", async () => (await replicas()) === 1, { timeoutMs: 30_000 });
    expect(serviceBus.requests.some((request) => request.path === "my-queue" && request.status === 200)).toBe(
      true,
    );
    // The connection string and its key never reach the logs.
    const logs = run.output;
    expect(logs).not.toContain(serviceBus.key);
    expect(logs).not.toContain(connection);
  });
});
