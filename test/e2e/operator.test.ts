import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uniqueName, useCleanup } from "../support/isolation.ts";
import { eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { services, useServices } from "../support/services.ts";
import { startOperatorWithNamespace, type TidalOperator } from "../support/tidal-operator.ts";

beforeAll(() => useServices("redis"));

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface ScaledObjectStatus {
  metadata: { finalizers?: string[]; labels?: Record<string, string> };
  status?: {
    conditions?: Condition[];
    hpaName?: string;
    externalMetricNames?: string[];
    originalReplicaCount?: number;
    scaleTargetKind?: string;
  };
}

const redisTrigger = (listName: string, listLength = "10") => ({
  type: "redis",
  metadata: { address: "127.0.0.1:6379", listName, listLength },
});

function deployment(name: string, replicas: number) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image: "example.invalid/worker" }] },
      },
    },
  };
}

function scaledObject(name: string, spec: Record<string, unknown>, annotations: Record<string, string> = {}) {
  return { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", metadata: { name, annotations }, spec };
}

describe("tidal operator on the real control plane", () => {
  const cleanup = useCleanup();
  const redis = new Redis(services.redisUrl);
  let operator: TidalOperator;
  let namespace = "";

  beforeAll(async () => {
    ({ operator, namespace } = await startOperatorWithNamespace(cleanup, "e2e-operator"));
  });
  afterAll(async () => {
    redis.disconnect();
    expect(await operator.stop()).toBe(0);
  });

  const apply = (object: unknown) => kubectl(["-n", namespace, "apply", "-f", "-"], JSON.stringify(object));
  const replicasOf = async (name: string) =>
    (await kubectlJson<{ spec: { replicas: number } }>(["-n", namespace, "get", "deployment", name])).spec
      .replicas;
  const statusOf = (name: string) =>
    kubectlJson<ScaledObjectStatus>(["-n", namespace, "get", "scaledobject", name]);
  const condition = async (name: string, type: string) =>
    (await statusOf(name)).status?.conditions?.find((candidate) => candidate.type === type);

  it("activates a Deployment from 0, lets the real HPA scale it to 5 through the metrics API, and returns to 0", async () => {
    const list = uniqueName("backlog");
    cleanup.add(() => redis.del(list));
    await apply(deployment("worker", 0));
    await apply(
      scaledObject("worker", {
        scaleTargetRef: { name: "worker" },
        pollingInterval: 1,
        cooldownPeriod: 5,
        maxReplicaCount: 5,
        advanced: {
          horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } },
        },
        triggers: [redisTrigger(list)],
      }),
    );
    const ready = await eventually(
      "Ready=True",
      async () => (await condition("worker", "Ready"))?.status === "True" && statusOf("worker"),
    );
    expect(ready.metadata.finalizers).toContain("finalizer.keda.sh");
    expect(ready.metadata.labels?.["scaledobject.keda.sh/name"]).toBe("worker");
    expect(ready.status?.hpaName).toBe("keda-hpa-worker");
    expect(ready.status?.scaleTargetKind).toBe("apps/v1.Deployment");
    expect(ready.status?.externalMetricNames).toEqual([`s0-redis-${list}`]);
    const hpa = await kubectlJson<{ spec: { minReplicas: number; maxReplicas: number; metrics: unknown[] } }>(
      ["-n", namespace, "get", "hpa", "keda-hpa-worker"],
    );
    expect(hpa.spec).toMatchObject({ minReplicas: 1, maxReplicas: 5 });
    expect(hpa.spec.metrics).toEqual([
      {
        type: "External",
        external: {
          metric: {
            name: `s0-redis-${list}`,
            selector: { matchLabels: { "scaledobject.keda.sh/name": "worker" } },
          },
          target: { type: "AverageValue", averageValue: "10" },
        },
      },
    ]);

    await redis.rpush(list, ...Array.from({ length: 45 }, (_, index) => `item-${index}`));
    await eventually(
      "the operator to activate the Deployment",
      async () => (await replicasOf("worker")) >= 1,
      { timeoutMs: 30_000 },
    );
    await eventually(
      "the HPA to scale to 5 from our external metric",
      async () => (await replicasOf("worker")) === 5,
      { timeoutMs: 90_000 },
    );
    const table = await kubectl(["-n", namespace, "get", "scaledobject", "worker"]);
    const [header, row] = table.trim().split("\n") as [string, string];
    expect(header.split(/\s+/)).toEqual([
      "NAME",
      "SCALETARGETKIND",
      "SCALETARGETNAME",
      "MIN",
      "MAX",
      "READY",
      "ACTIVE",
      "FALLBACK",
      "PAUSED",
      "TRIGGERS",
      "AUTHENTICATIONS",
      "AGE",
    ]);
    expect(row.split(/\s+/).slice(0, 8)).toEqual([
      "worker",
      "apps/v1.Deployment",
      "worker",
      "5",
      "True",
      "True",
      "False",
      "False",
    ]);

    await redis.del(list);
    await eventually("back to 0 after the cooldown", async () => (await replicasOf("worker")) === 0, {
      timeoutMs: 90_000,
    });
    const events = await kubectl([
      "-n",
      namespace,
      "get",
      "events",
      "--field-selector",
      "involvedObject.name=worker,involvedObject.kind=ScaledObject",
    ]);
    expect(events).toContain("KEDAScaleTargetActivated");
    expect(events).toContain("KEDAScaleTargetDeactivated");
  });

  it("turns cpu and memory triggers into HPA Resource metrics after the External ones", async () => {
    await apply(deployment("mixed", 1));
    await apply(
      scaledObject("mixed", {
        scaleTargetRef: { name: "mixed" },
        minReplicaCount: 1,
        triggers: [
          { type: "cpu", metricType: "Utilization", metadata: { value: "60" } },
          { type: "memory", metricType: "AverageValue", metadata: { value: "256Mi", containerName: "main" } },
          redisTrigger(uniqueName("mixed")),
        ],
      }),
    );
    const hpa = await eventually("the HPA", () =>
      kubectlJson<{ spec: { metrics: { type: string }[] } }>([
        "-n",
        namespace,
        "get",
        "hpa",
        "keda-hpa-mixed",
      ]),
    );
    expect(hpa.spec.metrics.map((metric) => metric.type)).toEqual([
      "External",
      "Resource",
      "ContainerResource",
    ]);
    expect(hpa.spec.metrics[1]).toEqual({
      type: "Resource",
      resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 60 } },
    });
    expect(hpa.spec.metrics[2]).toEqual({
      type: "ContainerResource",
      containerResource: {
        name: "memory",
        container: "main",
        target: { type: "AverageValue", averageValue: "256Mi" },
      },
    });
    const status = await eventually("Ready", async () => {
      const object = await kubectlJson<{
        status?: { resourceMetricNames?: string[]; externalMetricNames?: string[] };
      }>(["-n", namespace, "get", "scaledobject", "mixed"]);
      return object.status?.resourceMetricNames && object.status;
    });
    expect(status.resourceMetricNames).toEqual(["cpu", "memory"]);
    expect(status.externalMetricNames).toHaveLength(1);
  });

  it("reports an invalid ScaledObject as Ready=False with the validation message", async () => {
    await apply(deployment("invalid-target", 1));
    await apply(
      scaledObject("invalid", {
        scaleTargetRef: { name: "invalid-target" },
        minReplicaCount: 5,
        maxReplicaCount: 2,
        triggers: [redisTrigger("unused")],
      }),
    );
    const ready = await eventually("Ready=False", async () => {
      const found = await condition("invalid", "Ready");
      return found?.status === "False" && found;
    });
    expect(ready.reason).toBe("ScaledObjectCheckFailed");
    expect(ready.message).toContain("minReplicaCount (5) must be less than or equal to maxReplicaCount (2)");
    await expect(kubectl(["-n", namespace, "get", "hpa", "keda-hpa-invalid"])).rejects.toThrow(/NotFound/);
  });

  it("removes the HPA when the ScaledObject is deleted and restores the original replicas when asked", async () => {
    await apply(deployment("restored", 3));
    await apply(
      scaledObject("restored", {
        scaleTargetRef: { name: "restored" },
        pollingInterval: 1,
        advanced: { restoreToOriginalReplicaCount: true },
        triggers: [redisTrigger(uniqueName("empty"))],
      }),
    );
    await eventually("the HPA", () => kubectl(["-n", namespace, "get", "hpa", "keda-hpa-restored"]));
    expect((await statusOf("restored")).status?.originalReplicaCount).toBe(3);
    // Nothing is active and there is no last activity: KEDA scales to 0 once the initial cooldown (0 s) is over.
    await eventually("scaled to 0", async () => (await replicasOf("restored")) === 0, { timeoutMs: 30_000 });

    await kubectl(["-n", namespace, "delete", "scaledobject", "restored", "--wait=true", "--timeout=60s"]);
    expect(await replicasOf("restored")).toBe(3);
    await eventually("the HPA gone", async () => {
      try {
        await kubectl(["-n", namespace, "get", "hpa", "keda-hpa-restored"]);
        return false;
      } catch (error) {
        return /NotFound/.test(String(error));
      }
    });
  });

  it("scales through /scale with no HPA in direct mode", async () => {
    const list = uniqueName("direct");
    cleanup.add(() => redis.del(list));
    await apply(deployment("direct", 0));
    await apply(
      scaledObject(
        "direct",
        {
          scaleTargetRef: { name: "direct" },
          pollingInterval: 1,
          maxReplicaCount: 10,
          triggers: [redisTrigger(list)],
        },
        { "autoscaling.tidal.dev/mode": "direct" },
      ),
    );
    await eventually("Ready=True", async () => (await condition("direct", "Ready"))?.status === "True");
    await redis.rpush(list, ...Array.from({ length: 45 }, (_, index) => `item-${index}`));
    await eventually(
      "5 replicas from the engine's own HPA math",
      async () => (await replicasOf("direct")) === 5,
      { timeoutMs: 30_000 },
    );
    await expect(kubectl(["-n", namespace, "get", "hpa", "keda-hpa-direct"])).rejects.toThrow(/NotFound/);
  });

  it("creates Jobs for a ScaledJob that kwok runs, and applies the history limit", async () => {
    const list = uniqueName("jobs");
    cleanup.add(() => redis.del(list));
    await redis.rpush(list, ...Array.from({ length: 12 }, (_, index) => `item-${index}`));
    await apply({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledJob",
      metadata: { name: "batch" },
      spec: {
        pollingInterval: 1,
        maxReplicaCount: 10,
        successfulJobsHistoryLimit: 1,
        jobTargetRef: {
          template: {
            spec: { containers: [{ name: "main", image: "example.invalid/job" }], restartPolicy: "Never" },
          },
        },
        triggers: [redisTrigger(list, "5")],
      },
    });
    interface JobList {
      items: {
        metadata: {
          name: string;
          labels: Record<string, string>;
          ownerReferences: { kind: string; name: string }[];
        };
        status?: { succeeded?: number };
      }[];
    }
    const batchJobs = () =>
      kubectlJson<JobList>(["-n", namespace, "get", "jobs", "-l", "scaledjob.keda.sh/name=batch"]);
    // ceil(12 / 5) = 3 jobs on the first poll.
    const jobs = await eventually("3 jobs", async () => {
      const list = await batchJobs();
      return list.items.length >= 3 && list;
    });
    await redis.del(list);
    const job = jobs.items[0];
    expect(job?.metadata.labels["app.kubernetes.io/managed-by"]).toBe("keda-operator");
    expect(job?.metadata.ownerReferences[0]).toMatchObject({ kind: "ScaledJob", name: "batch" });
    expect(job?.metadata.name.startsWith("batch-")).toBe(true);
    await eventually(
      "finished jobs pruned to the history limit of 1",
      async () => {
        const list = await batchJobs();
        return list.items.length === 1 && list.items.every((item) => (item.status?.succeeded ?? 0) >= 1);
      },
      { timeoutMs: 60_000 },
    );
    const ready = await eventually("ScaledJob Ready", async () => {
      const status = await kubectlJson<{ status?: { conditions?: Condition[] } }>([
        "-n",
        namespace,
        "get",
        "scaledjob",
        "batch",
      ]);
      return status.status?.conditions?.find(
        (candidate) => candidate.type === "Ready" && candidate.status === "True",
      );
    });
    expect(ready.reason).toBe("ScaledJobReady");
  });
});
