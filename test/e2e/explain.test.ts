/**
 * `tidal explain NAME -n NS` against a cluster, as a kubectl user types it: two operators under
 * leader election, each standing for a Pod of the operator's Deployment (kwok Pods whose
 * port 8435 kwok's kubelet API forwards to the operator's status API on this machine). The CLI
 * finds the leader by the Lease, port-forwards through the API server, and prints the leader's
 * trace; after the leader dies, the new leader answers. A ServiceAccount holding only the Role
 * tidal-operator-explain from deploy/ is enough; one without it is told which Role to ask for.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isDeepStrictEqual } from "node:util";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { renderTrace } from "../../src/engine/decide.ts";
import type { DecisionTrace } from "../../src/engine/types.ts";
import { expectNoStackTrace, repositoryRoot, runTidal } from "../cli/tidal-cli.ts";
import { useCleanup } from "../support/isolation.ts";
import { createTestNamespace, eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { TidalOperator } from "../support/tidal-operator.ts";
import { TidalProcess } from "../support/tidal-process.ts";

const kubeconfig = join(repositoryRoot, ".tidal/kube/admin.kubeconfig");
const apply = (namespace: string, documents: object[]) =>
  kubectl(
    ["-n", namespace, "apply", "-f", "-"],
    documents.map((document) => JSON.stringify(document)).join("\n"),
  );

interface Lease {
  spec: { holderIdentity?: string };
}

/** Everything of a trace but the time it was made. */
const timeless = ({ at: _at, ...rest }: DecisionTrace) => rest;

