/**
 * Section 9 (opt-in: `npm run bench -- --only http-k8s`), HTTPScaledObjects on Kubernetes:
 * `tidal operator` and `tidal interceptor` against the local control plane (scripts/kube.sh up,
 * with TIDAL_KUBE_APISERVER_PORT / TIDAL_KUBE_ETCD_PORT as set), with real endpoints for kwok's
 * pods: each pod that becomes Ready gets a fresh worker process (bench/fixtures/http-worker.js) on
 * this machine's first non-loopback address, published in an EndpointSlice of the selector-less
 * Service once it listens; a pod that goes away loses its slice and its worker.
 *
 * - Cold start: with the Deployment at 0 replicas, one request through the interceptor; from
 *   sending it to the first byte of the response, and from the moment the EndpointSlice with the
 *   ready endpoint was written (the API server's answer to the create) to that first byte: the
 *   interceptor's part once the endpoint is ready. Also the steps in between (operator scales to 1,
 *   pod Ready, slice written), all on this process's clock.
 * - Warm: added latency (concurrency 1) and throughput (concurrency 32) through the interceptor vs
 *   straight to the endpoint, as section 4 does for the standalone proxy.
 */
import type { ChildProcess } from "node:child_process";
import { execFile } from "node:child_process";
import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { silentLogger } from "../src/observability/logger.ts";
import { Informer } from "../src/runtime/kubernetes/informer.ts";
import { KubeApi, isNotFound, loadKubeConfig, resourcePath } from "../src/runtime/kubernetes/kube-api.ts";
import { forkTracked, spawnTracked, stopChild } from "./lib/children.ts";
import { LoadClient } from "./lib/load-client.ts";
import { comparePaths } from "./lib/path-comparison.ts";
import { figure, type SectionResult } from "./lib/report.ts";
import { distribution, round } from "./lib/stats.ts";

const WORKER = fileURLToPath(new URL("./fixtures/http-worker.js", import.meta.url));

interface PodObject {
  metadata: { name: string; namespace?: string; deletionTimestamp?: string; labels?: Record<string, string> };
  status?: { conditions?: { type: string; status: string }[] };
}

interface DeploymentObject {
  metadata: { name: string; namespace?: string };
  spec?: { replicas?: number };
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, env, encoding: "utf8", maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function hostAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((address) => address.family === "IPv4" && !address.internal);
    if (found) return found.address;
  }
  throw new Error("the http-k8s section needs a non-loopback IPv4 address (EndpointSlices refuse loopback)");
}

/** A `tidal` command as a child with JSON logs; resolves with the first line carrying `message`. */
function startTidal(
  root: string,
  args: string[],
  message: string,
): Promise<{ child: ChildProcess; line: Record<string, unknown> }> {
  const child = spawnTracked(process.execPath, [join(root, "bin/tidal.js"), ...args], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const recent: string[] = [];
  return new Promise((resolve, reject) => {
    let buffered = "";
    let started = false;
    const timer = setTimeout(
      () => reject(new Error(`tidal ${args[0]} did not start within 120 s:\n${recent.join("\n")}`)),
      120_000,
    );
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const text of lines) {
        recent.push(text);
        if (recent.length > 40) recent.shift();
        if (started) continue;
        try {
          const line = JSON.parse(text) as Record<string, unknown>;
          if (line.msg === message) {
            started = true;
            clearTimeout(timer);
            resolve({ child, line });
          }
        } catch {
          // not a log line
        }
      }
    });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => recent.push(chunk));
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`tidal ${args[0]} exited with ${code}:\n${recent.join("\n")}`));
    });
  });
}

/** What happened to one pod, on this process's clock (performance.now()). */
interface PodRecord {
  pod: string;
  app: string;
  readyAt?: number;
  worker?: ChildProcess;
  port?: number;
  sliceRequestedAt?: number;
  sliceWrittenAt?: number;
  gone?: boolean;
}

/**
 * Real endpoints for kwok pods: a worker process per Ready pod and an EndpointSlice naming it,
 * removed when the pod goes away. Pods are watched, not polled.
 */
class Endpoints {
  readonly pods = new Map<string, PodRecord>();
  readonly #api: KubeApi;
  readonly #namespace: string;
  readonly #address: string;
  readonly #informer: Informer<PodObject>;
  #work: Promise<void> = Promise.resolve();
  lastError: unknown;

