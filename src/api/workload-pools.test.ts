import { describe, expect, it } from "vitest";
import type { SourceDocument } from "./load.ts";
import { readResources } from "./resources.ts";
import { localPoolOf, workloadNotes, workloadPoolSpec } from "./workload-pools.ts";
import { workload as workloadSchema } from "./schema/workload.ts";

/** Reading resources does not depend on any scaler's KEDA 1.x rules. */
const noTriggerRules = () => undefined;

function read(...values: unknown[]) {
  const documents: SourceDocument[] = values.map((value, index) => ({
    file: "app.yaml",
    doc: index + 1,
    value,
  }));
  return readResources(documents, noTriggerRules);
}

function deployment(name: string, podSpec: Record<string, unknown>, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: podSpec },
      ...spec,
    },
  };
}

function scaledObject(name: string, scaleTargetRef: Record<string, unknown>) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name },
    spec: { scaleTargetRef, triggers: [{ type: "cron", metadata: { timezone: "UTC" } }] },
  };
}

const worker = { name: "worker", image: "registry.example/worker:1", command: ["node"], args: ["worker.js"] };

describe("workloadPoolSpec", () => {
  it("runs the first container's command + args with its env, envFrom, workingDir and the pod's grace period", () => {
    const parsed = workloadSchema.parse(
      deployment(
        "worker",
        {
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              ...worker,
              workingDir: "app",
              env: [
                { name: "QUEUE", value: "orders" },
                { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } },
                {
                  name: "MODE",
                  valueFrom: { configMapKeyRef: { name: "settings", key: "mode", optional: true } },
                },
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              ],
              envFrom: [{ prefix: "DB_", secretRef: { name: "db" } }],
            },
          ],
        },
        { replicas: 3 },
      ),
    );
    expect(workloadPoolSpec(parsed)?.spec).toEqual({
      command: ["node"],
      args: ["worker.js"],
      env: [
        { name: "QUEUE", value: "orders" },
        { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "creds", key: "password" } } },
        { name: "MODE", valueFrom: { configMapKeyRef: { name: "settings", key: "mode", optional: true } } },
      ],
      envFrom: [{ prefix: "DB_", secretRef: { name: "db" } }],
      cwd: "app",
      replicas: 3,
      terminationGracePeriodSeconds: 5,
      readiness: "process",
    });
  });

  it("starts at one replica and a 30 s grace period when the workload does not say, as Kubernetes does", () => {
    const spec = workloadPoolSpec(workloadSchema.parse(deployment("worker", { containers: [worker] })))?.spec;
    expect(spec).toMatchObject({ replicas: 1, terminationGracePeriodSeconds: 30 });
  });

  it("says in one line what runs and names every field it does not use, other containers among them", () => {
    const parsed = workloadSchema.parse(
      deployment(
        "worker",
        {
          serviceAccountName: "worker",
          volumes: [{ name: "tmp", emptyDir: {} }],
          initContainers: [{ name: "migrate", image: "registry.example/migrate:1" }],
          containers: [
            {
              ...worker,
              env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
              resources: { requests: { cpu: "100m" } },
              readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
              ports: [{ containerPort: 8080 }],
              volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
            },
            { name: "proxy", image: "registry.example/proxy:1" },
          ],
        },
        { replicas: 2, strategy: { type: "RollingUpdate" } },
      ),
    );
    expect(workloadPoolSpec(parsed)?.note).toBe(
      'runs as local processes under tidal run: containers[0] ("worker") command, args, env; spec.replicas (2) is only ' +
        "the first count, the scaler decides after that; not used: image, resources, readinessProbe, ports, " +
        "volumeMounts, env POD_NAME (fieldRef), spec.template.spec.serviceAccountName, spec.template.spec.volumes, " +
        'spec.template.spec.initContainers, containers[1] ("proxy"), spec.strategy',
    );
  });

  it("has nothing to run when the first container has no command (the image's entrypoint needs the image)", () => {
    const withoutCommand = {
      name: "worker",
      image: "registry.example/worker:1",
      args: ["--queue", "orders"],
    };
    expect(
      workloadPoolSpec(workloadSchema.parse(deployment("worker", { containers: [withoutCommand] }))),
    ).toBe(undefined);
    // The first container is the one that runs, as for a ScaledJob's jobs: a command in another does not count.
    expect(
      workloadPoolSpec(workloadSchema.parse(deployment("worker", { containers: [withoutCommand, worker] }))),
    ).toBe(undefined);
  });
});

