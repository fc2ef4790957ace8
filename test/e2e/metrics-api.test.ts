import { readFileSync } from "node:fs";
import { request } from "node:https";
import { fileURLToPath } from "node:url";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createExternalMetricsServer,
  createSubjectAccessReviewAuthorizer,
  ensureLocalApiService,
  readFrontProxyTrust,
  removeLocalApiService,
  selfSignedServingCert,
  type ExternalMetricsServer,
  type FrontProxyTrust,
  type MetricQuery,
} from "../../src/runtime/metrics-api/index.ts";
import { createTestNamespace, eventually, kubectl, kubectlJson } from "../support/kube.ts";

const pki = fileURLToPath(new URL("../../.tidal/kube/pki/", import.meta.url));
const GROUP_VERSION_PATH = "/apis/external.metrics.k8s.io/v1beta1";
const SELECTOR = "labelSelector=scaledobject.keda.sh%2Fname%3Dfoo";

interface Deployment {
  spec: { replicas: number };
}
interface Hpa {
  status?: {
    desiredReplicas?: number;
    currentMetrics?: { external?: { current?: { averageValue?: string } } }[];
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

/** GETs the metrics server directly (not through the apiserver), as the front proxy would. */
function direct(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        headers,
        rejectUnauthorized: false,
        agent: false,
        cert: readFileSync(`${pki}front-proxy-client.crt`),
        key: readFileSync(`${pki}front-proxy-client.key`),
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("external metrics API served through the real aggregation layer", () => {
  const kubeConfig = new KubeConfig();
  const timings: Record<string, number> = {};
  const queries: MetricQuery[] = [];
  let value = 45;
  let namespace = "";
  let removeNamespace: () => Promise<void> = async () => {};
  let server: ExternalMetricsServer | undefined;
  let port = 0;
  let trust: FrontProxyTrust;
  let registered = false;

  beforeAll(async () => {
    const setup = Date.now();
    kubeConfig.loadFromDefault();
    ({ namespace, remove: removeNamespace } = await createTestNamespace("e2e-metrics-api"));
    trust = await readFrontProxyTrust(kubeConfig);
    server = createExternalMetricsServer({
      tls: await selfSignedServingCert(["localhost", "127.0.0.1", "::1"]),
      clientAuth: trust,
      authorize: createSubjectAccessReviewAuthorizer(kubeConfig),
      lookup: (query) => {
        queries.push(query);
        if (query.metricName !== "s0-test")
          return { error: { status: 404, message: `no metric ${query.metricName}` } };
        return { items: [{ value, timestamp: new Date() }] };
      },
    });
    ({ port } = await server.listen(0, "127.0.0.1"));
    const started = Date.now();
    await ensureLocalApiService(kubeConfig, { port, serviceNamespace: namespace, timeoutMs: 120_000 });
    registered = true;
    timings["APIService Available"] = Date.now() - started;
    timings["setup total"] = Date.now() - setup;
  });

  afterAll(async () => {
    try {
      if (registered) await removeLocalApiService(kubeConfig, { port, serviceNamespace: namespace });
    } finally {
      const closing = Date.now();
      await server?.close();
      timings["server close"] = Date.now() - closing;
      await removeNamespace();
      console.log(`metrics-api e2e timings (ms): ${JSON.stringify(timings)}`);
    }
  });

  it("reads the front-proxy trust the kube-apiserver publishes", () => {
    expect(trust.ca).toContain("BEGIN CERTIFICATE");
    expect(trust.allowedNames).toEqual(["front-proxy-client"]);
    expect(trust.usernameHeaders).toEqual(["X-Remote-User"]);
  });

  it("lists externalmetrics through the apiserver and in aggregated discovery", async () => {
    const list = JSON.parse(await kubectl(["get", "--raw", GROUP_VERSION_PATH])) as Record<string, unknown>;
    expect(list).toMatchObject({
      kind: "APIResourceList",
      groupVersion: "external.metrics.k8s.io/v1beta1",
      resources: [
        { name: "externalmetrics", namespaced: true, kind: "ExternalMetricValueList", verbs: ["get"] },
      ],
    });
    // kubectl api-resources reads the aggregated discovery document, which the aggregator builds
    // from our per-version document after the 406 on /apis.
    const resources = await eventually("externalmetrics in aggregated discovery", async () => {
      const output = await kubectl(["api-resources", "--api-group=external.metrics.k8s.io", "--no-headers"]);
      return output.includes("externalmetrics") && output;
    });
    expect(resources).toMatch(
      /externalmetrics\s+external\.metrics\.k8s\.io\/v1beta1\s+true\s+ExternalMetricValueList/,
    );
  });

  it("answers a metric request proxied by the apiserver, for the user the front proxy names", async () => {
    queries.length = 0;
    const started = Date.now();
    const raw = await kubectl([
      "get",
      "--raw",
      `${GROUP_VERSION_PATH}/namespaces/${namespace}/s0-test?${SELECTOR}`,
    ]);
    timings["kubectl get --raw metric"] = Date.now() - started;
    const list = JSON.parse(raw) as {
      kind: string;
      items: { metricName: string; value: string; timestamp: string }[];
    };
    expect(list.kind).toBe("ExternalMetricValueList");
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ metricName: "s0-test", value: "45" });
    expect(list.items[0]?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(queries[0]).toMatchObject({
      namespace,
      metricName: "s0-test",
      scaledObjectName: "foo",
      user: { name: "tidal-admin", groups: expect.arrayContaining(["system:masters"]) },
    });

    const missing = await kubectl([
      "get",
      "--raw",
      `${GROUP_VERSION_PATH}/namespaces/${namespace}/s0-test`,
    ]).catch((error: Error) => error.message);
    expect(missing).toMatch(/scaledObject name is not specified/);
    const notFound = await kubectl([
      "get",
      "--raw",
      `${GROUP_VERSION_PATH}/namespaces/${namespace}/s9-other?${SELECTOR}`,
    ]).catch((error: Error) => error.message);
    expect(notFound).toMatch(/NotFound|no metric s9-other/);
  });

  it("authenticates the front proxy and authorizes its user with a SubjectAccessReview", async () => {
    const path = `${GROUP_VERSION_PATH}/namespaces/${namespace}/s0-test?${SELECTOR}`;
    const admin = await direct(port, path, {
      "X-Remote-User": "tidal-admin",
      "X-Remote-Group": "system:masters",
    });
    expect(admin.status).toBe(200);
    const stranger = await direct(port, path, {
      "X-Remote-User": "nobody",
      "X-Remote-Group": "system:authenticated",
    });
    expect(stranger.status).toBe(403);
    expect(JSON.parse(stranger.body)).toMatchObject({ kind: "Status", reason: "Forbidden" });
  });

  it("drives the real HPA controller: 45 against an average target of 10 scales 1 → 5, then 15 → 2", async () => {
    await kubectl([
      "-n",
      namespace,
      "create",
      "deployment",
      "web",
      "--image=example.invalid/web",
      "--replicas=1",
    ]);
    const started = Date.now();
    await kubectl(
      ["-n", namespace, "apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "web" },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
          minReplicas: 1,
          maxReplicas: 5,
          metrics: [
            {
              type: "External",
              external: {
                metric: {
                  name: "s0-test",
                  selector: { matchLabels: { "scaledobject.keda.sh/name": "foo" } },
                },
                target: { type: "AverageValue", averageValue: "10" },
              },
            },
          ],
          behavior: {
            scaleUp: {
              stabilizationWindowSeconds: 0,
              policies: [{ type: "Pods", value: 10, periodSeconds: 1 }],
            },
            scaleDown: {
              stabilizationWindowSeconds: 0,
              policies: [{ type: "Pods", value: 10, periodSeconds: 1 }],
            },
          },
        },
      }),
    );
    const replicasOf = async () =>
      (await kubectlJson<Deployment>(["-n", namespace, "get", "deployment", "web"])).spec.replicas;
    await eventually("the Deployment scaled to 5 by the HPA", async () => (await replicasOf()) === 5, {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    timings["HPA scale 1→5"] = Date.now() - started;
    const hpa = await kubectlJson<Hpa>(["-n", namespace, "get", "hpa", "web"]);
    const active = hpa.status?.conditions?.find((condition) => condition.type === "ScalingActive");
    expect(active?.status).toBe("True");
    expect(queries.some((query) => query.namespace === namespace && query.scaledObjectName === "foo")).toBe(
      true,
    );

    value = 15;
    const changed = Date.now();
    await eventually("the Deployment scaled down to 2", async () => (await replicasOf()) === 2, {
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    timings["HPA scale 5→2"] = Date.now() - changed;
  });

  it("registers idempotently and removes only its own registration", async () => {
    const before = await kubectlJson<{ metadata: { uid: string } }>([
      "get",
      "apiservice",
      "v1beta1.external.metrics.k8s.io",
    ]);
    const again = await ensureLocalApiService(kubeConfig, { port, serviceNamespace: namespace });
    expect(again.service).toEqual({ namespace, name: "tidal-metrics-local", port });
    const after = await kubectlJson<{ metadata: { uid: string } }>([
      "get",
      "apiservice",
      "v1beta1.external.metrics.k8s.io",
    ]);
    expect(after.metadata.uid).toBe(before.metadata.uid); // same spec: kept, not recreated
    // Another run's registration (here: another port) is left alone.
    expect(await removeLocalApiService(kubeConfig, { port: port + 1, serviceNamespace: namespace })).toEqual({
      removed: false,
    });
    await kubectl(["get", "apiservice", "v1beta1.external.metrics.k8s.io"]);

    expect(await removeLocalApiService(kubeConfig, { port, serviceNamespace: namespace })).toEqual({
      removed: true,
    });
    registered = false;
    const gone = await kubectl(["get", "apiservice", "v1beta1.external.metrics.k8s.io"]).catch(
      (error: Error) => error.message,
    );
    expect(gone).toMatch(/NotFound|not found/);
    expect(await removeLocalApiService(kubeConfig, { port, serviceNamespace: namespace })).toEqual({
      removed: false,
    });
  });
});
