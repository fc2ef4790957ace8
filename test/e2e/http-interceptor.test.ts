import { mkdtempSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selfSignedServingCert } from "../../src/runtime/metrics-api/index.ts";
import { runTidal } from "../cli/tidal-cli.ts";
import { useCleanup } from "../support/isolation.ts";
import { createTestNamespace, eventually, kubectl, kubectlJson } from "../support/kube.ts";
import { KwokEndpoints } from "../support/kwok-endpoints.ts";
import { TidalOperator } from "../support/tidal-operator.ts";
import { TidalProcess } from "../support/tidal-process.ts";

// HTTP scale-from-zero as the HTTP add-on does it: `tidal operator` reconciles HTTPScaledObjects
// and `tidal interceptor` holds requests while the workload scales from zero. kwok pods run no
// process, so KwokEndpoints serves each Ready pod from a local server in an EndpointSlice.

const kubeconfig = ".tidal/kube/admin.kubeconfig";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(port: number, host: string, path = "/"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: "127.0.0.1", port, path, headers: { host } }, (response) => {
      let body = "";
      response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body }),
      );
    });
    request.on("error", reject).end();
  });
}

/** GET over HTTPS trusting only `ca`, asking for the certificate of `servername` (SNI). */
function getTls(
  port: number,
  servername: string,
  ca: string,
  host = servername,
  path = "/",
): Promise<Reply & { peerNames: string }> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      { host: "127.0.0.1", port, path, servername, headers: { host }, ca },
      (response) => {
        const peerNames = (response.socket as TLSSocket).getPeerCertificate().subjectaltname ?? "";
        let body = "";
        response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        response.on("end", () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body, peerNames }),
        );
      },
    );
    request.on("error", reject).end();
  });
}

function deployment(name: string) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image: "example.invalid/web" }] },
      },
    },
  };
}

/** A Service without a selector: its EndpointSlices are the harness's. */
function service(name: string) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name },
    spec: { ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
  };
}

function httpScaledObject(name: string, host: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "http.keda.sh/v1alpha1",
    kind: "HTTPScaledObject",
    metadata: { name },
    spec: {
      hosts: [host],
      scaleTargetRef: { name, kind: "Deployment", apiVersion: "apps/v1", service: name, port: 80 },
      replicas: { min: 0, max: 3 },
      scaledownPeriod: 3,
      ...spec,
    },
  };
}

