// The admission webhook on the real control plane: `tidal operator --local --webhook-port 0`
// registers it, and `kubectl apply` of a bad keda.sh object is refused with the field and what to do.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useCleanup } from "../support/isolation.ts";
import { createTestNamespace, kubectl } from "../support/kube.ts";
import { TidalOperator } from "../support/tidal-operator.ts";

const deployment = (name: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "main", image: "example.invalid/w" }] },
    },
  },
});

const scaledObject = (name: string, target: string, metadata: Record<string, string>) => ({
  apiVersion: "keda.sh/v1alpha1",
  kind: "ScaledObject",
  metadata: { name },
  spec: { scaleTargetRef: { name: target }, triggers: [{ type: "redis", metadata }] },
});

const redis = { address: "redis.invalid:6379", listName: "jobs" };

describe("the admission webhook", () => {
  const cleanup = useCleanup();
  let operator: TidalOperator;
  let namespace = "";

  /** `kubectl apply` of one object: its error text, or "" when it was accepted. */
  async function apply(object: object): Promise<string> {
    try {
      await kubectl(["apply", "-n", namespace, "-f", "-"], JSON.stringify(object));
      return "";
    } catch (error) {
      return (error as Error).message;
    }
  }

  beforeAll(async () => {
    await kubectl(["apply", "-f", "deploy/crds/"]);
    operator = await TidalOperator.start({ args: ["--webhook-port", "0"] });
    const created = await createTestNamespace("e2e-admission");
    cleanup.add(created.remove);
    namespace = created.namespace;
    expect(await apply(deployment("orders"))).toBe("");
    expect(await apply(deployment("legacy"))).toBe("");
  });
  afterAll(async () => {
    await operator?.stop();
  });

  it("refuses an invalid ScaledObject, naming the field", async () => {
    const refused = await apply(scaledObject("bad", "orders", { listName: "jobs" }));
    expect(refused).toContain('admission webhook "vkeda.tidal.dev" denied the request');
    expect(refused).toContain("spec.triggers[0].metadata.address");
  });

  it("accepts a valid one, and refuses a second ScaledObject on the same target", async () => {
    expect(await apply(scaledObject("first", "orders", redis))).toBe("");
    const second = await apply(scaledObject("second", "orders", redis));
    expect(second).toContain('ScaledObject "first" already scales Deployment "orders"');
  });

  it("refuses a target an HPA of its own already scales", async () => {
    expect(
      await apply({
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "legacy-hpa" },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "legacy" },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
            },
          ],
        },
      }),
    ).toBe("");
    const refused = await apply(scaledObject("legacy", "legacy", redis));
    expect(refused).toContain("is already managed by the hpa 'legacy-hpa'");
  });

  it("removes its registration when the operator stops", async () => {
    expect(
      await kubectl(["get", "validatingwebhookconfiguration", "tidal-admission-local", "-o", "name"]),
    ).toContain("tidal-admission-local");
    await operator.stop();
    await expect(kubectl(["get", "validatingwebhookconfiguration", "tidal-admission-local"])).rejects.toThrow(
      /NotFound|not found/,
    );
  });
});
