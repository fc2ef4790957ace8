import { describe, expect, it } from "vitest";
import { reviewAdmission, type AdmissionCluster, type AdmissionRequest } from "./review.ts";

type Cluster = Parameters<typeof reviewAdmission>[1];

function cluster(parts: Partial<AdmissionCluster> = {}): Cluster {
  return {
    objects: () => [],
    clusterObjects: () => [],
    horizontalPodAutoscalers: () => Promise.resolve([]),
    containers: () => Promise.resolve(undefined),
    limitRangeSets: () => Promise.resolve(false),
    ...parts,
  };
}

function scaledObject(name: string, spec: Record<string, unknown>, annotations?: Record<string, string>) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name, namespace: "shop", ...(annotations ? { annotations } : {}) },
    spec: { scaleTargetRef: { name: "orders" }, ...spec },
  };
}

const redis = { type: "redis", metadata: { address: "redis:6379", listName: "jobs" } };

function request(
  object: ReturnType<typeof scaledObject>,
  operation: AdmissionRequest["operation"] = "CREATE",
) {
  return {
    uid: "u-1",
    kind: { group: "keda.sh", version: "v1alpha1", kind: object.kind },
    namespace: "shop",
    operation,
    object,
  } as AdmissionRequest;
}

describe("reviewAdmission", () => {
  it("allows a valid ScaledObject", async () => {
    expect(await reviewAdmission(request(scaledObject("a", { triggers: [redis] })), cluster())).toEqual({
      uid: "u-1",
      allowed: true,
    });
  });

  it("denies what tidal validate rejects, naming the field", async () => {
    const answer = await reviewAdmission(
      request(scaledObject("a", { triggers: [{ type: "redis", metadata: { listName: "jobs" } }] })),
      cluster(),
    );
    expect(answer.allowed).toBe(false);
    expect(answer.status?.message).toMatch(/^spec\.triggers\[0\]\.metadata\.address: /);
  });

  it("denies a second ScaledObject on one target, and not the object's own update", async () => {
    const existing = scaledObject("first", { triggers: [redis] });
    const withExisting = cluster({ objects: () => [existing] });
    const second = await reviewAdmission(
      request(scaledObject("second", { triggers: [redis] })),
      withExisting,
    );
    expect(second.allowed).toBe(false);
    expect(second.status?.message).toContain('ScaledObject "first" already scales Deployment "orders"');
    const update = await reviewAdmission(
      request(scaledObject("first", { triggers: [redis] }), "UPDATE"),
      withExisting,
    );
    expect(update.allowed).toBe(true);
  });

  it("denies a target another HPA scales, unless its ownership is transferred by name", async () => {
    const hpa = {
      metadata: { name: "orders-hpa" },
      spec: { scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "orders" } },
    };
    const withHpa = cluster({ horizontalPodAutoscalers: () => Promise.resolve([hpa]) });
    const denied = await reviewAdmission(request(scaledObject("a", { triggers: [redis] })), withHpa);
    expect(denied.status?.message).toContain(
      "the workload 'orders' of type 'apps/v1.Deployment' is already managed by the hpa 'orders-hpa'",
    );
    const transfer = { "scaledobject.keda.sh/transfer-hpa-ownership": "true" };
    const unnamed = await reviewAdmission(
      request(scaledObject("a", { triggers: [redis] }, transfer)),
      withHpa,
    );
    expect(unnamed.status?.message).toMatch(
      /^spec\.advanced\.horizontalPodAutoscalerConfig\.name: the existing hpa/,
    );
    const named = await reviewAdmission(
      request(
        scaledObject(
          "a",
          { triggers: [redis], advanced: { horizontalPodAutoscalerConfig: { name: "orders-hpa" } } },
          transfer,
        ),
      ),
      withHpa,
    );
    expect(named.allowed).toBe(true);
  });

  it("denies a cpu trigger on a container without a cpu request, and cpu-only scaling to zero", async () => {
    const cpu = { type: "cpu", metricType: "Utilization", metadata: { value: "60" } };
    const noRequests = cluster({ containers: () => Promise.resolve([{ name: "app" }]) });
    const denied = await reviewAdmission(
      request(scaledObject("a", { minReplicaCount: 1, triggers: [cpu] })),
      noRequests,
    );
    expect(denied.status?.message).toContain(
      "spec.triggers[0]: the scaledobject has a cpu trigger but the container app doesn't have the cpu request defined",
    );
    const withRequests = cluster({
      containers: () => Promise.resolve([{ name: "app", resources: { requests: { cpu: "100m" } } }]),
    });
    const toZero = await reviewAdmission(request(scaledObject("a", { triggers: [cpu] })), withRequests);
    expect(toZero.status?.message).toContain(
      "spec.minReplicaCount: a ScaledObject whose triggers are all cpu or memory cannot scale to zero",
    );
    const fine = await reviewAdmission(
      request(scaledObject("a", { minReplicaCount: 1, triggers: [cpu] })),
      withRequests,
    );
    expect(fine.allowed).toBe(true);
  });

  it("lets deletes and other kinds through", async () => {
    const object = scaledObject("a", { triggers: [] });
    expect((await reviewAdmission(request(object, "DELETE"), cluster())).allowed).toBe(true);
  });
});
