import { describe, expect, it } from "vitest";
import { readResources } from "../api/resources.ts";
import { legacyTriggerRules } from "../scalers/registry.ts";
import { targetEnvironment } from "./file-trigger-inputs.ts";

const environment = { inherited: { HOME: "/home/tidal" }, clusterObjectNamespace: "keda" };

function read(...values: unknown[]) {
  const { set, problems } = readResources(
    values.map((value, index) => ({ file: "app.yaml", doc: index + 1, value })),
    legacyTriggerRules,
  );
  expect(problems).toEqual([]);
  return set;
}

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "worker" },
  spec: {
    template: {
      spec: {
        containers: [
          {
            name: "worker",
            command: ["node", "worker.js"],
            env: [{ name: "QUEUE", valueFrom: { configMapKeyRef: { name: "settings", key: "queue" } } }],
          },
          { name: "sidecar", env: [{ name: "QUEUE", value: "sidecar-queue" }] },
        ],
      },
    },
  },
};
const settings = {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "settings" },
  data: { queue: "orders" },
};

function scaledObject(scaleTargetRef: Record<string, unknown>) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: "worker" },
    spec: {
      scaleTargetRef,
      triggers: [{ type: "redis", metadata: { address: "127.0.0.1:6379", listNameFromEnv: "QUEUE" } }],
    },
  };
}

describe("targetEnvironment of a Deployment run as local processes", () => {
  it("resolves the first container's env from the files' ConfigMaps, over Tidal's own environment", async () => {
    const object = scaledObject({ name: "worker" });
    const set = read(settings, deployment, object);
    expect(await targetEnvironment(set.scaledObjects[0]!.object, set, environment)).toEqual({
      HOME: "/home/tidal",
      QUEUE: "orders",
    });
  });

  it("reads envSourceContainerName's container, as KEDA does on Kubernetes", async () => {
    const set = read(
      settings,
      deployment,
      scaledObject({ name: "worker", envSourceContainerName: "sidecar" }),
    );
    expect(await targetEnvironment(set.scaledObjects[0]!.object, set, environment)).toMatchObject({
      QUEUE: "sidecar-queue",
    });
  });

  it("reads a ProcessPool's envFrom too: every key of a ConfigMap of the files, with its prefix", async () => {
    const pool = {
      apiVersion: "tidal.dev/v1alpha1",
      kind: "ProcessPool",
      metadata: { name: "worker" },
      spec: {
        command: ["node", "worker.js"],
        envFrom: [{ prefix: "APP_", configMapRef: { name: "settings" } }],
      },
    };
    const set = read(
      settings,
      pool,
      scaledObject({ apiVersion: "tidal.dev/v1alpha1", kind: "ProcessPool", name: "worker" }),
    );
    expect(await targetEnvironment(set.scaledObjects[0]!.object, set, environment)).toEqual({
      HOME: "/home/tidal",
      APP_queue: "orders",
    });
  });
});
