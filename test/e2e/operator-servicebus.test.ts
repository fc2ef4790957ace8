import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repositoryRoot, runTidal } from "../cli/tidal-cli.ts";
import { startFakeServiceBus, type FakeServiceBus } from "../support/fakes/fake-servicebus.ts";
import { fakeTls } from "../support/fakes/tls.ts";
import { useCleanup } from "../support/isolation.ts";
import { eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { startOperatorWithNamespace, type TidalOperator } from "../support/tidal-operator.ts";

/**
 * The seed articles' Service Bus walkthrough on Kubernetes: the KEDA 1.x ScaledObject run through
 * `tidal migrate`, applied beside the function's Deployment whose container takes the connection
 * string from a Secret, under `tidal operator`. The queue is fake-servicebus on loopback (the
 * operator runs on this machine), and the test moves its active message count 0 → 50 → 0.
 */
describe("the Service Bus walkthrough on the operator", () => {
  const cleanup = useCleanup();
  let operator: TidalOperator;
  let namespace = "";
  let serviceBus: FakeServiceBus;

  beforeAll(async () => {
    serviceBus = await startFakeServiceBus();
    cleanup.add(() => serviceBus.close());
    ({ operator, namespace } = await startOperatorWithNamespace(cleanup, "e2e-servicebus", {
      env: { NODE_EXTRA_CA_CERTS: (await fakeTls()).caFile },
    }));
  });
  afterAll(async () => {
    expect(await operator.stop()).toBe(0);
  });

  const replicas = async () =>
    (
      await kubectlJson<{ spec: { replicas: number } }>([
        "-n",
        namespace,
        "get",
        "deployment",
        "keda-service-bus-function",
      ])
    ).spec.replicas;

  it("scales the function's Deployment 0 → 5 → 0 with the queue's active messages", async () => {
    const migrated = await runTidal([
      "migrate",
      "-f",
      join(repositoryRoot, "examples/azure-servicebus/keda-v1.yaml"),
    ]);
    expect(migrated.code).toBe(0);
    const scaledObject = parse(migrated.stdout) as { spec: Record<string, unknown> };
    // The walkthrough keeps one replica and polls every 30 s; the test scales to zero and polls
    // every second so it ends in seconds.
    Object.assign(scaledObject.spec, { minReplicaCount: 0, pollingInterval: 1, cooldownPeriod: 2 });
    const connection = serviceBus.connectionString();
    serviceBus.setQueue("my-queue", { active: 0 });
    await kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      [
        {
          apiVersion: "v1",
          kind: "Secret",
          metadata: { name: "servicebus-connection" },
          stringData: { connection },
        },
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "keda-service-bus-function" },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: "keda-service-bus-function" } },
            template: {
              metadata: { labels: { app: "keda-service-bus-function" } },
              spec: {
                containers: [
                  {
                    name: "azure-functions-container",
                    image: "example.invalid/servicebus-function",
                    env: [
                      {
                        name: "SB_CONN_STRING",
                        valueFrom: { secretKeyRef: { name: "servicebus-connection", key: "connection" } },
                      },
                    ],
                  },
                ],
              },
            },
          },
        },
        scaledObject,
      ]
        .map((document) => JSON.stringify(document))
        .join("\n"),
    );

    await eventually("the idle Deployment scaled to 0", async () => (await replicas()) === 0, {
      timeoutMs: 60_000,
    });
    serviceBus.setQueue("my-queue", { active: 50, scheduled: 40 });
    await eventually("at least one replica for 50 messages", async () => (await replicas()) >= 1, {
      timeoutMs: 60_000,
    });
    // The HPA takes it on from there: 50 active messages at messageCount 10 is 5 replicas.
    await eventually("5 replicas", async () => (await replicas()) === 5, { timeoutMs: 90_000 });
    const hpa = await kubectlJson<{ spec: { metrics: { external: { metric: { name: string } } }[] } }>([
      "-n",
      namespace,
      "get",
      "hpa",
      "keda-hpa-keda-service-bus-function",
    ]);
    expect(hpa.spec.metrics[0]?.external.metric.name).toBe("s0-azure-servicebus-my-queue");
    serviceBus.setQueue("my-queue", { active: 0, scheduled: 40 });
    await eventually("back to 0", async () => (await replicas()) === 0, { timeoutMs: 120_000 });
    expect(serviceBus.requests.filter((request) => request.status === 401)).toEqual([]);
    expect(operator.output).not.toContain(serviceBus.key);
    expect(operator.output).not.toContain(connection);
  });
});
