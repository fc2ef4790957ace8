import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { useCleanup } from "../support/isolation.ts";
import { eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { startOperatorWithNamespace, type TidalOperator } from "../support/tidal-operator.ts";
import { useServices } from "../support/services.ts";

beforeAll(() => useServices("rabbitmq"));

describe("the operator keeps secrets out of every output", () => {
  const cleanup = useCleanup();
  let operator: TidalOperator;
  let namespace = "";

  beforeAll(async () => {
    ({ operator, namespace } = await startOperatorWithNamespace(cleanup, "e2e-secrets"));
  });
  afterAll(async () => {
    await operator.stop();
  });

  it("never shows a Secret's value in status, events, logs, the metrics API or Prometheus metrics", async () => {
    const canary = `canary-${randomBytes(6).toString("hex")}`;
    const documents = [
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "guarded" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "guarded" } },
          template: {
            metadata: { labels: { app: "guarded" } },
            spec: { containers: [{ name: "main", image: "example.invalid/w" }] },
          },
        },
      },
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "rabbitmq" },
        stringData: { host: `amqp://tidal:${canary}@127.0.0.1:5672/` },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "TriggerAuthentication",
        metadata: { name: "rabbitmq" },
        spec: { secretTargetRef: [{ parameter: "host", name: "rabbitmq", key: "host" }] },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "guarded" },
        spec: {
          scaleTargetRef: { name: "guarded" },
          pollingInterval: 1,
          minReplicaCount: 1,
          triggers: [
            { type: "rabbitmq", metadata: { queueName: "orders" }, authenticationRef: { name: "rabbitmq" } },
          ],
        },
      },
    ];
    await kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      documents.map((document) => JSON.stringify(document)).join("\n"),
    );
    const failing = await eventually(
      "the trigger error in status",
      async () => {
        const object = await kubectlJson<{ status?: { conditions?: { type: string; reason?: string }[] } }>([
          "-n",
          namespace,
          "get",
          "scaledobject",
          "guarded",
        ]);
        return (
          object.status?.conditions?.some(
            (condition) => condition.type === "Ready" && condition.reason === "TriggerError",
          ) && object
        );
      },
      { timeoutMs: 30_000 },
    );
    const events = await eventually("the KEDAScalerFailed event", async () => {
      const list = await kubectl(["-n", namespace, "get", "events", "-o", "json"]);
      return list.includes("KEDAScalerFailed") && list;
    });
    const metricsApi = await kubectl([
      "get",
      "--raw",
      `/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/s0-rabbitmq-orders?labelSelector=scaledobject.keda.sh%2Fname%3Dguarded`,
    ]).catch((error: unknown) => String(error));
    expect(metricsApi).toMatch(/encountered error/);
    const started = operator.logs.find((line) => line.msg === "tidal operator started");
    const prometheus = await (await fetch(String(started?.metrics))).text();
    for (const output of [JSON.stringify(failing), events, metricsApi, prometheus, operator.output]) {
      expect(output).not.toContain(canary);
    }
  });
});