describe("reading Deployments and StatefulSets", () => {
  it("makes a pool of the Deployment a ScaledObject scales (kind and apiVersion left to KEDA's defaults)", () => {
    const { set, problems } = read(
      deployment("worker", { containers: [worker] }),
      scaledObject("worker", { name: "worker" }),
    );
    expect(problems).toEqual([]);
    expect(set.workloads).toHaveLength(1);
    expect(set.processPools).toEqual([
      expect.objectContaining({
        file: "app.yaml",
        doc: 1,
        object: expect.objectContaining({
          kind: "ProcessPool",
          metadata: { name: "worker", namespace: "default" },
          spec: expect.objectContaining({ command: ["node"], args: ["worker.js"] }),
        }),
        workload: expect.objectContaining({ kind: "Deployment" }),
      }),
    ]);
    const pool = localPoolOf({ name: "worker" }, "default", set);
    expect(pool?.workload?.kind).toBe("Deployment");
    // A ProcessPool reference does not find a pool made from a Deployment.
    expect(localPoolOf({ name: "worker", kind: "ProcessPool" }, "default", set)).toBe(undefined);
    expect(workloadNotes(set)).toEqual([
      expect.objectContaining({ file: "app.yaml", doc: 1, kind: "Deployment", name: "worker" }),
    ]);
  });

  it("makes pools of StatefulSets, and matches kinds case-insensitively as KEDA's examples write them", () => {
    const statefulSet = { ...deployment("db-worker", { containers: [worker] }), kind: "StatefulSet" };
    const { set, problems } = read(
      statefulSet,
      scaledObject("db-worker", { apiVersion: "apps/v1", kind: "statefulset", name: "db-worker" }),
    );
    expect(problems).toEqual([]);
    expect(set.processPools.map((pool) => pool.workload?.kind)).toEqual(["StatefulSet"]);
  });

  it("runs only the workloads that are scaled, in the same namespace, and only of apps/v1", () => {
    const { set, problems } = read(
      deployment("redis", { containers: [{ name: "redis", image: "redis:7", command: ["redis-server"] }] }),
      { ...deployment("worker", { containers: [worker] }), metadata: { name: "worker", namespace: "jobs" } },
      scaledObject("worker", { name: "worker" }),
      // Someone else's Deployment (an old apiVersion) is skipped, not reported as a typo.
      { ...deployment("legacy", { containers: [worker] }), apiVersion: "extensions/v1beta1" },
    );
    expect(problems).toEqual([]);
    expect(set.processPools).toEqual([]);
  });

  it("reads a Deployment without a pod template (a kustomize patch) without a problem", () => {
    const { set, problems } = read({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "w" },
      spec: { replicas: 3 },
    });
    expect(problems).toEqual([]);
    expect(set.workloads).toHaveLength(1);
  });

  it("gives a ProcessPool of the same name its name: no pool is made from the Deployment", () => {
    const { set } = read(
      {
        apiVersion: "tidal.dev/v1alpha1",
        kind: "ProcessPool",
        metadata: { name: "worker" },
        spec: { command: ["x"] },
      },
      deployment("worker", { containers: [worker] }),
      scaledObject("worker", { name: "worker" }),
    );
    expect(set.processPools.map((pool) => pool.workload)).toEqual([undefined]);
    expect(localPoolOf({ name: "worker" }, "default", set)).toBe(undefined);
  });

  it("makes a pool of the Deployment an HTTPScaledObject routes to (the add-on's default kind) when no ProcessPool has its name", () => {
    const httpScaledObject = {
      apiVersion: "http.keda.sh/v1alpha1",
      kind: "HTTPScaledObject",
      metadata: { name: "web" },
      spec: { hosts: ["web.local"], scaleTargetRef: { name: "web", service: "web", port: 8080 } },
    };
    const { set, problems } = read(deployment("web", { containers: [worker] }), httpScaledObject);
    expect(problems).toEqual([]);
    expect(set.processPools.map((pool) => pool.workload?.kind)).toEqual(["Deployment"]);
  });
});
