// tidal install and uninstall on the real control plane. The CRDs, the APIService and the webhook
// are shared with the other tests, so the real installation leaves them out (--no-crds,
// --no-metrics-api, --no-webhook) and only the dry run includes them.
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { runTidal } from "../cli/tidal-cli.ts";
import { createTestNamespace, kubectl } from "../support/kube.ts";

const suffix = randomBytes(3).toString("hex");
const name = `e2e-${suffix}`;
const namespace = `e2e-install-${suffix}`;
const env = () => ({ KUBECONFIG: process.env.KUBECONFIG ?? "" });
const scope = ["--name", name, "--namespace", namespace];

/** Whether `kubectl get` finds the object. */
async function exists(args: string[]): Promise<boolean> {
  try {
    await kubectl(["get", ...args, "-o", "name"]);
    return true;
  } catch {
    return false;
  }
}

describe("tidal install and uninstall", () => {
  let watched: { namespace: string; remove: () => Promise<void> };
  afterAll(async () => {
    await kubectl(["delete", "namespace", namespace, "--wait=false", "--ignore-not-found"]);
    await kubectl(["delete", "clusterrole,clusterrolebinding", `${name}-operator`, "--ignore-not-found"]);
    await watched?.remove();
  });

  it("--dry-run prints manifests the API server accepts: CRDs, operator, APIService, webhook, certificates", async () => {
    const printed = await runTidal(["install", "--dry-run", ...scope], { env: env() });
    expect(printed.code).toBe(0);
    const objects = parseAllDocuments(printed.stdout).map((document) => document.toJS() as { kind: string });
    const kinds = objects.map((object) => object.kind);
    for (const kind of [
      "CustomResourceDefinition",
      "Namespace",
      "Deployment",
      "APIService",
      "ValidatingWebhookConfiguration",
      "Secret",
    ])
      expect(kinds).toContain(kind);
    // The namespace must exist for its objects to be dry-run; the cluster-wide ones are dry-run as they are.
    await kubectl(["create", "namespace", namespace]);
    const accepted = await kubectl(["apply", "--dry-run=server", "-f", "-"], printed.stdout);
    expect(accepted.split("\n").filter(Boolean)).toHaveLength(objects.length);
  });

  it("installs the operator, again without harm, and uninstall releases what it left and removes it", async () => {
    // The CRDs are the other tests' too: applied as they apply them, never installed or removed here.
    await kubectl(["apply", "-f", "deploy/crds/"]);
    watched = await createTestNamespace("e2e-install-watched");
    const install = [
      "install",
      ...scope,
      "--image",
      "example.invalid/tidal:test",
      "--no-crds",
      "--no-metrics-api",
      "--no-webhook",
      "--watch-namespace",
      watched.namespace,
    ];
    const first = await runTidal(install, { env: env() });
    expect(first.stderr).toContain(`applied deployment/${name}-operator`);
    expect(first.code).toBe(0);
    const certificates = () =>
      kubectl(["get", "secret", `${name}-operator-certs`, "-n", namespace, "-o", "jsonpath={.data}"]);
    const installed = JSON.parse(await certificates()) as Record<string, string>;
    expect(Object.keys(installed).sort()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    expect((await runTidal(install, { env: env() })).code).toBe(0);
    // Installing again keeps the certificates (which the operator renews in the meantime).
    expect(JSON.parse(await certificates())).toEqual(installed);
    const args = await kubectl([
      "get",
      "deployment",
      `${name}-operator`,
      "-n",
      namespace,
      "-o",
      "jsonpath={.spec.template.spec.containers[0].args}",
    ]);
    expect(JSON.parse(args)).toEqual(
      expect.arrayContaining(["--enable-cert-rotation", "--cert-secret-name", `${name}-operator-certs`]),
    );
    expect(await exists(["deployment", `${name}-operator`, "-n", namespace])).toBe(true);
    expect(await exists(["clusterrole", `${name}-operator`])).toBe(true);
    expect(await exists(["secret", `${name}-operator-certs`, "-n", namespace])).toBe(true);

    // What an operator leaves behind: a ScaledObject with its finalizer and its HPA.
    await kubectl(
      ["apply", "-n", watched.namespace, "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          {
            apiVersion: "keda.sh/v1alpha1",
            kind: "ScaledObject",
            metadata: { name: "orders", finalizers: ["finalizer.keda.sh"] },
            spec: {
              scaleTargetRef: { name: "orders" },
              triggers: [
                {
                  type: "cron",
                  metadata: { timezone: "UTC", start: "0 8 * * *", end: "0 9 * * *", desiredReplicas: "1" },
                },
              ],
            },
          },
          {
            apiVersion: "autoscaling/v2",
            kind: "HorizontalPodAutoscaler",
            metadata: { name: "keda-hpa-orders", labels: { "scaledobject.keda.sh/name": "orders" } },
            spec: {
              scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "orders" },
              minReplicas: 1,
              maxReplicas: 3,
              metrics: [
                {
                  type: "Resource",
                  resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 50 } },
                },
              ],
            },
          },
        ],
      }),
    );

    const asked = await runTidal(["uninstall", ...scope, "--no-crds"], { env: env() });
    expect(asked.code).toBe(1);
    expect(asked.stdout).toContain(`would delete deployment/${name}-operator`);
    expect(asked.stdout).toContain(`of 1 ScaledObject(s) and ScaledJob(s) in ${watched.namespace}`);
    expect(asked.stderr).toContain("run again with --yes");
    expect(await exists(["deployment", `${name}-operator`, "-n", namespace])).toBe(true);

    const removed = await runTidal(["uninstall", ...scope, "--no-crds", "--yes"], { env: env() });
    expect(removed.code).toBe(0);
    expect(await exists(["deployment", `${name}-operator`, "-n", namespace])).toBe(false);
    expect(await exists(["clusterrole", `${name}-operator`])).toBe(false);
    expect(await exists(["hpa", "keda-hpa-orders", "-n", watched.namespace])).toBe(false);
    // The APIService routes to another adapter (the other tests' operators), so it stays.
    expect(removed.stderr).not.toContain("deleted apiservice/");
    const finalizers = await kubectl([
      "get",
      "scaledobject",
      "orders",
      "-n",
      watched.namespace,
      "-o",
      "jsonpath={.metadata.finalizers}",
    ]);
    expect(finalizers).toBe("");
  });
});
