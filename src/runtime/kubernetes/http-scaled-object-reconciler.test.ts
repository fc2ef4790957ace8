import { afterEach, describe, expect, it } from "vitest";
import { HTTP_ADDON, KEDA, reconcilerHarness } from "../../../test/support/reconciler-harness.ts";

type Harness = ReturnType<typeof reconcilerHarness>;
let harness: Harness;

afterEach(async () => {
  await harness.stop();
});

const HSO = `${HTTP_ADDON}/namespaces/shop/httpscaledobjects/web`;
const SO = `${KEDA}/namespaces/shop/scaledobjects/web`;

interface Status {
  targetWorkload?: string;
  targetService?: string;
  conditions?: {
    type: string;
    status: string;
    reason?: string;
    message?: string;
    observedGeneration?: number;
  }[];
}

function putHttpScaledObject(
  spec: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): void {
  const existing = harness.api.read<{ status?: Status }>(HSO);
  harness.api.put("http.keda.sh/v1alpha1", "httpscaledobjects", {
    apiVersion: "http.keda.sh/v1alpha1",
    kind: "HTTPScaledObject",
    metadata: { name: "web", namespace: "shop", uid: "hso-uid", generation: 1, ...metadata },
    spec: {
      hosts: ["web.example.com"],
      scaleTargetRef: { name: "web", service: "web", port: 80 },
      ...spec,
    },
    ...(existing?.status ? { status: existing.status } : {}),
  });
}

const status = () => harness.api.read<{ status?: Status }>(HSO)?.status ?? {};
const scaledObject = () =>
  harness.api.read<{
    metadata: { ownerReferences?: unknown[]; finalizers?: string[] };
    spec: Record<string, unknown>;
  }>(SO);