describe("tidal explain on a cluster", () => {
  const cleanup = useCleanup();
  let namespace = "";
  let operatorNamespace = "";
  const operators = new Map<string, TidalOperator>();

  beforeAll(async () => {
    await kubectl(["apply", "-f", "deploy/crds/"]);
    for (const [prefix, set] of [
      ["e2e-explain", (value: string) => (namespace = value)],
      ["e2e-explain-op", (value: string) => (operatorNamespace = value)],
    ] as const) {
      const created = await createTestNamespace(prefix);
      cleanup.add(created.remove);
      set(created.namespace);
    }
    // The operator's two Pods, as deploy/ labels them; kwok runs them, the processes run here.
    for (const pod of ["tidal-operator-a", "tidal-operator-b"]) {
      const operator = await TidalOperator.start({
        local: false,
        namespace,
        args: ["--leader-elect", "--lease-namespace", operatorNamespace],
        env: { POD_NAME: pod },
      });
      operators.set(pod, operator);
      const port = Number(new URL(operator.dashboardUrl).port);
      await apply(operatorNamespace, [
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: pod,
            labels: { "app.kubernetes.io/name": "tidal", "app.kubernetes.io/component": "operator" },
          },
          spec: {
            containers: [
              { name: "operator", image: "example.invalid/tidal", args: ["operator", "--leader-elect"] },
            ],
          },
        },
        {
          apiVersion: "kwok.x-k8s.io/v1alpha1",
          kind: "PortForward",
          metadata: { name: pod },
          spec: { forwards: [{ ports: [8435], target: { port, address: "127.0.0.1" } }] },
        },
      ]);
    }
    await apply(namespace, [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "load" }, data: { desired: "6" } },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "orders" },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: "orders" } },
          template: {
            metadata: { labels: { app: "orders" } },
            spec: { containers: [{ name: "main", image: "example.invalid/orders" }] },
          },
        },
      },
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "orders", annotations: { "autoscaling.tidal.dev/mode": "direct" } },
        spec: {
          scaleTargetRef: { name: "orders" },
          pollingInterval: 2,
          maxReplicaCount: 10,
          triggers: [
            {
              type: "kubernetes-resource",
              metadata: { resourceKind: "ConfigMap", resourceName: "load", key: "desired", targetValue: "2" },
            },
          ],
        },
      },
    ]);
    await eventually(
      "both operator Pods running",
      async () =>
        (
          await kubectlJson<{ items: { status: { phase?: string } }[] }>([
            "-n",
            operatorNamespace,
            "get",
            "pods",
          ])
        ).items.filter((pod) => pod.status.phase === "Running").length === 2,
    );
  }, 180_000);
  afterAll(async () => {
    await Promise.all([...operators.values()].map((operator) => operator.stop()));
  });

  const holder = async () =>
    (await kubectlJson<Lease>(["-n", operatorNamespace, "get", "lease", "tidal-operator"])).spec
      .holderIdentity ?? "";
  /** The trace the operator of `pod` serves itself, or its error's status. */
  const served = async (pod: string): Promise<DecisionTrace | number> => {
    const base = new URL("/", (operators.get(pod) as TidalOperator).dashboardUrl);
    const response = await fetch(new URL(`api/v1/scaledobjects/orders/explain?namespace=${namespace}`, base));
    return response.ok ? ((await response.json()) as DecisionTrace) : response.status;
  };
  const explain = (...more: string[]) =>
    runTidal(["explain", "orders", "-n", namespace, "--operator-namespace", operatorNamespace, ...more], {
      env: { KUBECONFIG: kubeconfig },
    });

  it("prints the leader's last decision, found by the Lease and read through a port-forward", async () => {
    const leaderIdentity = await eventually("a lease holder", async () => (await holder()) || undefined);
    const leader = leaderIdentity.slice(0, leaderIdentity.lastIndexOf("_"));
    const standby = [...operators.keys()].find((pod) => pod !== leader) as string;
    expect(operators.has(leader)).toBe(true);
    await eventually("the leader's decision of 3 replicas, settled", async () => {
      const answer = await served(leader);
      return typeof answer === "object" && answer.currentReplicas === 3 && answer.desiredReplicas === 3;
    });
    // The standby decides nothing: only the leader can answer.
    expect(await served(standby)).toBe(404);

    // What explain prints is what the leader serves (at most one evaluation apart: retried then).
    const json = await eventually("explain to print the leader's trace", async () => {
      const result = await explain("-o", "json");
      expect(result.code).toBe(0);
      const now = await served(leader);
      const printed = JSON.parse(result.stdout) as DecisionTrace;
      return typeof now === "object" && isDeepStrictEqual(timeless(printed), timeless(now))
        ? result
        : undefined;
    });
    expectNoStackTrace(json);
    expect((JSON.parse(json.stdout) as DecisionTrace).desiredReplicas).toBe(3);
    expect(json.stderr).toContain(
      `from the operator Pod ${operatorNamespace}/${leader}, leader (Lease ${operatorNamespace}/tidal-operator)`,
    );

    const text = await eventually("explain to print the leader's trace as text", async () => {
      const result = await explain();
      const now = await served(leader);
      return typeof now === "object" && result.stdout === `${renderTrace(now)}\n` ? result : undefined;
    });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^ScaledObject ${namespace}/orders: `));

    // With the kubeconfig context's namespace instead of -n, as kubectl does.
    const contextual = join(mkdtempSync(join(tmpdir(), "tidal-explain-")), "kubeconfig");
    writeFileSync(
      contextual,
      readFileSync(kubeconfig, "utf8").replace("namespace: default", `namespace: ${namespace}`),
    );
    const fromContext = await runTidal(
      [
        "explain",
        "orders",
        "--kubeconfig",
        contextual,
        "--operator-namespace",
        operatorNamespace,
        "-o",
        "json",
      ],
      { env: { KUBECONFIG: "" } },
    );
    expect(fromContext.code).toBe(0);
    expect((JSON.parse(fromContext.stdout) as DecisionTrace).namespace).toBe(namespace);

    const missing = await runTidal(
      ["explain", "nosuch", "-n", namespace, "--operator-namespace", operatorNamespace],
      { env: { KUBECONFIG: kubeconfig } },
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no decision yet for ScaledObject "nosuch"`);
    expect(missing.stderr).toContain(
      `in namespace ${namespace} (asked the operator Pod ${operatorNamespace}/${leader}`,
    );
    expectNoStackTrace(missing);
  });

  it("asks the new leader after the old one dies", async () => {
    const before = await holder();
    const leader = before.slice(0, before.lastIndexOf("_"));
    const standby = [...operators.keys()].find((pod) => pod !== leader) as string;
    await (operators.get(leader) as TidalOperator).stop("SIGKILL");
    await kubectl(["-n", operatorNamespace, "delete", "pod", leader, "--wait=false"]);
    await eventually(
      "the standby to take the lease",
      async () => (await holder()).startsWith(`${standby}_`),
      {
        timeoutMs: 30_000,
        intervalMs: 250,
      },
    );
    await eventually("the new leader's decision", async () => typeof (await served(standby)) === "object");
    const after = await explain("-o", "json");
    expect(after.code).toBe(0);
    expect(after.stderr).toContain(`from the operator Pod ${operatorNamespace}/${standby}, leader`);
    expect((JSON.parse(after.stdout) as DecisionTrace).desiredReplicas).toBe(3);
  });

  it("needs only the Role tidal-operator-explain, and says which Role is missing", async () => {
    // deploy/'s Role, in this test's operator namespace.
    const role = parseAllDocuments(readFileSync(join(repositoryRoot, "deploy/manifests/rbac.yaml"), "utf8"))
      .map(
        (document) => document.toJSON() as { kind: string; metadata: { name: string; namespace?: string } },
      )
      .find((document) => document.kind === "Role" && document.metadata.name === "tidal-operator-explain");
    expect(role).toBeDefined();
    await apply(operatorNamespace, [
      { ...role, metadata: { ...role?.metadata, namespace: operatorNamespace } },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "reader" } },
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "stranger" } },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "reader-explain" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "tidal-operator-explain" },
        subjects: [{ kind: "ServiceAccount", name: "reader", namespace: operatorNamespace }],
      },
    ]);
    const kubeconfigOf = async (account: string) => {
      const token = (await kubectl(["-n", operatorNamespace, "create", "token", account])).trim();
      const admin = readFileSync(kubeconfig, "utf8");
      const file = join(mkdtempSync(join(tmpdir(), "tidal-explain-")), "kubeconfig");
      writeFileSync(
        file,
        admin
          .replace(/client-certificate-data: .*\n/, "")
          .replace(/client-key-data: .*/, `token: ${token}`)
          .replace("namespace: default", `namespace: ${namespace}`),
      );
      return file;
    };
    const reader = await runTidal(
      [
        "explain",
        "orders",
        "--kubeconfig",
        await kubeconfigOf("reader"),
        "--operator-namespace",
        operatorNamespace,
      ],
      { env: { KUBECONFIG: "" } },
    );
    expect(reader.stderr).toContain("from the operator Pod");
    expect(reader.code).toBe(0);
    expect(reader.stdout).toMatch(new RegExp(`^ScaledObject ${namespace}/orders: `));

    const stranger = await runTidal(
      [
        "explain",
        "orders",
        "--kubeconfig",
        await kubeconfigOf("stranger"),
        "--operator-namespace",
        operatorNamespace,
      ],
      { env: { KUBECONFIG: "" } },
    );
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain(`does not let you list pods in ${operatorNamespace}`);
    expect(stranger.stderr).toContain("bind the Role tidal-operator-explain");
    expectNoStackTrace(stranger);
  });

  it("--host asks an interceptor Pod where a request goes, through a port-forward too", async () => {
    const interceptor = new TidalProcess([
      "interceptor",
      "--kubeconfig",
      kubeconfig,
      "--namespace",
      namespace,
      "--bind-address",
      "127.0.0.1",
      "--proxy-port",
      "0",
      "--admin-port",
      "0",
    ]);
    cleanup.add(async () => void (await interceptor.stop()));
    const started = await interceptor.waitForLog("tidal interceptor started", 60_000);
    const admin = new URL(String(started.admin));
    await apply(operatorNamespace, [
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "tidal-interceptor-a",
          labels: { "app.kubernetes.io/name": "tidal", "app.kubernetes.io/component": "interceptor" },
        },
        spec: {
          containers: [
            {
              name: "interceptor",
              image: "example.invalid/tidal",
              args: ["interceptor", "--log-format", "json"],
              ports: [{ name: "admin", containerPort: 9090 }],
            },
          ],
        },
      },
      {
        apiVersion: "kwok.x-k8s.io/v1alpha1",
        kind: "PortForward",
        metadata: { name: "tidal-interceptor-a" },
        spec: { forwards: [{ ports: [9090], target: { port: Number(admin.port), address: "127.0.0.1" } }] },
      },
    ]);
    await apply(namespace, [
      {
        apiVersion: "http.keda.sh/v1alpha1",
        kind: "HTTPScaledObject",
        metadata: { name: "shop" },
        spec: {
          hosts: ["shop.e2e.test"],
          pathPrefixes: ["/cart"],
          scaleTargetRef: {
            name: "shop",
            kind: "Deployment",
            apiVersion: "apps/v1",
            service: "shop",
            port: 80,
          },
          replicas: { min: 0, max: 3 },
        },
      },
    ]);
    const direct = await eventually("the interceptor to route shop.e2e.test", async () => {
      const response = await fetch(new URL("/api/v1/explain?host=shop.e2e.test&path=%2Fcart%2F1", admin));
      const body = (await response.json()) as { summary: string[] };
      return body.summary.some((line) => line.includes(`HTTPScaledObject ${namespace}/shop`))
        ? body
        : undefined;
    });
    const routed = await runTidal(
      ["explain", "--host", "shop.e2e.test", "--path", "/cart/1", "--operator-namespace", operatorNamespace],
      { env: { KUBECONFIG: kubeconfig } },
    );
    expectNoStackTrace(routed);
    expect(routed.code).toBe(0);
    expect(routed.stdout).toBe(`${direct.summary.join("\n")}\n`);
    expect(routed.stderr).toContain(`from the interceptor Pod ${operatorNamespace}/tidal-interceptor-a`);
  });

  it("says where it looked when no operator runs there", async () => {
    const empty = await createTestNamespace("e2e-explain-none");
    cleanup.add(empty.remove);
    const none = await runTidal(
      ["explain", "orders", "-n", namespace, "--operator-namespace", empty.namespace],
      {
        env: { KUBECONFIG: kubeconfig },
      },
    );
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no operator Pod is running in namespace ${empty.namespace}`);
    expect(none.stderr).toContain("tidal install");
    expectNoStackTrace(none);
  });
});
