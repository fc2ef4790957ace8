import { describe, expect, it } from "vitest";
import { scaledObject } from "../../api/schema/scaled-object.ts";
import { metricSpec } from "../../engine/test-fixtures.ts";
import { desiredHpa, hpaUpToDate, type HorizontalPodAutoscaler } from "./hpa.ts";

const target = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  resource: "deployments",
  apiVersion: "apps/v1",
};
const specs = [
  metricSpec(),
  metricSpec({
    index: 1,
    name: "rate",
    type: "prometheus",
    metricName: "s1-prometheus",
    targetType: "Value",
    target: 0.5,
  }),
];

function object(extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}) {
  return {
    ...scaledObject.parse({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "orders", namespace: "shop", labels: { team: "a", secret: "x" }, annotations },
      spec: { scaleTargetRef: { name: "worker" }, triggers: [{ type: "redis", metadata: {} }], ...extra },
    }),
    metadata: {
      name: "orders",
      namespace: "shop",
      labels: { team: "a", secret: "x" },
      annotations,
      uid: "uid-1",
    },
  };
}

describe("desiredHpa", () => {
  it("lets the ScaledObject's own labels override KEDA's, as KEDA does", () => {
    const plain = object();
    const labels: Record<string, string> = {
      ...plain.metadata.labels,
      "app.kubernetes.io/managed-by": "Helm",
    };
    const hpa = desiredHpa({ ...plain, metadata: { ...plain.metadata, labels } }, specs, target, "0.1.0");
    expect(hpa.metadata.labels["app.kubernetes.io/managed-by"]).toBe("Helm");
    expect(hpa.metadata.labels["app.kubernetes.io/part-of"]).toBe("orders");
  });

  it("builds KEDA's HPA: name, labels, owner, min 1 for min 0, one External metric per trigger", () => {
    const hpa = desiredHpa(object({ maxReplicaCount: 7 }), specs, target, "0.1.0");
    expect(hpa.metadata.name).toBe("keda-hpa-orders");
    expect(hpa.metadata.labels).toMatchObject({
      "app.kubernetes.io/name": "keda-hpa-orders",
      "app.kubernetes.io/part-of": "orders",
      "app.kubernetes.io/managed-by": "keda-operator",
      team: "a",
    });
    expect(hpa.metadata.ownerReferences[0]).toMatchObject({
      kind: "ScaledObject",
      name: "orders",
      uid: "uid-1",
      controller: true,
    });
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "worker" },
      minReplicas: 1,
      maxReplicas: 7,
    });
    expect(hpa.spec.metrics).toEqual([
      {
        type: "External",
        external: {
          metric: {
            name: "s0-redis-jobs",
            selector: { matchLabels: { "scaledobject.keda.sh/name": "orders" } },
          },
          target: { type: "AverageValue", averageValue: "10" },
        },
      },
      {
        type: "External",
        external: {
          metric: {
            name: "s1-prometheus",
            selector: { matchLabels: { "scaledobject.keda.sh/name": "orders" } },
          },
          target: { type: "Value", value: "500m" },
        },
      },
    ]);
    expect(hpa.spec.behavior).toBeUndefined();
  });

  it("uses a custom name, drops excluded labels, one composite metric with a formula, and disables paused directions", () => {
    const hpa = desiredHpa(
      object(
        {
          minReplicaCount: 2,
          advanced: {
            horizontalPodAutoscalerConfig: { name: "custom" },
            scalingModifiers: { formula: "a + b", target: "4" },
          },
        },
        {
          "scaledobject.keda.sh/hpa-excluded-labels": "secret",
          "autoscaling.keda.sh/paused-scale-in": "true",
        },
      ),
      specs,
      target,
      "0.1.0",
    );
    expect(hpa.metadata.name).toBe("custom");
    expect(hpa.metadata.labels.secret).toBeUndefined();
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.metrics).toHaveLength(1);
    expect(hpa.spec.metrics[0]).toMatchObject({
      external: { metric: { name: "composite-metric" }, target: { averageValue: "4" } },
    });
    expect(hpa.spec.behavior).toEqual({ scaleDown: { selectPolicy: "Disabled" } });
  });
});

describe("hpaUpToDate", () => {
  const desired = desiredHpa(
    object({
      advanced: {
        horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } },
      },
    }),
    specs,
    target,
    "0.1.0",
  );
  const live = (): HorizontalPodAutoscaler => {
    const copy = structuredClone(desired);
    // The API server reorders keys and fills behavior defaults; neither is a difference.
    copy.spec = {
      maxReplicas: copy.spec.maxReplicas,
      minReplicas: copy.spec.minReplicas,
      metrics: copy.spec.metrics,
      scaleTargetRef: copy.spec.scaleTargetRef,
    };
    copy.spec.behavior = {
      scaleDown: {
        stabilizationWindowSeconds: 0,
        selectPolicy: "Max",
        policies: [{ type: "Percent", value: 100, periodSeconds: 15 }],
      },
      scaleUp: {
        stabilizationWindowSeconds: 0,
        selectPolicy: "Max",
        policies: [{ type: "Pods", value: 4, periodSeconds: 15 }],
      },
    };
    copy.metadata.labels = { ...copy.metadata.labels, extra: "kept" };
    return copy;
  };

  it("accepts a live HPA that only adds defaults and labels", () => {
    expect(hpaUpToDate(live(), desired)).toBe(true);
  });

  it("notices a changed spec or a missing label", () => {
    const changed = live();
    changed.spec.maxReplicas = 99;
    expect(hpaUpToDate(changed, desired)).toBe(false);
    const unlabelled = live();
    delete unlabelled.metadata.labels["app.kubernetes.io/part-of"];
    expect(hpaUpToDate(unlabelled, desired)).toBe(false);
    const behavior = live();
    (
      behavior.spec.behavior as { scaleDown: { stabilizationWindowSeconds: number } }
    ).scaleDown.stabilizationWindowSeconds = 300;
    expect(hpaUpToDate(behavior, desired)).toBe(false);
  });
});