describe("HttpScaledObjectReconciler", () => {
  it("creates the ScaledObject the add-on creates, owned by the HTTPScaledObject, and marks it Ready", async () => {
    harness = reconcilerHarness({ scalerAddress: "tidal-operator.tidal-system:9090" });
    putHttpScaledObject({
      replicas: { min: 0, max: 10 },
      scaledownPeriod: 120,
      initialCooldownPeriod: 30,
      scalingMetric: { concurrency: { targetValue: 20 } },
    });
    await harness.httpScaledObjects.reconcile("shop/web");
    const created = scaledObject();
    expect(created?.metadata.ownerReferences).toEqual([
      {
        apiVersion: "http.keda.sh/v1alpha1",
        kind: "HTTPScaledObject",
        name: "web",
        uid: "hso-uid",
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(created?.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
      pollingInterval: 15,
      cooldownPeriod: 120,
      initialCooldownPeriod: 30,
      minReplicaCount: 0,
      maxReplicaCount: 10,
      triggers: [
        {
          type: "external-push",
          metadata: { scalerAddress: "tidal-operator.tidal-system:9090", httpScaledObject: "web" },
        },
      ],
    });
    expect(status()).toMatchObject({
      targetWorkload: "apps/v1/Deployment/web",
      targetService: "web:80",
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "HTTPScaledObjectIsReady",
          message: "Finished object creation",
          observedGeneration: 1,
        },
      ],
    });
    expect(await harness.newEvents("shop")).toEqual(["AppScaledObjectCreated"]);
  });

  it("leaves replica counts it was not given to KEDA's defaults and writes the default cooldown", async () => {
    harness = reconcilerHarness();
    putHttpScaledObject({
      scaleTargetRef: { name: "api", kind: "StatefulSet", service: "api", portName: "http" },
    });
    await harness.httpScaledObjects.reconcile("shop/web");
    const spec = scaledObject()?.spec;
    expect(spec).not.toHaveProperty("minReplicaCount");
    expect(spec).not.toHaveProperty("maxReplicaCount");
    expect(spec).toMatchObject({
      cooldownPeriod: 300,
      scaleTargetRef: { apiVersion: "apps/v1", kind: "StatefulSet", name: "api" },
    });
    expect(status()).toMatchObject({ targetWorkload: "apps/v1/StatefulSet/api", targetService: "api:http" });
  });

  it("keeps the ScaledObject in step with the HTTPScaledObject without touching what KEDA added", async () => {
    harness = reconcilerHarness();
    putHttpScaledObject({ replicas: { max: 5 } });
    await harness.httpScaledObjects.reconcile("shop/web");
    // The ScaledObject reconciler adds its finalizer; then the HTTPScaledObject changes.
    harness.api.put("keda.sh/v1alpha1", "scaledobjects", {
      ...scaledObject(),
      metadata: { ...scaledObject()?.metadata, finalizers: ["finalizer.keda.sh"] },
    });
    putHttpScaledObject({ replicas: { max: 8 } }, { generation: 2 });
    const writes = harness.api.calls.length;
    await harness.httpScaledObjects.reconcile("shop/web");
    expect(scaledObject()?.spec).toMatchObject({ maxReplicaCount: 8 });
    expect(scaledObject()?.metadata.finalizers).toEqual(["finalizer.keda.sh"]);
    // Unchanged: nothing is written.
    const after = harness.api.calls.length;
    await harness.httpScaledObjects.reconcile("shop/web");
    expect(harness.api.calls.slice(after).filter((call) => call.method !== "GET")).toEqual([]);
    expect(after).toBeGreaterThan(writes);
  });

  it("removes its ScaledObject when told to skip creating one, and only its own", async () => {
    harness = reconcilerHarness();
    putHttpScaledObject();
    await harness.httpScaledObjects.reconcile("shop/web");
    expect(scaledObject()).toBeDefined();
    putHttpScaledObject(
      {},
      { annotations: { "httpscaledobject.keda.sh/skip-scaledobject-creation": "true" } },
    );
    await harness.httpScaledObjects.reconcile("shop/web");
    expect(scaledObject()).toBeUndefined();
    expect(status().conditions?.[0]).toMatchObject({ type: "Ready", status: "True" });
  });

  it("refuses to take over a ScaledObject of the same name that is not its own", async () => {
    harness = reconcilerHarness();
    harness.api.put("keda.sh/v1alpha1", "scaledobjects", {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "web", namespace: "shop" },
      spec: { scaleTargetRef: { name: "web" }, triggers: [] },
    });
    putHttpScaledObject();
    await expect(harness.httpScaledObjects.reconcile("shop/web")).rejects.toThrow(
      /belongs to something else/,
    );
    expect(status().conditions?.[0]).toMatchObject({
      status: "False",
      reason: "ErrorCreatingAppScaledObject",
    });
    expect(scaledObject()?.spec).toMatchObject({ triggers: [] });
    expect(await harness.newEvents("shop")).toEqual(["ErrorCreatingAppScaledObject"]);
  });

  it("reports an HTTPScaledObject the interceptor could not serve, naming the field", async () => {
    harness = reconcilerHarness();
    putHttpScaledObject({
      scaleTargetRef: { name: "web" },
      timeouts: { conditionWait: "soon" },
      scalingMetric: { concurrency: { targetValue: 1 }, requestRate: { targetValue: 1 } },
    });
    await harness.httpScaledObjects.reconcile("shop/web");
    expect(scaledObject()).toBeUndefined();
    const message = status().conditions?.[0]?.message ?? "";
    expect(message).toContain("spec.timeouts.conditionWait");
    expect(message).toContain("spec.scalingMetric: concurrency and requestRate are mutually exclusive");
    expect(message).toContain("spec.scaleTargetRef.service: required");
    expect(message).toContain("spec.scaleTargetRef.port: set port");
  });

  it("writes nothing when it is not the leader", async () => {
    harness = reconcilerHarness({ leader: false });
    putHttpScaledObject();
    await harness.httpScaledObjects.reconcile("shop/web");
    expect(harness.api.calls.filter((call) => call.method !== "GET")).toEqual([]);
  });
});
