// Certificate rotation on the real control plane: `tidal operator --enable-cert-rotation` with
// lifetimes shortened for the test (CA and certificate 60 s, renewed 30 s before their end) keeps
// the HPA and direct reads through the aggregation layer working across rotations, while the
// APIService's and the webhook's caBundle change and the operator serves each new certificate
// without a restart. A second replica stands by: it writes nothing and serves what the leader
// writes, from its watch of the Secret.
import { X509Certificate } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pemBlocks } from "../../src/runtime/kubernetes/certificates.ts";
import { useCleanup } from "../support/isolation.ts";
import { createTestNamespace, eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { TidalOperator } from "../support/tidal-operator.ts";

const API_SERVICE = "v1beta1.external.metrics.k8s.io";
const WEBHOOK = "tidal-admission-local";
const METRIC = "s0-metric-api-tasks";

interface Hpa {
  status?: {
    desiredReplicas?: number;
    currentMetrics?: { external?: { current?: { averageValue?: string } } }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

/** The certificate a TLS server presents on 127.0.0.1:port. */
function servedCertificate(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => {
      const peer = socket.getPeerX509Certificate();
      socket.destroy();
      if (peer) resolve(peer);
      else reject(new Error("no peer certificate"));
    });
    socket.on("error", reject);
  });
}

