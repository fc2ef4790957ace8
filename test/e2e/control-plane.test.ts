import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestNamespace, eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { otherCheckout } from "../support/other-checkout.ts";

interface PodList {
  items: { status: { phase: string; conditions?: { type: string; status: string }[] } }[];
}
interface Hpa {
  status?: { conditions?: { type: string; status: string; reason: string; message: string }[] };
}

describe("local control plane", () => {
  let namespace = "";
  let remove: () => Promise<void> = async () => {};
  beforeAll(async () => {
    ({ namespace, remove } = await createTestNamespace("e2e-plane"));
  });
  afterAll(async () => remove());

  it("answers /readyz with ok", async () => {
    expect((await kubectl(["get", "--raw", "/readyz"])).trim()).toBe("ok");
  });

  it("runs a Deployment's two pods to Running on the kwok node", async () => {
    await kubectl([
      "-n",
      namespace,
      "create",
      "deployment",
      "web",
      "--image=example.invalid/web",
      "--replicas=2",
    ]);
    const running = await eventually("2 running, ready pods", async () => {
      const pods = await kubectlJson<PodList>(["-n", namespace, "get", "pods", "-l", "app=web"]);
      const ready = pods.items.filter(
        (pod) =>
          pod.status.phase === "Running" &&
          pod.status.conditions?.some(
            (condition) => condition.type === "Ready" && condition.status === "True",
          ),
      );
      return ready.length === 2 && ready.length;
    });
    expect(running).toBe(2);
  });

  it("runs the real HPA controller, which reports the external metrics API as unavailable", async () => {
    await kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "web" },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
          minReplicas: 1,
          maxReplicas: 3,
          metrics: [
            {
              type: "External",
              external: {
                metric: {
                  name: "s0-unserved",
                  selector: { matchLabels: { "scaledobject.keda.sh/name": "web" } },
                },
                target: { type: "AverageValue", averageValue: "10" },
              },
            },
          ],
        },
      }),
    );
    const condition = await eventually("the HPA's ScalingActive condition", async () => {
      const hpa = await kubectlJson<Hpa>(["-n", namespace, "get", "hpa", "web"]);
      return hpa.status?.conditions?.find((candidate) => candidate.type === "ScalingActive");
    });
    expect(condition.status).toBe("False");
    expect(condition.reason).toBe("FailedGetExternalMetric");
    expect(condition.message).toMatch(/external metrics API/);
  });

  it("refuses a second control plane on its ports, naming who holds them, before any build", () => {
    const other = otherCheckout(["kube.sh", "ports.sh"]);
    try {
      const up = other.run("kube.sh", ["up"]);
      expect(up.status).toBe(1);
      expect(up.stderr).toMatch(
        /etcd cannot start: 127\.0\.0\.1:12379 is already in use by etcd \(pid \d+\)/,
      );
      expect(up.stderr).toContain("run scripts/kube.sh down there");
    } finally {
      other.remove();
    }
  });
});
