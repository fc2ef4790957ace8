import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KEDA, reconcilerHarness } from "../../../test/support/reconciler-harness.ts";

let server: Server;
let url = "";
const reading = { queue: 3 };

beforeAll(async () => {
  server = createServer((_request, response) =>
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reading)),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stats`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const SJ = `${KEDA}/namespaces/shop/scaledjobs/batch`;
const JOBS = "/apis/batch/v1/namespaces/shop/jobs";

type Harness = ReturnType<typeof reconcilerHarness>;
let harness: Harness;
afterEach(() => harness.stop());

function putScaledJob(
  options: {
    annotations?: Record<string, string>;
    spec?: Record<string, unknown>;
    metadata?: Record<string, unknown>;
  } = {},
) {
  const existing = harness.api.read<{ metadata: Record<string, unknown>; status?: unknown }>(SJ);
  harness.api.put("keda.sh/v1alpha1", "scaledjobs", {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledJob",
    metadata: {
      name: "batch",
      namespace: "shop",
      uid: "sj-uid",
      ...(existing ? { finalizers: existing.metadata.finalizers } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
      ...options.metadata,
    },
    spec: {
      jobTargetRef: { template: { spec: { containers: [{ name: "work", image: "worker" }] } } },
      triggers: [{ type: "metrics-api", metadata: { url, valueLocation: "queue", targetValue: "1" } }],
      ...options.spec,
    },
    ...(existing?.status ? { status: existing.status } : {}),
  });
}

const conditions = () =>
  harness.api.read<{ status?: { conditions?: { type: string; status: string; message?: string }[] } }>(SJ)
    ?.status?.conditions ?? [];

describe("ScaledJobReconciler", () => {
  it("adds the finalizer, then marks the ScaledJob Ready and creates one Job per pending item", async () => {
    harness = reconcilerHarness();
    putScaledJob();
    await harness.scaledJobs.reconcile("shop/batch");
    expect(harness.api.read<{ metadata: { finalizers: string[] } }>(SJ)?.metadata.finalizers).toEqual([
      "finalizer.keda.sh",
    ]);
    await harness.scaledJobs.reconcile("shop/batch");
    expect(conditions()).toContainEqual(expect.objectContaining({ type: "Ready", status: "True" }));
    await harness.scaledJobs.poll("shop/batch");
    const jobs = harness.api.listUnder<{ metadata: { labels: Record<string, string> } }>(JOBS);
    expect(jobs).toHaveLength(3);
    expect(jobs[0]?.metadata.labels["scaledjob.keda.sh/name"]).toBe("batch");
    expect(await harness.newEvents("shop")).toEqual(["ScaledJobReady", "KEDAJobsCreated", "ScaledJobActive"]);
  });

  it("creates no Jobs while paused and says so", async () => {
    harness = reconcilerHarness();
    putScaledJob({
      annotations: { "autoscaling.keda.sh/paused": "true" },
      metadata: { finalizers: ["finalizer.keda.sh"] },
    });
    await harness.scaledJobs.reconcile("shop/batch");
    await harness.scaledJobs.poll("shop/batch");
    expect(harness.api.listUnder(JOBS)).toEqual([]);
    expect(conditions()).toContainEqual(expect.objectContaining({ type: "Paused", status: "True" }));
  });

  it("reports triggers it cannot prepare as ScaledJobCheckFailed", async () => {
    harness = reconcilerHarness();
    putScaledJob({
      metadata: { finalizers: ["finalizer.keda.sh"] },
      spec: { triggers: [{ type: "metrics-api", metadata: { url } }] },
    });
    await harness.scaledJobs.reconcile("shop/batch");
    expect(conditions()).toContainEqual(
      expect.objectContaining({ type: "Ready", status: "False", reason: "ScaledJobCheckFailed" }),
    );
    expect(await harness.newEvents("shop")).toEqual(["ScaledJobCheckFailed"]);
  });

  it("removes its finalizer when the ScaledJob is deleted", async () => {
    harness = reconcilerHarness();
    putScaledJob({
      metadata: { finalizers: ["finalizer.keda.sh"], deletionTimestamp: "2026-01-01T00:00:00Z" },
    });
    await harness.scaledJobs.reconcile("shop/batch");
    expect(harness.api.read<{ metadata: { finalizers: string[] } }>(SJ)?.metadata.finalizers).toEqual([]);
    expect(await harness.newEvents("shop")).toEqual(["ScaledJobDeleted"]);
  });
});