describe("certificate rotation by the operator", () => {
  const cleanup = useCleanup();
  let namespace = "";
  let operator: TidalOperator;
  /** A second replica, standing by: it must write nothing and serve what the leader writes. */
  let standby: TidalOperator;
  let standbyPort = 0;
  let api: Server;
  let metricsPort = 0;
  let webhookPort = 0;

  beforeAll(async () => {
    await kubectl(["apply", "-f", "deploy/crds/"]);
    const created = await createTestNamespace("e2e-cert-rotation");
    cleanup.add(created.remove);
    namespace = created.namespace;
    // The workload's queue: 45 tasks, read by a metrics-api trigger.
    api = createServer((_request, response) =>
      response.writeHead(200, { "content-type": "application/json" }).end('{"tasks":45}'),
    );
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    cleanup.add(() => new Promise<void>((resolve) => api.close(() => resolve())));
    // Certificates of 60 s renewed 30 s ahead: a rotation every 30 s.
    const rotation = [
      "--enable-cert-rotation",
      "--cert-validity",
      "60s",
      "--ca-cert-validity",
      "60s",
      "--cert-renew-before",
      "30s",
    ];
    operator = await TidalOperator.start({
      leaderElect: true,
      namespace,
      args: [...rotation, "--webhook-port", "0"],
    });
    const started = operator.logs.find((line) => line.msg === "tidal operator started")!;
    metricsPort = Number(new URL(String(started.externalMetricsApi)).port);
    webhookPort = Number(new URL(String(started.admissionWebhook)).port);
    standby = await TidalOperator.start({
      local: false,
      leaderElect: true,
      namespace,
      args: rotation,
    });
    const standbyStarted = standby.logs.find((line) => line.msg === "tidal operator started")!;
    standbyPort = Number(new URL(String(standbyStarted.externalMetricsApi)).port);
  }, 180_000);
  afterAll(async () => {
    for (const line of operator?.logs ?? [])
      if (line.level !== "info" || /certificate|CA bundle/.test(line.msg)) console.log(JSON.stringify(line));
    await standby?.stop();
    await operator?.stop();
  });

  const caBundleOf = async () =>
    (
      await kubectlJson<{ spec: { caBundle?: string; insecureSkipTLSVerify?: boolean } }>([
        "get",
        "apiservice",
        API_SERVICE,
      ])
    ).spec;
  const secretCa = async () =>
    (
      await kubectlJson<{ data: Record<string, string> }>([
        "-n",
        namespace,
        "get",
        "secret",
        "tidal-operator-certs",
      ])
    ).data["ca.crt"];

  it("keeps its CA in the Secret and makes the APIService verify the served certificate", async () => {
    const secret = await kubectlJson<{ type: string; data: Record<string, string> }>([
      "-n",
      namespace,
      "get",
      "secret",
      "tidal-operator-certs",
    ]);
    expect(secret.type).toBe("kubernetes.io/tls");
    expect(Object.keys(secret.data).sort()).toEqual(["ca.crt", "ca.key", "tls.crt", "tls.key"]);
    const spec = await eventually("the APIService trusts the Secret's CA", async () => {
      const current = await caBundleOf();
      return current.caBundle === (await secretCa()) && current;
    });
    expect(spec.insecureSkipTLSVerify).toBeFalsy();
    // The certificate names the Service the aggregator checks, and its CA is in the bundle.
    const served = await servedCertificate(metricsPort);
    expect(served.checkHost("tidal-metrics-local.tidal-system.svc")).toBeDefined();
    const bundle = pemBlocks(Buffer.from(spec.caBundle!, "base64").toString("utf8"));
    expect(bundle.some((ca) => served.verify(new X509Certificate(ca).publicKey))).toBe(true);
  });

  it("keeps the HPA and direct reads through the aggregator working across CA rotations", async () => {
    await kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "web" },
            spec: {
              replicas: 1,
              selector: { matchLabels: { app: "web" } },
              template: {
                metadata: { labels: { app: "web" } },
                spec: { containers: [{ name: "main", image: "example.invalid/web" }] },
              },
            },
          },
          {
            apiVersion: "keda.sh/v1alpha1",
            kind: "ScaledObject",
            metadata: { name: "web" },
            spec: {
              scaleTargetRef: { name: "web" },
              pollingInterval: 5,
              minReplicaCount: 1,
              maxReplicaCount: 10,
              triggers: [
                {
                  type: "metrics-api",
                  metadata: {
                    url: `http://127.0.0.1:${(api.address() as AddressInfo).port}/`,
                    valueLocation: "tasks",
                    targetValue: "10",
                  },
                },
              ],
            },
          },
        ],
      }),
    );
    const hpa = () => kubectlJson<Hpa>(["-n", namespace, "get", "hpa", "keda-hpa-web"]);
    const reading = (status: Hpa["status"]) =>
      status?.conditions?.find((condition) => condition.type === "ScalingActive");
    await eventually(
      "the HPA reads 45 and wants 5 replicas",
      async () => {
        const status = (await hpa()).status;
        return reading(status)?.status === "True" && status?.desiredReplicas === 5;
      },
      { timeoutMs: 120_000, intervalMs: 500 },
    );

    // Watch for two changes of the APIService's caBundle and of the served certificate (two CA
    // rotations), reading the metric through the aggregator and the HPA's condition all along.
    const path = `/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/${METRIC}?labelSelector=${encodeURIComponent("scaledobject.keda.sh/name=web")}`;
    const bundles = [(await caBundleOf()).caBundle];
    const certificates = [(await servedCertificate(metricsPort)).fingerprint256];
    const failures: string[] = [];
    let reads = 0;
    await eventually(
      "two CA rotations",
      async () => {
        try {
          const list = JSON.parse(await kubectl(["get", "--raw", path])) as { items: { value: string }[] };
          if (list.items[0]?.value !== "45") failures.push(`read ${JSON.stringify(list)}`);
          reads += 1;
        } catch (error) {
          failures.push(`read: ${(error as Error).message}`);
        }
        const condition = reading((await hpa()).status);
        if (condition?.status !== "True") failures.push(`HPA: ${condition?.reason}: ${condition?.message}`);
        const bundle = (await caBundleOf()).caBundle;
        if (bundle !== bundles.at(-1)) bundles.push(bundle);
        const served = (await servedCertificate(metricsPort)).fingerprint256;
        if (served !== certificates.at(-1)) certificates.push(served);
        return bundles.length >= 3 && certificates.length >= 3;
      },
      { timeoutMs: 180_000, intervalMs: 1000 },
    );
    console.log(
      `cert-rotation e2e: ${reads} reads through the aggregator, ${bundles.length - 1} caBundle changes, ${certificates.length - 1} served certificates, failures: ${JSON.stringify(failures)}`,
    );
    expect(failures).toEqual([]);
    expect(certificates.length).toBeGreaterThanOrEqual(3);
    // The same process served them all.
    expect(operator.child.exitCode).toBeNull();
    expect(
      operator.logs.filter((line) => line.msg === "renewing certificates").length,
    ).toBeGreaterThanOrEqual(2);
    // Only the leader renews; the standby follows the Secret's watch, in the same process too.
    expect(standby.logs.filter((line) => line.msg === "renewing certificates")).toEqual([]);
    expect(standby.child.exitCode).toBeNull();
    expect(
      standby.logs.filter((line) => line.msg === "serving the certificate of the Secret").length,
    ).toBeGreaterThanOrEqual(3);
    await eventually("the standby serves the leader's certificate", async () => {
      const [leaderServes, standbyServes] = await Promise.all([
        servedCertificate(metricsPort),
        servedCertificate(standbyPort),
      ]);
      return leaderServes.fingerprint256 === standbyServes.fingerprint256;
    });
    expect((await hpa()).status?.desiredReplicas).toBe(5);
  }, 300_000);

  it("renews the webhook's trust too: a bad object is still refused with the current certificate", async () => {
    // Between a CA's renewal and its certificate being served, the bundle holds both CAs: look
    // for a moment when the Secret, the webhook and both servers agree.
    await eventually(
      "the webhook trusts the Secret's CA and serves the metrics API's certificate",
      async () => {
        const webhook = await kubectlJson<{ webhooks: { clientConfig: { caBundle: string } }[] }>([
          "get",
          "validatingwebhookconfiguration",
          WEBHOOK,
        ]);
        const served = await servedCertificate(webhookPort);
        return (
          webhook.webhooks[0]?.clientConfig.caBundle === (await secretCa()) &&
          served.fingerprint256 === (await servedCertificate(metricsPort)).fingerprint256
        );
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const refused = await kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: "bad" },
        spec: {
          scaleTargetRef: { name: "web" },
          triggers: [{ type: "redis", metadata: { listName: "jobs" } }],
        },
      }),
    ).catch((error: Error) => error.message);
    expect(refused).toContain('admission webhook "vkeda.tidal.dev" denied the request');
  });
});