describe("HTTPScaledObjects through tidal interceptor on the real control plane", () => {
  const cleanup = useCleanup();
  let namespace = "";
  let interceptor: TidalProcess;
  let secondPort = 0;
  let adminUrl = "";
  let operator: TidalOperator;
  let proxyPort = 0;
  let endpoints: KwokEndpoints;
  let tlsPort = 0;
  let tlsCert = "";

  const replicas = async (name: string) =>
    (await kubectlJson<{ spec: { replicas?: number } }>(["-n", namespace, "get", "deployment", name])).spec
      .replicas ?? 1;

  beforeAll(async () => {
    await kubectl(["apply", "-f", "deploy/crds/"]);
    await kubectl(["wait", "--for=condition=established", "crd/httpscaledobjects.http.keda.sh"]);
    const created = await createTestNamespace("e2e-http");
    namespace = created.namespace;
    cleanup.add(created.remove);
    // Two interceptor replicas: the operator sums what both report.
    // The first one serves HTTPS too, with the certificate a Secret would mount.
    const certificate = await selfSignedServingCert(["web.e2e.test"]);
    tlsCert = String(certificate.cert);
    const certDirectory = mkdtempSync(join(tmpdir(), "tidal-interceptor-tls-"));
    writeFileSync(join(certDirectory, "tls.crt"), certificate.cert);
    writeFileSync(join(certDirectory, "tls.key"), certificate.key, { mode: 0o600 });
    const tlsArgs = [
      "--tls",
      "--tls-port",
      "0",
      "--tls-cert-path",
      join(certDirectory, "tls.crt"),
      "--tls-key-path",
      join(certDirectory, "tls.key"),
    ];
    const startInterceptor = async (extraArgs: string[] = []) => {
      const process = new TidalProcess([
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
        "--condition-wait-timeout",
        "60s",
        ...extraArgs,
      ]);
      cleanup.add(async () => void (await process.stop()));
      const started = await process.waitForLog("tidal interceptor started", 60_000);
      return {
        process,
        proxyPort: Number(new URL(String(started.proxy)).port),
        tlsPort: started.proxyTls === undefined ? 0 : Number(new URL(String(started.proxyTls)).port),
        admin: String(started.admin),
      };
    };
    const [one, two] = await Promise.all([startInterceptor(tlsArgs), startInterceptor()]);
    tlsPort = one.tlsPort;
    interceptor = one.process;
    adminUrl = one.admin;
    proxyPort = one.proxyPort;
    secondPort = two.proxyPort;
    operator = await TidalOperator.start({
      namespace,
      args: ["--interceptor-url", one.admin, "--interceptor-url", two.admin],
    });
    cleanup.add(async () => void (await operator.stop()));
    // Before the operator stops: it removes the ScaledObjects' finalizers, so the namespace can go.
    cleanup.add(
      async () =>
        void (await kubectl([
          "-n",
          namespace,
          "delete",
          "httpscaledobjects,scaledobjects",
          "--all",
          "--wait=true",
          "--timeout=60s",
        ])),
    );
    for (const object of [
      deployment("web"),
      service("web"),
      httpScaledObject("web", "web.e2e.test", {
        scalingMetric: { concurrency: { targetValue: 2 } },
        // The add-on's default is 500ms; requests under /slow wait for the test.
        timeouts: { responseHeader: "120s" },
      }),
      deployment("stuck"),
      service("stuck"),
      httpScaledObject("stuck", "stuck.e2e.test", { timeouts: { conditionWait: "2s" } }),
    ])
      await kubectl(["-n", namespace, "apply", "-f", "-"], JSON.stringify(object));
    endpoints = new KwokEndpoints(namespace, "web", "app=web");
    endpoints.start();
    cleanup.add(() => endpoints.stop());
  });
  afterAll(async () => {
    if (operator) expect(operator.output).not.toMatch(/"level":"error"/);
  });

  it("creates the ScaledObject the add-on creates and reports it in the status", async () => {
    const scaledObject = await eventually("the generated ScaledObject", () =>
      kubectlJson<{
        metadata: { ownerReferences?: { kind: string; name: string }[] };
        spec: { triggers: { type: string; metadata: Record<string, string> }[]; cooldownPeriod?: number };
      }>(["-n", namespace, "get", "scaledobject", "web"]).catch(() => undefined),
    );
    expect(scaledObject.metadata.ownerReferences?.[0]).toMatchObject({
      kind: "HTTPScaledObject",
      name: "web",
    });
    expect(scaledObject.spec.cooldownPeriod).toBe(3);
    expect(scaledObject.spec.triggers).toEqual([
      {
        type: "external-push",
        metadata: { scalerAddress: expect.stringMatching(/^127\.0\.0\.1:\d+$/), httpScaledObject: "web" },
      },
    ]);
    const ready = await eventually("the HTTPScaledObject's Ready condition", async () => {
      const object = await kubectlJson<{ status?: { conditions?: { type: string; status: string }[] } }>([
        "-n",
        namespace,
        "get",
        "httpscaledobject",
        "web",
      ]);
      return object.status?.conditions?.find(
        (condition) => condition.type === "Ready" && condition.status === "True",
      );
    });
    expect(ready).toBeDefined();
  });

  it("answers 404 at once for a host no HTTPScaledObject claims", async () => {
    const reply = await get(proxyPort, "nobody.e2e.test");
    expect(reply.status).toBe(404);
  });

  it("holds a request while the Deployment goes from 0 to 1 replica, then answers it", async () => {
    // The ScaledObject is active in the operator's loop before the request: the Deployment is at 0.
    await eventually("the interceptor routes web.e2e.test", async () => {
      const explained = await fetch(
        `${String(interceptor.logs.find((line) => line.msg === "tidal interceptor started")?.admin)}/api/v1/explain?host=web.e2e.test&path=/`,
      ).then((response) => response.json() as Promise<{ route?: unknown; summary: string[] }>);
      return explained.route !== undefined && explained.summary;
    });
    expect(await replicas("web")).toBe(0);
    expect(endpoints.requests).toHaveLength(0);

    const sent = Date.now();
    const reply = get(proxyPort, "web.e2e.test", "/hello");
    const scaledUp = await eventually(
      "the Deployment at 1 replica",
      async () => (await replicas("web")) === 1,
    );
    expect(scaledUp).toBe(true);
    const answered = await reply;
    expect(answered.status, `${answered.body} ${String(endpoints.lastError)}`).toBe(200);
    expect(answered.body).toMatch(/^hello from web-/);
    expect(answered.headers["x-keda-http-cold-start"]).toBe("true");
    expect(endpoints.requests).toEqual([expect.objectContaining({ method: "GET", url: "/hello" })]);
    // The pod that answered was created after the request arrived.
    const pods = await kubectlJson<{ items: { metadata: { name: string; creationTimestamp: string } }[] }>([
      "-n",
      namespace,
      "get",
      "pods",
      "-l",
      "app=web",
    ]);
    const pod = pods.items.find((candidate) => answered.body.includes(candidate.metadata.name));
    expect(Date.parse(pod?.metadata.creationTimestamp ?? "")).toBeGreaterThanOrEqual(
      Math.floor(sent / 1000) * 1000,
    );

    const warm = await get(proxyPort, "web.e2e.test", "/again");
    expect(warm.status).toBe(200);
    expect(warm.headers["x-keda-http-cold-start"]).toBe("false");
  });

  it("returns to 0 replicas after scaledownPeriod without requests", async () => {
    const idle = await eventually("the Deployment back at 0", async () => (await replicas("web")) === 0, {
      timeoutMs: 90_000,
      intervalMs: 500,
    });
    expect(idle).toBe(true);
  });

  it("tidal explain --host says where a request goes and why it would be held", async () => {
    const stuck = await runTidal([
      "explain",
      "--host",
      "stuck.e2e.test",
      "--path",
      "/x",
      "--server",
      adminUrl,
    ]);
    expect(stuck.code).toBe(0);
    expect(stuck.stdout).toContain(
      `route: HTTPScaledObject ${namespace}/stuck, matched on host stuck.e2e.test`,
    );
    expect(stuck.stdout).toContain(`target: Service ${namespace}/stuck port 80`);
    expect(stuck.stdout).toMatch(/no ready endpoint: .*held up to conditionWait 2000 ms/);
    const unknown = await runTidal([
      "explain",
      "--host",
      "nobody.e2e.test",
      "--server",
      adminUrl,
      "-o",
      "json",
    ]);
    expect(JSON.parse(unknown.stdout)).toMatchObject({
      request: { host: "nobody.e2e.test", path: "/" },
      summary: [expect.stringContaining("answered 404 at once"), expect.stringContaining(`${namespace}/web`)],
    });
  });

  it("answers a timeout status, not a hang, for a workload that never becomes ready", async () => {
    const reply = await get(proxyPort, "stuck.e2e.test");
    expect(reply.status).toBe(502);
    // The operator did scale it: the pod exists, it just never gets an endpoint.
    expect(await eventually("stuck scaled to 1", async () => (await replicas("stuck")) === 1)).toBe(true);
  });

  it("sums the in-flight requests of both interceptors, and the HPA scales to N on them", async () => {
    endpoints.closeGate();
    cleanup.add(() => endpoints.openGate());
    // Six requests kept in flight, three through each interceptor: 6 / targetValue 2 = 3 replicas.
    const replies = [0, 1, 2, 3, 4, 5].map((index) =>
      get(index % 2 === 0 ? proxyPort : secondPort, "web.e2e.test", `/slow/${index}`),
    );
    const hpa = await eventually("the HPA of web", () =>
      kubectlJson<{
        spec: { metrics: { external: { metric: { name: string } } }[] };
      }>(["-n", namespace, "get", "hpa", "keda-hpa-web"]).catch(() => undefined),
    );
    const metric = hpa.spec.metrics[0]?.external.metric.name ?? "";
    const value = await eventually("the external metric at 6", async () => {
      const list = JSON.parse(
        await kubectl([
          "get",
          "--raw",
          `/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/${metric}?labelSelector=${encodeURIComponent("scaledobject.keda.sh/name=web")}`,
        ]),
      ) as { items: { value: string }[] };
      return list.items[0]?.value === "6" && list.items[0].value;
    });
    expect(value).toBe("6");
    const scaled = await eventually(
      "the Deployment at 3 replicas",
      async () => (await replicas("web")) === 3,
      {
        timeoutMs: 90_000,
        intervalMs: 500,
      },
    );
    expect(scaled).toBe(true);
    endpoints.openGate();
    const answered = await Promise.all(replies);
    expect(answered.map((reply) => reply.status)).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it("serves HTTPS with the mounted certificate and routes by host as over HTTP", async () => {
    expect(tlsPort).toBeGreaterThan(0);
    const reply = await getTls(tlsPort, "web.e2e.test", tlsCert, "web.e2e.test", "/secure");
    expect(reply.status, reply.body).toBe(200);
    expect(reply.body).toMatch(/^hello from web-/);
    expect(reply.peerNames).toBe("DNS:web.e2e.test");
    expect(endpoints.requests).toContainEqual(expect.objectContaining({ method: "GET", url: "/secure" }));
    const unknown = await getTls(tlsPort, "web.e2e.test", tlsCert, "nobody.e2e.test");
    expect(unknown.status).toBe(404);
    // The certificate names web.e2e.test only: a client asking for another name refuses it.
    const refused = await getTls(tlsPort, "other.e2e.test", tlsCert).catch((error: unknown) => error);
    expect(String(refused)).toMatch(/altnames/i);
  });
});
