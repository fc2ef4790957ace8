import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, useCleanup } from "../../support/isolation.ts";
import { TidalRun } from "../../support/tidal-run.ts";
import { fixtures, writeManifests } from "./manifests.ts";

// KEDA YAML as written for Kubernetes (a Deployment and the ScaledObject that scales it, a Secret
// and a ConfigMap its container reads), run by `tidal run` without Kubernetes: the Deployment's
// container command runs as local workers. The trigger reads a loopback metrics API the test
// starts, so no server is needed.

let backlog = 0;
let server: Server;
let metricsUrl = "";

beforeAll(async () => {
  server = createServer((_request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ backlog }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  metricsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backlog`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const quickstart = fileURLToPath(new URL("../../../examples/quickstart/", import.meta.url));
const SECRET_VALUE = "s3cr3t-password-value";

function manifests(replicas?: number) {
  return [
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "orders" },
      stringData: { password: SECRET_VALUE },
    },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "orders" }, data: { queue: "orders" } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "orders-worker" },
      spec: {
        ...(replicas === undefined ? {} : { replicas }),
        selector: { matchLabels: { app: "orders-worker" } },
        template: {
          metadata: { labels: { app: "orders-worker" } },
          spec: {
            terminationGracePeriodSeconds: 2,
            containers: [
              {
                name: "worker",
                image: "registry.example/orders-worker:1",
                command: [process.execPath],
                args: [join(fixtures, "print-env.js"), "QUEUE", "MODE", "QUEUE_LABEL"],
                workingDir: fixtures,
                env: [
                  { name: "QUEUE", valueFrom: { configMapKeyRef: { name: "orders", key: "queue" } } },
                  { name: "PASSWORD", valueFrom: { secretKeyRef: { name: "orders", key: "password" } } },
                  { name: "QUEUE_LABEL", value: "$(QUEUE)-label" },
                  { name: "MODE", value: "deployment" },
                ],
                resources: { requests: { cpu: "100m" } },
                readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "orders-worker" },
      spec: {
        scaleTargetRef: { name: "orders-worker" },
        pollingInterval: 1,
        cooldownPeriod: 1,
        maxReplicaCount: 3,
        triggers: [
          {
            type: "metrics-api",
            metadata: { url: metricsUrl, valueLocation: "backlog", targetValue: "5" },
          },
        ],
      },
    },
  ];
}

describe("tidal run on a Deployment and its ScaledObject", () => {
  const cleanup = useCleanup();

  it("runs the Deployment's container command as local workers, scaled by the ScaledObject", async () => {
    backlog = 0;
    const file = writeManifests(manifests());
    const run = await TidalRun.start([file]);
    cleanup.add(() => run.stop());

    // One line at startup says what of the Deployment runs and what does not.
    const note = run.logs.find((line) =>
      line.msg.startsWith("Deployment/orders-worker runs as local processes"),
    );
    expect(note?.msg).toContain('containers[0] ("worker") command, args, env, workingDir');
    expect(note?.msg).toContain("not used: image, resources, readinessProbe");

    // The Deployment's default replica count (1) starts a worker; the idle trigger then scales to zero.
    await eventually("the pool back at zero", async () => (await run.pool("orders-worker")).replicas === 0, {
      timeoutMs: 30_000,
    });
    const first = run.logs.find((line) => line.pool === "orders-worker" && line.stream === "stdout");
    expect(JSON.parse(first!.msg)).toEqual({
      pid: expect.any(Number),
      cwd: fixtures.replace(/\/$/, ""),
      env: { QUEUE: "orders", MODE: "deployment", QUEUE_LABEL: "orders-label" },
    });
    expect(run.logs.some((line) => line.reason === "KEDAScaleTargetDeactivated")).toBe(true);

    backlog = 12; // ceil(12 / 5) = 3 workers
    await eventually(
      "three ready workers",
      async () =>
        (await run.pool("orders-worker")).workers.filter((worker) => worker.state === "ready").length === 3,
      { timeoutMs: 30_000 },
    );
    expect((await run.object("orders-worker")).active).toBe(true);

    backlog = 0;
    await eventually(
      "every worker stopped",
      async () => (await run.pool("orders-worker")).workers.length === 0,
      { timeoutMs: 30_000 },
    );
    expect(await run.stop()).toBe(0);
    expect(run.output).not.toContain(SECRET_VALUE);
  });

  it("routes an HTTPScaledObject's requests to the Deployment's workers, started from zero", async () => {
    const file = writeManifests([
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web" },
        spec: {
          replicas: 0,
          template: {
            spec: {
              terminationGracePeriodSeconds: 2,
              containers: [
                {
                  name: "web",
                  image: "registry.example/web:1",
                  command: [process.execPath, "server.js"],
                  workingDir: quickstart,
                  ports: [{ containerPort: 8080 }],
                },
              ],
            },
          },
        },
      },
      {
        apiVersion: "http.keda.sh/v1alpha1",
        kind: "HTTPScaledObject",
        metadata: { name: "web" },
        spec: {
          scaleTargetRef: {
            apiVersion: "apps/v1",
            kind: "Deployment",
            name: "web",
            service: "web",
            port: 8080,
          },
          replicas: { min: 0, max: 2 },
          scalingMetric: { concurrency: { targetValue: 10 } },
        },
      },
    ]);
    const run = await TidalRun.start([file]);
    cleanup.add(() => run.stop());
    expect(await run.pool("web")).toMatchObject({ workload: "Deployment", replicas: 0 });
    const response = await fetch(`${run.httpProxyUrl}/orders`);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-keda-http-cold-start")).toBe("true");
    expect(await response.text()).toBe("hello from worker 0 (GET /orders)\n");
    expect((await run.pool("web")).replicas).toBe(1);
  });

  it("refuses a Deployment without a command, naming the field and what to do", async () => {
    const documents = manifests(1);
    const deployment = documents[2] as {
      spec: { template: { spec: { containers: Record<string, unknown>[] } } };
    };
    delete deployment.spec.template.spec.containers[0]!.command;
    const file = writeManifests(documents);
    await expect(TidalRun.start([file])).rejects.toThrow(
      /Deployment\/orders-worker: spec\.template\.spec\.containers\[0\]\.command: required to run Deployment "orders-worker" as local processes/,
    );
  });
});
