/**
 * kubernetes-workload and kubernetes-resource against the real control plane: read by
 * `tidal probe` through the kubeconfig (what `tidal run` uses), refused with a clear error when
 * there is no cluster, and served by the operator through its own client to the HPA's metrics API.
 * A canary in a Secret must never appear in any output.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { expectNoStackTrace, runTidal } from "../cli/tidal-cli.ts";
import { useCleanup } from "../support/isolation.ts";
import { eventually, kubectl } from "../support/kube.ts";
import { startOperatorWithNamespace, type TidalOperator } from "../support/tidal-operator.ts";

const CANARY = `canary-${randomBytes(6).toString("hex")}`;

interface ProbeRow {
  trigger: string | number;
  metricName: string | null;
  value: number | null;
  active: boolean | null;
  error: string | null;
}

function pod(name: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels: { app: "job-runner" } },
    spec: { containers: [{ name: "main", image: "example.invalid/runner" }] },
  };
}

/** The objects the triggers read: three pods, a ConfigMap and a Secret (with a canary). */
function clusterObjects() {
  return [
    pod("runner-a"),
    pod("runner-b"),
    pod("runner-c"),
    {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "scaling" },
      data: { desired: "7", settings: JSON.stringify({ queue: { depth: "1500m" } }) },
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "limits" },
      stringData: { limit: "25", canary: CANARY },
    },
  ];
}

function trigger(name: string, type: string, metadata: Record<string, string>) {
  return { name, type, metadata };
}

const TRIGGERS = [
  trigger("pods", "kubernetes-workload", { podSelector: "app=job-runner", value: "1", activationValue: "2" }),
  trigger("desired", "kubernetes-resource", {
    resourceKind: "ConfigMap",
    resourceName: "scaling",
    key: "desired",
    targetValue: "5",
  }),
  trigger("depth", "kubernetes-resource", {
    resourceKind: "ConfigMap",
    resourceName: "scaling",
    key: "settings",
    format: "json",
    valueLocation: "queue.depth",
    valueType: "quantity",
    targetValue: "1",
  }),
  trigger("limit", "kubernetes-resource", {
    resourceKind: "Secret",
    resourceName: "limits",
    key: "limit",
    targetValue: "10",
  }),
  trigger("canary", "kubernetes-resource", {
    resourceKind: "Secret",
    resourceName: "limits",
    key: "canary",
    targetValue: "10",
  }),
  trigger("missing", "kubernetes-resource", {
    resourceKind: "ConfigMap",
    resourceName: "missing",
    key: "desired",
    targetValue: "10",
  }),
];

describe("kubernetes-workload and kubernetes-resource", () => {
  const cleanup = useCleanup();
  let operator: TidalOperator;
  let namespace = "";
  let manifest = "";

  beforeAll(async () => {
    ({ operator, namespace } = await startOperatorWithNamespace(cleanup, "e2e-k8s-scalers"));
    await kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      clusterObjects()
        .map((object) => JSON.stringify(object))
        .join("\n"),
    );
    const directory = mkdtempSync(join(tmpdir(), "tidal-k8s-scalers-"));
    manifest = join(directory, "scaledobject.yaml");
    writeFileSync(
      manifest,
      stringify({
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "runners", namespace },
        spec: { scaleTargetRef: { name: "runners" }, triggers: TRIGGERS },
      }),
    );
  });
  afterAll(async () => {
    await operator.stop();
  });

  it("tidal probe reads pods, ConfigMaps and Secrets through the kubeconfig", async () => {
    const result = await runTidal(["probe", "-f", manifest, "--output", "json"]);
    expectNoStackTrace(result);
    const rows = JSON.parse(result.stdout) as ProbeRow[];
    const byName = new Map(rows.map((row) => [String(row.trigger), row]));
    expect(byName.get("pods")).toMatchObject({
      metricName: `s0-workload-${namespace}`,
      value: 3,
      active: true,
    });
    expect(byName.get("desired")).toMatchObject({ metricName: "s1-configmap-scaling-desired", value: 7 });
    expect(byName.get("depth")).toMatchObject({ value: 1.5, active: true });
    expect(byName.get("limit")).toMatchObject({ metricName: "s3-secret-limits-limit", value: 25 });
    expect(byName.get("canary")?.error).toBe(
      "error parsing value as float64: the Secret's value is not a number",
    );
    expect(byName.get("missing")?.error).toBe(
      `error getting ConfigMap ${namespace}/missing: configmaps "missing" not found`,
    );
    expect(result.stdout + result.stderr).not.toContain(CANARY);
  });

  it("without a cluster, each such trigger says why it cannot read", async () => {
    const home = mkdtempSync(join(tmpdir(), "tidal-no-kube-"));
    const result = await runTidal(["probe", "-f", manifest, "--output", "json"], {
      env: { KUBECONFIG: "", HOME: home },
    });
    expectNoStackTrace(result);
    const rows = JSON.parse(result.stdout) as ProbeRow[];
    expect(rows).toHaveLength(TRIGGERS.length);
    for (const row of rows) {
      expect(row.error).toBe(
        "this trigger reads the Kubernetes API, and no cluster is configured: set KUBECONFIG or create ~/.kube/config",
      );
    }
  });

  it("the operator reads them with its own client and serves them to the HPA", async () => {
    await kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name: "runners" },
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: "runners" } },
            template: {
              metadata: { labels: { app: "runners" } },
              spec: { containers: [{ name: "main", image: "example.invalid/runners" }] },
            },
          },
        },
        {
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "runners" },
          spec: {
            scaleTargetRef: { name: "runners" },
            pollingInterval: 1,
            minReplicaCount: 1,
            triggers: TRIGGERS.slice(0, 4),
          },
        },
      ]
        .map((object) => JSON.stringify(object))
        .join("\n"),
    );
    const metric = async (name: string) => {
      const path = `/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/${name}?labelSelector=scaledobject.keda.sh%2Fname%3Drunners`;
      const answer = await kubectl(["get", "--raw", path]).catch(() => undefined);
      return answer === undefined ? undefined : (JSON.parse(answer) as { items: { value: string }[] });
    };
    await eventually(
      "three pods in the metrics API",
      async () => (await metric(`s0-workload-${namespace}`))?.items[0]?.value === "3",
      { timeoutMs: 60_000 },
    );
    expect((await metric("s1-configmap-scaling-desired"))?.items[0]?.value).toBe("7");
    expect((await metric("s3-secret-limits-limit"))?.items[0]?.value).toBe("25");

    await kubectl(["-n", namespace, "delete", "pod", "runner-c", "--wait=false"]);
    await kubectl(["-n", namespace, "patch", "configmap", "scaling", "-p", '{"data":{"desired":"9"}}']);
    await eventually(
      "the metrics API to follow the cluster",
      async () =>
        (await metric(`s0-workload-${namespace}`))?.items[0]?.value === "2" &&
        (await metric("s1-configmap-scaling-desired"))?.items[0]?.value === "9",
      { timeoutMs: 60_000 },
    );
    expect(operator.output).not.toContain(CANARY);
  });
});