  constructor(api: KubeApi, namespace: string, address: string) {
    this.#api = api;
    this.#namespace = namespace;
    this.#address = address;
    this.#informer = new Informer<PodObject>(
      api.config,
      api,
      { apiVersion: "v1", plural: "pods", namespace },
      silentLogger,
    );
    for (const verb of ["add", "update"] as const) this.#informer.on(verb, (pod) => this.#seen(pod, false));
    this.#informer.on("delete", (pod) => this.#seen(pod, true));
  }

  start(): Promise<void> {
    return this.#informer.start();
  }

  async stop(): Promise<void> {
    await this.#informer.stop();
    await this.#work;
    await Promise.all(
      [...this.pods.values()].map((record) => (record.worker ? stopChild(record.worker, 2000) : undefined)),
    );
  }

  /** The worker of a Ready pod of `app` with its slice written, if there is one. */
  ready(app: string): PodRecord | undefined {
    return [...this.pods.values()].find(
      (record) => record.app === app && !record.gone && record.sliceWrittenAt !== undefined,
    );
  }

  /** Whether `app` has no pod, worker or slice left. */
  empty(app: string): boolean {
    return ![...this.pods.values()].some((record) => record.app === app && !record.gone);
  }

  #seen(pod: PodObject, deleted: boolean): void {
    const name = pod.metadata.name;
    const now = performance.now();
    const ready =
      !deleted &&
      pod.metadata.deletionTimestamp === undefined &&
      pod.status?.conditions?.some(
        (condition) => condition.type === "Ready" && condition.status === "True",
      ) === true;
    const record = this.pods.get(name);
    if (ready && record === undefined) {
      const created: PodRecord = { pod: name, app: pod.metadata.labels?.app ?? "", readyAt: now };
      this.pods.set(name, created);
      this.#queue(() => this.#publish(created));
    } else if (!ready && record !== undefined && !record.gone) {
      record.gone = true;
      this.#queue(() => this.#withdraw(record));
    }
  }

  #queue(step: () => Promise<void>): void {
    this.#work = this.#work.then(step).catch((error: unknown) => void (this.lastError = error));
  }

  async #publish(record: PodRecord): Promise<void> {
    const worker = forkTracked(WORKER, [], {
      env: { ...process.env, HOST: this.#address, PORT: "0" },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    record.worker = worker;
    record.port = await new Promise<number>((resolve, reject) => {
      worker.once("message", (message: { port: number }) => resolve(message.port));
      worker.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
    });
    if (record.gone) return;
    record.sliceRequestedAt = performance.now();
    await this.#api.create(resourcePath("discovery.k8s.io/v1", "endpointslices", this.#namespace), {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `${record.app}-${record.pod}`.slice(0, 63),
        labels: {
          "kubernetes.io/service-name": record.app,
          "endpointslice.kubernetes.io/managed-by": "bench.tidal.dev",
        },
      },
      addressType: "IPv4",
      ports: [{ name: "http", port: record.port, protocol: "TCP" }],
      endpoints: [
        {
          addresses: [this.#address],
          conditions: { ready: true },
          targetRef: { kind: "Pod", name: record.pod, namespace: this.#namespace },
        },
      ],
    });
    record.sliceWrittenAt = performance.now();
  }

  async #withdraw(record: PodRecord): Promise<void> {
    try {
      await this.#api.delete(
        resourcePath(
          "discovery.k8s.io/v1",
          "endpointslices",
          this.#namespace,
          `${record.app}-${record.pod}`.slice(0, 63),
        ),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    if (record.worker) await stopChild(record.worker, 2000);
  }
}

/** One GET through the interceptor: when its response head arrived, and the response. */
function firstByte(
  port: number,
  host: string,
): Promise<{ firstByteAt: number; status: number; coldStart: string | undefined }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: "127.0.0.1", port, path: "/", headers: { host }, agent: false },
      (response) => {
        const firstByteAt = performance.now();
        response.resume();
        response.on("end", () =>
          resolve({
            firstByteAt,
            status: response.statusCode ?? 0,
            coldStart: response.headers["x-keda-http-cold-start"] as string | undefined,
          }),
        );
      },
    );
    outgoing.on("error", reject);
    outgoing.end();
  });
}

