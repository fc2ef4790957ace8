import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { KEDA, reconcilerHarness } from "../../../test/support/reconciler-harness.ts";
import { EventLog } from "../events.ts";
import { ScalingHistory } from "../history.ts";
import { OperatorStatus } from "./operator-status.ts";

let server: Server;
let url = "";
let reading = 7;

beforeAll(async () => {
  server = createServer((_request, response) =>
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ queue: reading })),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/stats`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const SO = `${KEDA}/namespaces/shop/scaledobjects/orders`;
const HPA = "/apis/autoscaling/v2/namespaces/shop/horizontalpodautoscalers/keda-hpa-orders";
const SCALE = "/apis/apps/v1/namespaces/shop/deployments/workers/scale";

interface Status {
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  [field: string]: unknown;
}

type Harness = ReturnType<typeof reconcilerHarness>;
let harness: Harness;

afterEach(async () => {
  reading = 7;
  await harness.stop();
});

/** A ScaledObject on Deployment `workers` with one metrics-api trigger. */
function putScaledObject(
  options: {
    annotations?: Record<string, string>;
    spec?: Record<string, unknown>;
    metadata?: Record<string, unknown>;
  } = {},
) {
  const existing = harness.api.read<{ metadata: Record<string, unknown>; status?: Status }>(SO);
  harness.api.put("keda.sh/v1alpha1", "scaledobjects", {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: {
      name: "orders",
      namespace: "shop",
      uid: "so-uid",
      creationTimestamp: new Date(harness.clock.now).toISOString(),
      ...(existing ? { labels: existing.metadata.labels, finalizers: existing.metadata.finalizers } : {}),
      ...(options.annotations ? { annotations: options.annotations } : {}),
      ...options.metadata,
    },
    spec: {
      scaleTargetRef: { name: "workers" },
      triggers: [{ type: "metrics-api", metadata: { url, valueLocation: "queue", targetValue: "5" } }],
      ...options.spec,
    },
    ...(existing?.status ? { status: existing.status } : {}),
  });
}

const status = () => harness.api.read<{ status?: Status }>(SO)?.status ?? {};
const condition = (type: string) => status().conditions?.find((entry) => entry.type === type);
const replicas = async () => (await harness.api.get<{ spec: { replicas: number } }>(SCALE)).spec.replicas;

/** Creates the object and reconciles it twice: the first pass adds the finalizer and label. */
async function created(options: Parameters<typeof putScaledObject>[0] = {}) {
  harness.api.putDeployment("shop", "workers", 2);
  putScaledObject(options);
  await harness.scaledObjects.reconcile("shop/orders");
  await harness.scaledObjects.reconcile("shop/orders");
}

describe("ScaledObjectReconciler", () => {
  it("adds KEDA's finalizer and label first, and only that", async () => {
    harness = reconcilerHarness();
    harness.api.putDeployment("shop", "workers", 2);
    putScaledObject();
    await harness.scaledObjects.reconcile("shop/orders");
    const metadata = harness.api.read<{ metadata: { finalizers: string[]; labels: Record<string, string> } }>(
      SO,
    )?.metadata;
    expect(metadata?.finalizers).toEqual(["finalizer.keda.sh"]);
    expect(metadata?.labels).toEqual({ "scaledobject.keda.sh/name": "orders" });
    expect(harness.api.read(HPA)).toBeUndefined();
    expect(harness.scaledObjects.activeKeys()).toEqual([]);
  });

  it("owns keda-hpa-<name>, starts the loop, and marks the object Ready with KEDA's status fields", async () => {
    harness = reconcilerHarness();
    await created();
    const hpa = harness.api.read<{
      metadata: { ownerReferences: { uid: string; kind: string }[] };
      spec: { minReplicas: number; metrics: { external: { metric: { name: string } } }[] };
    }>(HPA);
    expect(hpa?.metadata.ownerReferences).toMatchObject([{ uid: "so-uid", kind: "ScaledObject" }]);
    expect(hpa?.spec.metrics[0]?.external.metric.name).toBe("s0-metric-api-queue");
    expect(status()).toMatchObject({
      scaleTargetKind: "apps/v1.Deployment",
      originalReplicaCount: 2,
      externalMetricNames: ["s0-metric-api-queue"],
      hpaName: "keda-hpa-orders",
      triggersTypes: "metrics-api",
    });
    expect(condition("Ready")).toMatchObject({ status: "True", reason: "ScaledObjectReady" });
    expect(await harness.newEvents("shop")).toEqual(["ScaledObjectReady"]);
    expect(harness.scaledObjects.activeKeys()).toEqual(["shop/orders"]);
  });

  it("writes nothing when it is not the leader, but keeps a loop to answer the metrics API", async () => {
    harness = reconcilerHarness({ leader: false });
    harness.api.putDeployment("shop", "workers", 2);
    putScaledObject({
      metadata: { finalizers: ["finalizer.keda.sh"], labels: { "scaledobject.keda.sh/name": "orders" } },
    });
    await harness.scaledObjects.reconcile("shop/orders");
    expect(harness.api.calls.filter((call) => call.method !== "GET")).toEqual([]);
    const answer = await harness.scaledObjects.lookupMetric("shop", "s0-metric-api-queue", {
      "scaledobject.keda.sh/name": "orders",
    });
    expect(answer).toMatchObject({ items: [{ value: 7 }] });
  });

  it("reports a missing target as ScaledObjectCheckFailed and runs no loop", async () => {
    harness = reconcilerHarness();
    putScaledObject({
      metadata: { finalizers: ["finalizer.keda.sh"], labels: { "scaledobject.keda.sh/name": "orders" } },
    });
    await harness.scaledObjects.reconcile("shop/orders");
    expect(condition("Ready")).toMatchObject({
      status: "False",
      reason: "ScaledObjectCheckFailed",
      message: 'failed to get the scale target: Deployment "workers" not found in namespace "shop"',
    });
    expect(condition("Active")).toMatchObject({ status: "Unknown", reason: "UnknownState" });
    expect(await harness.newEvents("shop")).toEqual(["ScaledObjectCheckFailed"]);
    expect(harness.scaledObjects.activeKeys()).toEqual([]);
  });

  it("refuses bounds KEDA refuses, naming the fields", async () => {
    harness = reconcilerHarness();
    await created({ spec: { minReplicaCount: 5, maxReplicaCount: 2 } });
    expect(condition("Ready")?.message).toBe(
      "spec.minReplicaCount: minReplicaCount (5) must be less than or equal to maxReplicaCount (2)",
    );
    expect(harness.api.read(HPA)).toBeUndefined();
  });

  it("puts the HPA back when someone changes it, and refuses an HPA it does not own", async () => {
    harness = reconcilerHarness();
    await created();
    const hpa = harness.api.read<{ spec: { maxReplicas: number } }>(HPA)!;
    harness.api.put("autoscaling/v2", "horizontalpodautoscalers", {
      ...hpa,
      spec: { ...hpa.spec, maxReplicas: 42 },
    });
    await harness.scaledObjects.reconcile("shop/orders");
    expect(harness.api.read<{ spec: { maxReplicas: number } }>(HPA)?.spec.maxReplicas).toBe(100);

    harness.api.put("autoscaling/v2", "horizontalpodautoscalers", {
      ...hpa,
      metadata: {
        ...(hpa as unknown as { metadata: object }).metadata,
        ownerReferences: [{ uid: "someone-else" }],
      },
    });
    await expect(harness.scaledObjects.reconcile("shop/orders")).rejects.toThrow(
      'HPA "keda-hpa-orders" already exists and is not owned by this ScaledObject; delete it or set the scaledobject.keda.sh/transfer-hpa-ownership annotation',
    );
    putScaledObject({ annotations: { "scaledobject.keda.sh/transfer-hpa-ownership": "true" } });
    await harness.scaledObjects.reconcile("shop/orders");
    expect(
      harness.api.read<{ metadata: { ownerReferences: { uid: string }[] } }>(HPA)?.metadata.ownerReferences,
    ).toMatchObject([{ uid: "so-uid" }]);
  });

  it("pauses: deletes the HPA, holds the paused count, reports it, and resumes on unpause", async () => {
    harness = reconcilerHarness();
    await created();
    await harness.newEvents("shop");
    putScaledObject({ annotations: { "autoscaling.keda.sh/paused-replicas": "4" } });
    await harness.scaledObjects.reconcile("shop/orders");
    expect(harness.api.read(HPA)).toBeUndefined();
    await harness.scaledObjects.poll("shop/orders");
    expect(await replicas()).toBe(4);
    expect(status().pausedReplicaCount).toBe(4);
    expect(condition("Paused")).toMatchObject({ status: "True", reason: "ScaledObjectPaused" });
    expect(await harness.newEvents("shop")).toEqual(["ScaledObjectPaused"]);
    expect((await harness.metrics.text()).body).toContain(
      'keda_scaled_object_paused{namespace="shop",scaledObject="orders"} 1',
    );

    putScaledObject({ annotations: {} });
    await harness.scaledObjects.reconcile("shop/orders");
    expect(harness.api.read(HPA)).toBeDefined();
    await harness.scaledObjects.poll("shop/orders");
    expect(status().pausedReplicaCount).toBeUndefined();
    expect(condition("Paused")).toMatchObject({ status: "False", reason: "ScaledObjectUnpaused" });
    expect(await harness.newEvents("shop")).toEqual(["ScaledObjectUnpaused"]);
    expect((await harness.metrics.text()).body).toContain(
      'keda_scaled_object_paused{namespace="shop",scaledObject="orders"} 0',
    );
  });

  it("in direct mode owns no HPA and says so in status", async () => {
    harness = reconcilerHarness();
    await created();
    expect(harness.api.read(HPA)).toBeDefined();
    putScaledObject({ annotations: { "autoscaling.tidal.dev/mode": "direct" } });
    await harness.scaledObjects.reconcile("shop/orders");
    expect(harness.api.read(HPA)).toBeUndefined();
    expect(status().hpaName).toBeUndefined();
    reading = 26;
    await harness.scaledObjects.poll("shop/orders");
    expect(await replicas()).toBe(2);
    await harness.scaledObjects.syncHpa("shop/orders");
    // 26 against 5 per replica asks for 6; without behavior the HPA's first step up stops at 2 × 2.
    expect(await replicas()).toBe(4);
  });

  it("on delete restores the original replica count, removes the HPA and the finalizer", async () => {
    harness = reconcilerHarness();
    await created({ spec: { advanced: { restoreToOriginalReplicaCount: true } } });
    await harness.api.patch(SCALE, { spec: { replicas: 9 } });
    await harness.newEvents("shop");
    putScaledObject({
      spec: { advanced: { restoreToOriginalReplicaCount: true } },
      metadata: { deletionTimestamp: new Date(harness.clock.now).toISOString() },
    });
    await harness.scaledObjects.reconcile("shop/orders");
    expect(await replicas()).toBe(2);
    expect(harness.api.read(HPA)).toBeUndefined();
    expect(harness.api.read<{ metadata: { finalizers: string[] } }>(SO)?.metadata.finalizers).toEqual([]);
    expect(await harness.newEvents("shop")).toEqual(["ScaledObjectDeleted"]);
    expect(harness.scaledObjects.activeKeys()).toEqual([]);
  });

  it("answers the metrics API as KEDA's adapter does", async () => {
    harness = reconcilerHarness();
    await created();
    expect(await harness.scaledObjects.lookupMetric("shop", "s0-metric-api-queue", {})).toEqual({
      error: { status: 400, message: "scaledObject name is not specified" },
    });
    expect(
      await harness.scaledObjects.lookupMetric("shop", "s0-metric-api-queue", {
        "scaledobject.keda.sh/name": "other",
      }),
    ).toMatchObject({ error: { status: 404 } });
    expect(
      await harness.scaledObjects.lookupMetric("shop", "S0-METRIC-API-QUEUE", {
        "scaledobject.keda.sh/name": "orders",
      }),
    ).toMatchObject({ items: [{ value: 7 }] });
  });

  it("gives the dashboard each poll's forecast of an object with the forecast annotation", async () => {
    const history = new ScalingHistory();
    harness = reconcilerHarness({ history });
    const dashboard = new OperatorStatus({
      api: harness.api,
      history,
      events: new EventLog(),
      objects: () => harness.scaledObjects.dashboardObjects(),
    });
    await created({
      annotations: {
        "autoscaling.tidal.dev/forecast": "horizon=5m, history=2h, step=1m, season=none, refit=1m",
      },
    });
    const [object] = dashboard.objects();
    expect(object?.ref).toEqual({ kind: "ScaledObject", namespace: "shop", name: "orders" });
    const ref = object!.ref;
    // A queue that grows by 2 a minute: the trend model predicts it once it has ten minutes of it.
    const made: { at: number; value: number }[] = [];
    for (let minute = 0; minute < 40; minute++) {
      reading = 10 + 2 * minute;
      await harness.scaledObjects.poll("shop/orders");
      const forecast = object!.snapshot().triggers[0]?.forecast;
      if (forecast?.predicted !== null && forecast?.predicted !== undefined)
        made.push({ at: harness.clock.now + forecast.horizonSeconds * 1000, value: forecast.predicted });
      harness.clock.now += 60_000;
    }
    expect(object!.snapshot().triggers[0]?.forecast?.mode).toBe("predictive");
    const [series, ...others] = dashboard.forecast(ref);
    expect(others).toEqual([]);
    expect(series).toMatchObject({ of: { kind: "metric" }, horizonSeconds: 300, served: true });
    expect(series?.points.length).toBeGreaterThan(20);
    expect(series?.points).toEqual(made);
    // Five minutes ahead on a queue growing by 2 a minute: 10 more than when it was made.
    expect(series?.points.at(-1)?.value).toBeCloseTo(10 + 2 * 39 + 10, 5);
  });
});