export async function httpKubernetesSection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const { root } = options;
  // The control plane (a no-op when it is up), with the ports of the environment.
  await run(join(root, "scripts/kube.sh"), ["up"], root);
  const kubeconfig = join(root, ".tidal/kube/admin.kubeconfig");
  const binDir = (await run(join(root, "scripts/kube-build.sh"), ["--print-dir"], root)).trim();
  await run(join(binDir, "kubectl"), ["--kubeconfig", kubeconfig, "apply", "-f", "deploy/crds/"], root);
  await run(
    join(binDir, "kubectl"),
    ["--kubeconfig", kubeconfig, "wait", "--for=condition=established", "crd/httpscaledobjects.http.keda.sh"],
    root,
  );

  const api = new KubeApi(loadKubeConfig(kubeconfig, {}));
  const namespace = `bench-http-${Math.random().toString(16).slice(2, 8)}`;
  await api.create("/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: namespace },
  });
  const address = hostAddress();
  const endpoints = new Endpoints(api, namespace, address);
  const load = new LoadClient();
  const children: ChildProcess[] = [];
  /** When each Deployment's spec.replicas was last seen changing, by name. */
  const replicas = new Map<string, { replicas: number; at: number }>();
  const deployments = new Informer<DeploymentObject>(
    api.config,
    api,
    { apiVersion: "apps/v1", plural: "deployments", namespace },
    silentLogger,
  );
  const seenDeployment = (deployment: DeploymentObject) => {
    const count = deployment.spec?.replicas ?? 1;
    if (replicas.get(deployment.metadata.name)?.replicas !== count)
      replicas.set(deployment.metadata.name, { replicas: count, at: performance.now() });
  };
  deployments.on("add", seenDeployment);
  deployments.on("update", seenDeployment);
  try {
    await Promise.all([endpoints.start(), deployments.start()]);
    const interceptor = await startTidal(
      root,
      [
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
      ],
      "tidal interceptor started",
    );
    children.push(interceptor.child);
    const proxyPort = Number(new URL(String(interceptor.line.proxy)).port);
    const operator = await startTidal(
      root,
      [
        "operator",
        "--kubeconfig",
        kubeconfig,
        "--local",
        "--namespace",
        namespace,
        "--metrics-server-port",
        "0",
        "--metrics-bind-address",
        "127.0.0.1:0",
        "--http-scaler-port",
        "0",
        "--dashboard-bind-address",
        "127.0.0.1:0",
        "--interceptor-url",
        String(interceptor.line.admin),
        "--log-format",
        "json",
      ],
      "tidal operator started",
    );
    children.push(operator.child);

    for (const [app, min] of [
      ["cold", 0],
      ["warm", 1],
    ] as const) {
      await api.create(resourcePath("apps/v1", "deployments", namespace), {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: app },
        spec: {
          replicas: min,
          selector: { matchLabels: { app } },
          template: {
            metadata: { labels: { app } },
            spec: { containers: [{ name: "main", image: "example.invalid/web" }] },
          },
        },
      });
      await api.create(resourcePath("v1", "services", namespace), {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: app },
        spec: { ports: [{ name: "http", port: 80, targetPort: 8080, protocol: "TCP" }] },
      });
      await api.create(resourcePath("http.keda.sh/v1alpha1", "httpscaledobjects", namespace), {
        apiVersion: "http.keda.sh/v1alpha1",
        kind: "HTTPScaledObject",
        metadata: { name: app },
        spec: {
          hosts: [`${app}.bench`],
          scaleTargetRef: { name: app, kind: "Deployment", apiVersion: "apps/v1", service: app, port: 80 },
          replicas: { min, max: 1 },
          scaledownPeriod: 1,
          // Under load the worker may answer late; the figures are about the interceptor.
          timeouts: { responseHeader: "10s" },
        },
      });
    }

    // Warm: straight to the worker vs through the interceptor.
    const warm = await waitFor("the warm pod's endpoint", () => endpoints.ready("warm"), 120_000);
    await waitFor(
      "the interceptor routing warm.bench",
      async () => ((await firstByte(proxyPort, "warm.bench")).status === 200 ? true : undefined),
      60_000,
    );
    const compared = await comparePaths(
      load,
      { urls: [`http://${address}:${warm.port}/`] },
      { urls: [`http://127.0.0.1:${proxyPort}/`], headers: { host: "warm.bench" } },
      options,
    );

    // Cold starts.
    const trials: {
      firstByteMs: number;
      afterSliceMs: number;
      scaledUpMs?: number;
      podReadyMs?: number;
      sliceWrittenMs?: number;
      status: number;
      coldStartHeader?: string;
    }[] = [];
    for (let trial = 0; trial < (options.quick ? 3 : 6); trial++) {
      await waitFor(
        "the cold Deployment at 0 with no endpoint left",
        () => (replicas.get("cold")?.replicas === 0 && endpoints.empty("cold") ? true : undefined),
        180_000,
      );
      // Let the interceptor see the slice go too.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const sentAt = performance.now();
      const reply = await firstByte(proxyPort, "cold.bench");
      const pod = [...endpoints.pods.values()].find(
        (record) => record.app === "cold" && record.readyAt !== undefined && record.readyAt > sentAt,
      );
      if (pod?.sliceWrittenAt === undefined)
        throw new Error(`cold trial ${trial}: no endpoint was published (${String(endpoints.lastError)})`);
      const scaledUp = replicas.get("cold");
      trials.push({
        firstByteMs: round(reply.firstByteAt - sentAt),
        afterSliceMs: round(reply.firstByteAt - pod.sliceWrittenAt),
        ...(scaledUp && scaledUp.replicas > 0 && scaledUp.at > sentAt
          ? { scaledUpMs: round(scaledUp.at - sentAt) }
          : {}),
        podReadyMs: round((pod.readyAt as number) - sentAt),
        sliceWrittenMs: round(pod.sliceWrittenAt - sentAt),
        status: reply.status,
        ...(reply.coldStart === undefined ? {} : { coldStartHeader: reply.coldStart }),
      });
      process.stderr.write(`  cold start ${trial + 1}: ${JSON.stringify(trials.at(-1))}\n`);
    }
    const total = distribution(trials.map((trial) => trial.firstByteMs));
    const afterSlice = distribution(trials.map((trial) => trial.afterSliceMs));
    return {
      id: "http-k8s",
      title: "9. HTTPScaledObjects on Kubernetes (tidal operator + tidal interceptor)",
      figures: [
        figure(
          "httpK8s.coldStartAfterEndpointMax",
          `cold start: endpoint ready → first byte, worst of ${trials.length}`,
          afterSlice.max,
          "ms",
          {
            comparison: "at most",
            value: 1000,
          },
        ),
        figure(
          "httpK8s.coldStartAfterEndpointP50",
          "cold start: endpoint ready → first byte, p50",
          afterSlice.p50,
          "ms",
        ),
        figure(
          "httpK8s.coldStartP50",
          "cold start: request at 0 replicas → first byte, p50",
          total.p50,
          "ms",
        ),
        figure(
          "httpK8s.coldStartMax",
          "cold start: request at 0 replicas → first byte, max",
          total.max,
          "ms",
        ),
        figure(
          "httpK8s.addedLatencyP50",
          "added latency p50 through the interceptor (concurrency 1)",
          compared.addedP50,
          "ms",
          {
            comparison: "at most",
            value: 2,
          },
        ),
        figure(
          "httpK8s.addedLatencyP99",
          "added latency p99 through the interceptor (concurrency 1)",
          compared.addedP99,
          "ms",
          {
            comparison: "at most",
            value: 2,
          },
        ),
        figure(
          "httpK8s.throughputRatio",
          "throughput through the interceptor ÷ direct (concurrency 32)",
          compared.throughputRatio,
          "×",
          {
            comparison: "at least",
            value: 0.8,
          },
        ),
        figure(
          "httpK8s.directThroughput",
          "direct throughput (concurrency 32)",
          compared.directThroughput,
          "req/s",
        ),
        figure(
          "httpK8s.proxyThroughput",
          "interceptor throughput (concurrency 32)",
          compared.proxyThroughput,
          "req/s",
        ),
      ],
      details: {
        coldStarts: trials,
        warm: {
          rounds: compared.rounds,
          warmupMs: compared.warmupMs,
          durationMs: compared.durationMs,
          ...compared.runs,
        },
      },
      notes: [
        "The endpoint is ready when the API server has answered the create of its EndpointSlice (ready: true); first byte is the response head reaching the client. In between: the interceptor's EndpointSlice watch, its connection to the worker, the worker's answer.",
        "Request → first byte also holds the operator's scale to 1 (scaledUpMs), kube-scheduler and kwok making the pod Ready (podReadyMs), and the harness starting a worker process and writing the slice (sliceWrittenMs); on a real cluster, the container's start replaces the last two.",
        "Warm figures as in section 4: one load process, medians over rounds, paths alternating; the control plane, operator, interceptor, worker and load process share this machine's cores.",
      ],
    };
  } finally {
    await load.close();
    // While the operator still runs: it takes the finalizers off its ScaledObjects.
    await api.delete(`/api/v1/namespaces/${namespace}`).catch(() => undefined);
    await waitFor(
      "the namespace's ScaledObjects to go",
      async () => {
        const list = await api
          .get<{ items: unknown[] }>(resourcePath("keda.sh/v1alpha1", "scaledobjects", namespace))
          .catch(() => ({ items: [] }));
        return list.items.length === 0 ? true : undefined;
      },
      30_000,
    ).catch(() => undefined);
    await Promise.all(children.reverse().map((child) => stopChild(child, 10_000)));
    await deployments.stop();
    await endpoints.stop();
    api.close();
  }
}
