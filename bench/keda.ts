/**
 * Section 10, keda (opt-in: `npm run bench -- --only keda`): the same ScaledObjects under KEDA
 * and under Tidal on this machine's control plane (scripts/kube.sh, whose ports follow
 * TIDAL_KUBE_APISERVER_PORT / TIDAL_KUBE_ETCD_PORT), one operator at a time, and every figure as
 * the ratio Tidal ÷ KEDA.
 *
 * KEDA (the release pinned in bench/keda/versions.env) is built by scripts/keda-build.sh into the
 * cache (~15 CPU-minutes the first time, niced). Its operator and metrics adapter run outside the
 * cluster as processes of this machine: KEDA's own CRDs from its module's config/crd/bases applied
 * server-side, throw-away certificates for their gRPC link, listeners on loopback off KEDA's
 * in-cluster ports, and the adapter registered as the external metrics APIService (a Service
 * `ExternalName: localhost`, as `tidal operator --local` registers itself). Then Tidal's operator
 * runs with Tidal's CRDs and `--local`. Three configurations, one after another:
 *   KEDA at its defaults; KEDA with --kube-api-qps/--kube-api-burst raised (its client-side rate
 *   limit, 20/s burst 30, dominates with many objects); Tidal.
 * Each: start with one ScaledObject waiting (start to Ready, CPU used), idle usage, then per size
 * (100 and 1,000; TIDAL_BENCH_KEDA_SIZES=100,1000,5000 for more) the time until all are Ready,
 * settled RSS and CPU, and the time to delete them. KEDA at defaults and Tidal also get the reaction
 * 0 → ≥1 replica of a metrics-api trigger polled every second (and on to N through the real HPA),
 * and the external metrics API's latency through the kube-apiserver at fixed rates, and "same YAML,
 * same timeline" (bench/keda-timeline.ts): one ScaledObject per trigger family both have
 * (metrics-api, redis, postgresql, cron), a script played from a minute boundary, each
 * Deployment's replicas recorded and the two timelines compared per family.
 * TIDAL_BENCH_KEDA_PARTS=sizes,reaction,timeline chooses the measurements after start and idle.
 *
 * The objects: Deployments at 0 replicas (kwok's node), each with a ScaledObject whose one cron
 * trigger is inactive all run (only the operators' own work is measured).
 *
 * Everything started here stops here: the processes, the control plane when this started it, the
 * namespaces and the APIService; Tidal's CRDs are applied again at the end.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { ensureLocalApiService, removeLocalApiService } from "../src/runtime/metrics-api/apiservice.ts";
import { spawnTracked, stopChild } from "./lib/children.ts";
import { LoadClient } from "./lib/load-client.ts";
import { ProcessSampler, readProcess } from "./lib/proc.ts";
import type { SectionResult } from "./lib/report.ts";
import { KubeApi, readKubeconfig } from "./lib/kube-api.ts";
import { mean, round } from "./lib/stats.ts";
import {
  apiserverRequestTotal,
  comparisonFigures,
  comparisonTable,
  countReady,
  kedaParts,
  kedaSizes,
  cronScaledObject,
  deployment,
  KEDA_NAMESPACE,
  kedaAdapterArgs,
  kedaOperatorArgs,
  metricsApiScaledObject,
  operatorEnvironment,
  requestsPerObjectMinute,
  sumUsage,
  tidalOperatorArgs,
  windowUsage,
  type Comparison,
  type KedaLaunch,
  type KedaPart,
  type Usage,
} from "./keda-plan.ts";
import { openTimelineFixture, runTimeline, type TimelineFixture, type TimelineRun } from "./keda-timeline.ts";
import { compareFamilies, TIMELINE_FAMILIES, timelineFigures, timelineTable } from "./keda-timeline-plan.ts";

const RAISED_QPS = 1000;
const RAISED_BURST = 2000;
const SO_PATH = (namespace: string) => `/apis/keda.sh/v1alpha1/namespaces/${namespace}/scaledobjects`;

// ---- small helpers ---------------------------------------------------------------------------------

function execText(command: string, args: string[], options: { cwd?: string; stdin?: string } = {}) {
  return new Promise<string>((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { cwd: options.cwd, encoding: "utf8", maxBuffer: 64 << 20, env: process.env },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${command} ${args.join(" ")}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs: number,
  intervalMs = 1000,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

function log(message: string): void {
  process.stderr.write(`  keda: ${message}\n`);
}

function versionsEnv(root: string): { version: string; commit: string } {
  const text = readFileSync(join(root, "bench/keda/versions.env"), "utf8");
  const value = (name: string) => new RegExp(`^${name}=(\\S+)`, "m").exec(text)?.[1] ?? "unknown";
  return { version: value("KEDA_VERSION"), commit: value("KEDA_COMMIT") };
}

// ---- the control plane, KEDA's build, certificates ----------------------------------------------------

interface ControlPlane {
  kubeconfig: string;
  kubectl: string;
  startedHere: boolean;
}

async function controlPlane(root: string): Promise<ControlPlane> {
  const script = join(root, "scripts/kube.sh");
  let startedHere = false;
  try {
    await execText(script, ["status"]);
  } catch {
    log("starting the control plane (scripts/kube.sh up)");
    await execText(script, ["up"]);
    startedHere = true;
  }
  const bin = (await execText(join(root, "scripts/kube-build.sh"), ["--print-dir"])).trim();
  return {
    kubeconfig: join(root, ".tidal/kube/admin.kubeconfig"),
    kubectl: join(bin, "kubectl"),
    startedHere,
  };
}

/** scripts/keda-build.sh, niced; its progress lines go to stderr. */
function kedaBinaries(root: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn("nice", ["-n", "10", join(root, "scripts/keda-build.sh")], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0
        ? resolve(out.trim().split("\n").pop() as string)
        : reject(new Error(`keda-build.sh exited with ${code}`)),
    );
  });
}

/** KEDA's CRDs, from its module in Go's module cache (downloaded if needed). */
async function kedaCrdDirectory(root: string, version: string): Promise<string> {
  const info = JSON.parse(
    await execText("go", ["mod", "download", "-json", `github.com/kedacore/keda/v2@${version}`], {
      cwd: join(root, "bench/keda"),
    }),
  ) as { Dir?: string };
  if (!info.Dir) throw new Error(`go mod download: no directory for KEDA ${version}`);
  return join(info.Dir, "config/crd/bases");
}

/** A CA and one certificate for 127.0.0.1/localhost usable by both ends of KEDA's gRPC link. */
async function throwAwayCerts(directory: string): Promise<void> {
  mkdirSync(directory, { recursive: true });
  const ssl = (args: string[]) => execText("openssl", args, { cwd: directory });
  await ssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"]);
  await ssl([
    "req",
    "-x509",
    "-new",
    "-key",
    "ca.key",
    "-subj",
    "/CN=tidal-bench-keda-ca",
    "-days",
    "2",
    "-out",
    "ca.crt",
  ]);
  await ssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "tls.key"]);
  await ssl(["req", "-new", "-key", "tls.key", "-subj", "/CN=localhost", "-out", "tls.csr"]);
  const extensions = join(directory, "tls.ext");
  writeFileSync(
    extensions,
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n",
  );
  await ssl([
    "x509",
    "-req",
    "-in",
    "tls.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    extensions,
    "-out",
    "tls.crt",
  ]);
}

// ---- the operators under test -------------------------------------------------------------------------

interface Subject {
  id: "keda" | "kedaRaised" | "tidal";
  label: string;
  /** KEDA's (operator, adapter) or Tidal's (operator). */
  processes: { name: string; child: ChildProcess }[];
  /** The port the external metrics APIService must point at once this subject serves it. */
  metricsPort: number;
  stop(): Promise<void>;
}

function spawnLogged(
  logDir: string,
  name: string,
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
) {
  const fd = openSync(join(logDir, `${name}.log`), "a");
  const child = spawnTracked(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", fd, fd],
  });
  closeSync(fd);
  return child;
}

async function stopProcesses(processes: { child: ChildProcess }[]): Promise<void> {
  await Promise.all(processes.map(({ child }) => stopChild(child, 20_000)));
}

async function startKeda(context: RunContext, id: "keda" | "kedaRaised", raised: boolean): Promise<Subject> {
  const ports = {
    operatorMetrics: await freePort(),
    operatorProbe: await freePort(),
    grpc: await freePort(),
    adapterSecure: await freePort(),
    adapterMetrics: await freePort(),
  };
  const launch: KedaLaunch = {
    kubeconfig: context.plane.kubeconfig,
    certDir: context.certDir,
    ports,
    ...(raised ? { kubeApiQps: RAISED_QPS, kubeApiBurst: RAISED_BURST } : {}),
  };
  const env = operatorEnvironment();
  const operator = spawnLogged(
    context.logDir,
    `${id}-operator`,
    join(context.kedaBin, "keda-operator"),
    kedaOperatorArgs(launch),
    context.root,
    env,
  );
  const adapter = spawnLogged(
    context.logDir,
    `${id}-adapter`,
    join(context.kedaBin, "keda-adapter"),
    kedaAdapterArgs(launch),
    context.root,
    env,
  );
  const processes = [
    { name: "operator", child: operator },
    { name: "adapter", child: adapter },
  ];
  // Register the adapter as the external metrics API, as `tidal operator --local` does for itself.
  void ensureLocalApiService(context.kubeConfig, {
    port: ports.adapterSecure,
    serviceNamespace: KEDA_NAMESPACE,
    serviceName: "keda-metrics-local",
    timeoutMs: 300_000,
  }).catch((error: unknown) => log(`APIService for KEDA's adapter: ${String(error)}`));
  return {
    id,
    label: raised
      ? `KEDA ${context.keda.version}, --kube-api-qps=${RAISED_QPS} --kube-api-burst=${RAISED_BURST}`
      : `KEDA ${context.keda.version}`,
    processes,
    metricsPort: ports.adapterSecure,
    stop: async () => {
      await stopProcesses(processes);
      await removeLocalApiService(context.kubeConfig, {
        serviceNamespace: KEDA_NAMESPACE,
        serviceName: "keda-metrics-local",
      }).catch(() => undefined);
    },
  };
}

async function startTidal(context: RunContext): Promise<Subject> {
  const port = await freePort();
  const child = spawnLogged(
    context.logDir,
    "tidal-operator",
    process.execPath,
    tidalOperatorArgs(context.plane.kubeconfig, port),
    context.root,
    operatorEnvironment(),
  );
  const processes = [{ name: "operator", child }];
  return { id: "tidal", label: "Tidal", processes, metricsPort: port, stop: () => stopProcesses(processes) };
}

// ---- measurements -------------------------------------------------------------------------------------

interface RunContext {
  root: string;
  quick: boolean;
  api: KubeApi;
  kubeConfig: KubeConfig;
  plane: ControlPlane;
  certDir: string;
  logDir: string;
  kedaBin: string;
  keda: { version: string; commit: string };
  sizes: number[];
  parts: Set<KedaPart>;
  /** The timeline's sources, when that part runs. */
  timeline?: TimelineFixture;
}

interface SizeResult {
  count: number;
  createSeconds: number;
  readySeconds: number | null;
  readyCpuSeconds: number | null;
  settled: Usage | null;
  /** API requests (as the API server counts them, less the bench's own) per object until all were Ready. */
  readyRequestsPerObject: number | null;
  /** The same per object and minute over the settled window. */
  settledRequestsPerObjectMinute: number | null;
  deleteSeconds: number | null;
}

interface SubjectResult {
  id: string;
  label: string;
  startSeconds: number | null;
  startCpuSeconds: number | null;
  metricsApiAvailableSeconds: number | null;
  idle: Usage | null;
  idleByProcess: Record<string, Usage | null>;
  sizes: SizeResult[];
  reaction?: { toOneSeconds: number[]; toNSeconds: number[]; n: number };
  metricsApi?: {
    rate: number;
    p50Ms: number;
    p99Ms: number;
    requests: number;
    errors: number;
    firstError?: string;
  }[];
  /** "Same YAML, same timeline": the replicas recorded while the script played. */
  timeline?: TimelineRun;
  timelineError?: string;
  error?: string;
  /** When the figures come from an earlier run (TIDAL_BENCH_KEDA_REUSE): its date. */
  reusedFrom?: string;
}

/** The configurations' results in an earlier bench/results/latest.json, by id. */
function reusedResults(path: string | undefined): Map<string, SubjectResult> {
  if (!path) return new Map();
  const run = JSON.parse(readFileSync(path, "utf8")) as {
    machine?: { date?: string };
    sections?: { id: string; details?: { results?: SubjectResult[] } }[];
  };
  const section = run.sections?.find((candidate) => candidate.id === "keda");
  const date = run.machine?.date ?? path;
  return new Map(
    (section?.details?.results ?? [])
      .filter((result) => result.label !== "(not run)")
      .map((result) => [result.id, { ...result, reusedFrom: date }]),
  );
}

class Samplers {
  readonly #samplers: { name: string; sampler: ProcessSampler }[];
  constructor(subject: Subject) {
    this.#samplers = subject.processes.map(({ name, child }) => ({
      name,
      sampler: new ProcessSampler(child.pid as number, 1000),
    }));
  }
  window(from: number, to: number): { total: Usage | null; byProcess: Record<string, Usage | null> } {
    const byProcess = Object.fromEntries(
      this.#samplers.map(({ name, sampler }) => [name, windowUsage(sampler.readings, from, to)]),
    );
    return { total: sumUsage(Object.values(byProcess)), byProcess };
  }
  cpuNow(subject: Subject): number {
    return subject.processes.reduce((sum, { child }) => {
      try {
        return sum + readProcess(child.pid as number).cpuSeconds;
      } catch {
        return sum;
      }
    }, 0);
  }
  stop(): void {
    for (const { sampler } of this.#samplers) sampler.stop();
  }
}

/** Creates the namespace; one still terminating (an interrupted run's) is waited out first. */
async function ensureNamespace(api: KubeApi, name: string): Promise<void> {
  const existing = await api.find<{ status?: { phase?: string } }>(`/api/v1/namespaces/${name}`);
  if (existing?.status?.phase === "Terminating") {
    log(`namespace ${name} is still terminating (an earlier run's); waiting for it to go`);
    await until(
      `namespace ${name} to go`,
      async () => (await api.find(`/api/v1/namespaces/${name}`)) === undefined,
      600_000,
    );
  }
  await api.create("/api/v1/namespaces", { apiVersion: "v1", kind: "Namespace", metadata: { name } }, true);
}

async function removeNamespace(api: KubeApi, name: string): Promise<void> {
  await api.remove(`/api/v1/namespaces/${name}`);
  await until(
    `namespace ${name} to go`,
    async () => (await api.find(`/api/v1/namespaces/${name}`)) === undefined,
    600_000,
  );
}

const EXTERNAL_METRICS_API_SERVICE =
  "/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io";

/**
 * An interrupted run leaves the external metrics APIService pointing at a process that is gone;
 * while it is unavailable, namespaces cannot be deleted (their deletion needs complete discovery).
 */
async function removeStaleApiService(api: KubeApi): Promise<void> {
  const service = await api.find<{ status?: { conditions?: { type: string; status: string }[] } }>(
    EXTERNAL_METRICS_API_SERVICE,
  );
  if (service === undefined) return;
  const available = service.status?.conditions?.some(
    (condition) => condition.type === "Available" && condition.status === "True",
  );
  if (available) return;
  log("removing an external metrics APIService that serves nothing (an earlier run's)");
  await api.remove(EXTERNAL_METRICS_API_SERVICE);
}

async function readyCount(api: KubeApi, namespace: string): Promise<number> {
  const list = await api.get<{ items: Parameters<typeof countReady>[0] }>(SO_PATH(namespace));
  return countReady(list.items);
}

async function waitAllReady(
  api: KubeApi,
  namespace: string,
  count: number,
  timeoutMs: number,
): Promise<void> {
  let reported = performance.now();
  await until(
    `${count} ScaledObjects Ready in ${namespace}`,
    async () => {
      const ready = await readyCount(api, namespace);
      if (performance.now() - reported > 30_000) {
        log(`${namespace}: ${ready} of ${count} Ready`);
        reported = performance.now();
      }
      return ready >= count;
    },
    timeoutMs,
  );
}

async function apiServiceServing(api: KubeApi, port: number): Promise<boolean> {
  const service = await api.find<{
    spec?: { service?: { port?: number } };
    status?: { conditions?: { type: string; status: string }[] };
  }>(EXTERNAL_METRICS_API_SERVICE);
  return (
    service?.spec?.service?.port === port &&
    service.status?.conditions?.some(
      (condition) => condition.type === "Available" && condition.status === "True",
    ) === true
  );
}

/** The API server's count of requests answered, and how many of the bench's own were sent by then. */
async function apiRequests(api: KubeApi): Promise<{ total: number; sent: number }> {
  const sent = api.sent;
  return { total: apiserverRequestTotal(await api.text("/metrics")), sent };
}

/** A second reading: the bench's own requests in between (the first reading's scrape included). */
async function requestsSince(api: KubeApi, before: { total: number; sent: number }) {
  const after = await apiRequests(api);
  return { before: before.total, after: after.total, ownRequests: after.sent - before.sent };
}

async function createObjects(
  api: KubeApi,
  namespace: string,
  names: string[],
  object: (name: string) => Record<string, unknown>,
) {
  await api.createAll(
    names.map((name) => ({ path: SO_PATH(namespace), body: object(name) })),
    8,
  );
}

async function createDeployments(api: KubeApi, namespace: string, names: string[]) {
  await api.createAll(
    names.map((name) => ({
      path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
      body: deployment(name),
    })),
    8,
  );
}

async function measureSize(
  context: RunContext,
  subject: Subject,
  samplers: Samplers,
  count: number,
): Promise<SizeResult> {
  const { api } = context;
  const namespace = `bench-${subject.id.toLowerCase()}-${count}`;
  await ensureNamespace(api, namespace);
  const names = Array.from({ length: count }, (_, index) => `cron-${String(index).padStart(5, "0")}`);
  await createDeployments(api, namespace, names);
  log(`${subject.id}: creating ${count} ScaledObjects`);
  const cpuBefore = samplers.cpuNow(subject);
  const requestsBefore = await apiRequests(api);
  const started = performance.now();
  await createObjects(api, namespace, names, cronScaledObject);
  const createSeconds = (performance.now() - started) / 1000;
  let readySeconds: number | null = null;
  let readyCpuSeconds: number | null = null;
  let readyRequestsPerObject: number | null = null;
  try {
    await waitAllReady(api, namespace, count, Math.max(600_000, count * 1500));
    readySeconds = (performance.now() - started) / 1000;
    readyCpuSeconds = samplers.cpuNow(subject) - cpuBefore;
    const requests = await requestsSince(api, requestsBefore);
    readyRequestsPerObject = (requests.after - requests.before - requests.ownRequests) / count;
    log(`${subject.id}: ${count} Ready after ${round(readySeconds)} s`);
  } catch (error) {
    log(`${subject.id}: ${String(error)}`);
  }
  const settleMs = context.quick ? 10_000 : 20_000;
  const windowMs = context.quick ? 30_000 : 60_000;
  await sleep(settleMs);
  const settledBefore = await apiRequests(api);
  const from = performance.now();
  await sleep(windowMs);
  const settled = samplers.window(from, performance.now()).total;
  const settledRequestsPerObjectMinute = requestsPerObjectMinute(
    await requestsSince(api, settledBefore),
    count,
    performance.now() - from,
  );
  log(
    `${subject.id}: ${count} settled: ${settled ? `${round(settled.rssMiB)} MiB, ${round(settled.cpuPercent)} %` : "–"}, ${round(settledRequestsPerObjectMinute)} API requests per object per minute`,
  );
  let deleteSeconds: number | null = null;
  const deleting = performance.now();
  try {
    await api.remove(SO_PATH(namespace));
    await until(
      `ScaledObjects of ${namespace} to go`,
      async () => (await api.get<{ items: unknown[] }>(`${SO_PATH(namespace)}?limit=1`)).items.length === 0,
      Math.max(600_000, count * 1000),
      250,
    );
    deleteSeconds = (performance.now() - deleting) / 1000;
    log(`${subject.id}: ${count} deleted in ${round(deleteSeconds)} s`);
  } catch (error) {
    log(`${subject.id}: ${String(error)}`);
  }
  await removeNamespace(api, namespace);
  return {
    count,
    createSeconds,
    readySeconds,
    readyCpuSeconds,
    settled,
    readyRequestsPerObject,
    settledRequestsPerObjectMinute,
    deleteSeconds,
  };
}

/** A loopback HTTP server answering {"value": V} for the metrics-api trigger. */
async function valueServer(): Promise<{ url: string; set(value: number): void; close(): Promise<void> }> {
  let value = 0;
  const server = http.createServer((_request, response) => {
    response.setHeader("content-type", "application/json");
    response.end(JSON.stringify({ value }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/value`,
    set: (next) => void (value = next),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function measureReaction(
  context: RunContext,
  subject: Subject,
): Promise<Pick<SubjectResult, "reaction" | "metricsApi">> {
  const { api } = context;
  const namespace = `bench-${subject.id.toLowerCase()}-react`;
  const source = await valueServer();
  const target = 5;
  const n = 4;
  try {
    await ensureNamespace(api, namespace);
    await createDeployments(api, namespace, ["react"]);
    await createObjects(api, namespace, ["react"], (name) =>
      metricsApiScaledObject(name, source.url, target),
    );
    await waitAllReady(api, namespace, 1, 120_000);
    const replicas = async () =>
      (
        await api.get<{ spec?: { replicas?: number } }>(
          `/apis/apps/v1/namespaces/${namespace}/deployments/react`,
        )
      ).spec?.replicas ?? 0;
    const toOne: number[] = [];
    const toN: number[] = [];
    const trials = context.quick ? 3 : 5;
    for (let trial = 0; trial < trials; trial++) {
      await until("0 replicas", async () => (await replicas()) === 0, 180_000, 200);
      await sleep(1500);
      source.set(n * target);
      const flipped = performance.now();
      await until("≥ 1 replica", async () => (await replicas()) >= 1, 60_000, 50);
      toOne.push((performance.now() - flipped) / 1000);
      try {
        await until(`${n} replicas`, async () => (await replicas()) >= n, 60_000, 100);
        toN.push((performance.now() - flipped) / 1000);
      } catch (error) {
        log(`${subject.id}: ${String(error)}`);
      }
      source.set(0);
    }
    log(`${subject.id}: reaction 0→1 mean ${round(mean(toOne))} s, →${n} mean ${round(mean(toN))} s`);

    // The external metrics API through the kube-apiserver, as the HPA asks it.
    await until("0 replicas", async () => (await replicas()) === 0, 180_000, 200);
    const status = await api.get<{ status?: { externalMetricNames?: string[] } }>(
      `${SO_PATH(namespace)}/react`,
    );
    const metricName = status.status?.externalMetricNames?.[0];
    if (!metricName) throw new Error("the ScaledObject has no externalMetricNames");
    const credentials = context.api.credentials;
    const url = `${credentials.server}/apis/external.metrics.k8s.io/v1beta1/namespaces/${namespace}/${metricName}?labelSelector=${encodeURIComponent("scaledobject.keda.sh/name=react")}`;
    const load = new LoadClient();
    const metricsApi: NonNullable<SubjectResult["metricsApi"]> = [];
    try {
      for (const rate of context.quick ? [20] : [20, 100]) {
        const result = await load.run({
          mode: "open",
          urls: [url],
          rate,
          maxInFlight: 64,
          warmupMs: 2000,
          durationMs: context.quick ? 5000 : 15_000,
          tls: {
            ca: credentials.ca.toString(),
            cert: credentials.cert.toString(),
            key: credentials.key.toString(),
          },
        });
        metricsApi.push({
          rate,
          p50Ms: result.latencyMs.p50,
          p99Ms: result.latencyMs.p99,
          requests: result.requests,
          errors: result.errors,
          ...(result.firstError ? { firstError: result.firstError } : {}),
        });
        log(
          `${subject.id}: metrics API at ${rate}/s: p50 ${round(result.latencyMs.p50)} ms, p99 ${round(result.latencyMs.p99)} ms, ${result.errors} errors`,
        );
      }
    } finally {
      await load.close();
    }
    return { reaction: { toOneSeconds: toOne, toNSeconds: toN, n }, metricsApi };
  } finally {
    await api.remove(SO_PATH(namespace)).catch(() => undefined);
    await until(
      "the reaction ScaledObject to go",
      async () => (await api.get<{ items: unknown[] }>(`${SO_PATH(namespace)}?limit=1`)).items.length === 0,
      120_000,
      250,
    ).catch(() => undefined);
    await removeNamespace(api, namespace).catch(() => undefined);
    await source.close();
  }
}

async function runSubject(
  context: RunContext,
  start: () => Promise<Subject>,
  id: SubjectResult["id"],
  full: boolean,
): Promise<SubjectResult> {
  const { api } = context;
  const namespace = `bench-${id.toLowerCase()}-start`;
  await ensureNamespace(api, namespace);
  await createDeployments(api, namespace, ["canary"]);
  await createObjects(api, namespace, ["canary"], cronScaledObject);
  const started = performance.now();
  const subject = await start();
  const samplers = new Samplers(subject);
  const result: SubjectResult = {
    id,
    label: subject.label,
    startSeconds: null,
    startCpuSeconds: null,
    metricsApiAvailableSeconds: null,
    idle: null,
    idleByProcess: {},
    sizes: [],
  };
  try {
    const exited = new Promise<never>((_, reject) => {
      for (const { name, child } of subject.processes)
        child.once("exit", (code, signal) =>
          reject(new Error(`${id} ${name} exited (${code ?? signal}) early; see ${context.logDir}`)),
        );
    });
    exited.catch(() => undefined);
    const ready = Promise.race([waitAllReady(api, namespace, 1, 300_000), exited]);
    const available = Promise.race([
      until(
        "the external metrics APIService",
        () => apiServiceServing(api, subject.metricsPort),
        300_000,
        100,
      ),
      exited,
    ]).then(() => (result.metricsApiAvailableSeconds = (performance.now() - started) / 1000));
    await ready;
    result.startSeconds = (performance.now() - started) / 1000;
    result.startCpuSeconds = samplers.cpuNow(subject);
    await available;
    log(
      `${id}: started in ${round(result.startSeconds)} s (${round(result.startCpuSeconds)} s CPU), metrics API available after ${round(result.metricsApiAvailableSeconds ?? Number.NaN)} s`,
    );
    await sleep(context.quick ? 5000 : 10_000);
    const from = performance.now();
    await sleep(context.quick ? 15_000 : 30_000);
    const idle = samplers.window(from, performance.now());
    result.idle = idle.total;
    result.idleByProcess = idle.byProcess;
    log(
      `${id}: idle ${idle.total ? `${round(idle.total.rssMiB)} MiB, ${round(idle.total.cpuPercent)} %` : "–"}`,
    );
    await removeNamespace(api, namespace);
    if (context.parts.has("sizes"))
      for (const count of context.sizes)
        result.sizes.push(await measureSize(context, subject, samplers, count));
    if (full && context.parts.has("reaction")) Object.assign(result, await measureReaction(context, subject));
    if (full && context.timeline) {
      try {
        result.timeline = await runTimeline(
          api,
          context.kubeConfig,
          context.timeline,
          `bench-${id.toLowerCase()}-timeline`,
          (line) => log(`${id}: ${line}`),
        );
      } catch (error) {
        result.timelineError = error instanceof Error ? error.message : String(error);
        log(`${id}: timeline: ${result.timelineError}`);
      }
    }
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`${id}: ${result.error}`);
  } finally {
    samplers.stop();
    await subject.stop();
    await removeNamespace(api, namespace).catch(() => undefined);
  }
  return result;
}

// ---- figures ------------------------------------------------------------------------------------------

function comparisons(keda: SubjectResult, kedaRaised: SubjectResult, tidal: SubjectResult): Comparison[] {
  const at = (result: SubjectResult, count: number) => result.sizes.find((size) => size.count === count);
  const list: Comparison[] = [
    {
      id: "startSeconds",
      label: "start to the first ScaledObject Ready",
      unit: "s",
      keda: keda.startSeconds,
      tidal: tidal.startSeconds,
      target: { comparison: "at most", value: 1 },
    },
    {
      id: "startCpuSeconds",
      label: "CPU used until then",
      unit: "s",
      keda: keda.startCpuSeconds,
      tidal: tidal.startCpuSeconds,
    },
    {
      id: "metricsApiAvailableSeconds",
      label: "start to the external metrics APIService Available",
      unit: "s",
      keda: keda.metricsApiAvailableSeconds,
      tidal: tidal.metricsApiAvailableSeconds,
    },
    {
      id: "idle.rssMiB",
      label: "RSS idle (KEDA: operator + adapter)",
      unit: "MiB",
      keda: keda.idle?.rssMiB ?? null,
      tidal: tidal.idle?.rssMiB ?? null,
      target: { comparison: "at most", value: 1 },
    },
    {
      id: "idle.cpuPercent",
      label: "CPU idle",
      unit: "%",
      keda: keda.idle?.cpuPercent ?? null,
      tidal: tidal.idle?.cpuPercent ?? null,
    },
  ];
  const largest = Math.max(...tidal.sizes.map((size) => size.count), ...keda.sizes.map((size) => size.count));
  for (const count of [...new Set([...keda.sizes, ...tidal.sizes].map((size) => size.count))].sort(
    (a, b) => a - b,
  )) {
    const [k, r, t] = [at(keda, count), at(kedaRaised, count), at(tidal, count)];
    const perObject = (result: SubjectResult, size: SizeResult | undefined) =>
      size?.settled && result.idle ? ((size.settled.rssMiB - result.idle.rssMiB) * 1024) / count : null;
    list.push(
      {
        id: `n${count}.readySeconds`,
        label: `${count} ScaledObjects: create to all Ready`,
        unit: "s",
        keda: k?.readySeconds ?? null,
        kedaRaised: r?.readySeconds ?? null,
        tidal: t?.readySeconds ?? null,
        target: { comparison: "at most", value: 0.1 },
      },
      {
        id: `n${count}.readyCpuSeconds`,
        label: `${count} ScaledObjects: CPU used until all Ready`,
        unit: "s",
        keda: k?.readyCpuSeconds ?? null,
        kedaRaised: r?.readyCpuSeconds ?? null,
        tidal: t?.readyCpuSeconds ?? null,
      },
      {
        id: `n${count}.settled.rssMiB`,
        label: `${count} ScaledObjects settled: RSS`,
        unit: "MiB",
        keda: k?.settled?.rssMiB ?? null,
        kedaRaised: r?.settled?.rssMiB ?? null,
        tidal: t?.settled?.rssMiB ?? null,
      },
      {
        id: `n${count}.perObjectKiB`,
        label: `${count} ScaledObjects settled: RSS above idle per object`,
        unit: "KiB",
        keda: perObject(keda, k),
        kedaRaised: perObject(kedaRaised, r),
        tidal: perObject(tidal, t),
        ...(count === largest ? { target: { comparison: "at most" as const, value: 0.3 } } : {}),
      },
      {
        id: `n${count}.settled.cpuPercent`,
        label: `${count} ScaledObjects settled: CPU`,
        unit: "%",
        keda: k?.settled?.cpuPercent ?? null,
        kedaRaised: r?.settled?.cpuPercent ?? null,
        tidal: t?.settled?.cpuPercent ?? null,
        ...(count === largest ? { target: { comparison: "at most" as const, value: 0.7 } } : {}),
      },
      {
        id: `n${count}.readyRequestsPerObject`,
        label: `${count} ScaledObjects: API requests per object until all Ready (all clients, less the bench's)`,
        unit: "requests",
        keda: k?.readyRequestsPerObject ?? null,
        kedaRaised: r?.readyRequestsPerObject ?? null,
        tidal: t?.readyRequestsPerObject ?? null,
      },
      {
        id: `n${count}.settledRequestsPerObjectMinute`,
        label: `${count} ScaledObjects settled: API requests per object per minute (all clients, less the bench's)`,
        unit: "requests/min",
        keda: k?.settledRequestsPerObjectMinute ?? null,
        kedaRaised: r?.settledRequestsPerObjectMinute ?? null,
        tidal: t?.settledRequestsPerObjectMinute ?? null,
      },
      {
        id: `n${count}.deleteSeconds`,
        label: `${count} ScaledObjects: delete until gone`,
        unit: "s",
        keda: k?.deleteSeconds ?? null,
        kedaRaised: r?.deleteSeconds ?? null,
        tidal: t?.deleteSeconds ?? null,
      },
    );
  }
  const reactionMean = (result: SubjectResult, key: "toOneSeconds" | "toNSeconds") => {
    const values = result.reaction?.[key] ?? [];
    return values.length ? mean(values) : null;
  };
  list.push(
    {
      id: "reaction.toOne",
      label: "reaction 0 → ≥1 replica after the value flips (polling 1 s), mean",
      unit: "s",
      keda: reactionMean(keda, "toOneSeconds"),
      tidal: reactionMean(tidal, "toOneSeconds"),
      target: { comparison: "at most", value: 1 },
    },
    {
      id: "reaction.toN",
      label: `reaction 0 → ${tidal.reaction?.n ?? keda.reaction?.n ?? 4} replicas (through the HPA), mean`,
      unit: "s",
      keda: reactionMean(keda, "toNSeconds"),
      tidal: reactionMean(tidal, "toNSeconds"),
    },
  );
  for (const rate of [
    ...new Set([...(keda.metricsApi ?? []), ...(tidal.metricsApi ?? [])].map((entry) => entry.rate)),
  ]) {
    const of = (result: SubjectResult) => result.metricsApi?.find((entry) => entry.rate === rate);
    list.push(
      {
        id: `metricsApi.r${rate}.p50`,
        label: `external metrics API via the kube-apiserver at ${rate} req/s: p50`,
        unit: "ms",
        keda: of(keda)?.p50Ms ?? null,
        tidal: of(tidal)?.p50Ms ?? null,
      },
      {
        id: `metricsApi.r${rate}.p99`,
        label: `external metrics API via the kube-apiserver at ${rate} req/s: p99`,
        unit: "ms",
        keda: of(keda)?.p99Ms ?? null,
        tidal: of(tidal)?.p99Ms ?? null,
        target: { comparison: "at most", value: 1 },
      },
    );
  }
  return list;
}

export async function kedaSection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const { root, quick } = options;
  const keda = versionsEnv(root);
  const plane = await controlPlane(root);
  const api = new KubeApi(readKubeconfig(plane.kubeconfig));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(plane.kubeconfig);
  const work = mkdtempSync(join(tmpdir(), "tidal-bench-keda-"));
  const certDir = join(work, "certs");
  const logDir = join(work, "logs");
  mkdirSync(logDir);
  const kubectl = (args: string[]) => execText(plane.kubectl, ["--kubeconfig", plane.kubeconfig, ...args]);
  const applyCrds = (path: string) => kubectl(["apply", "--server-side", "--force-conflicts", "-f", path]);
  const results: SubjectResult[] = [];
  let timeline: TimelineFixture | undefined;
  try {
    const subjects = new Set((process.env.TIDAL_BENCH_KEDA_SUBJECTS ?? "keda,kedaRaised,tidal").split(","));
    const needKeda = subjects.has("keda") || subjects.has("kedaRaised");
    const kedaBin = needKeda ? await kedaBinaries(root) : "";
    const crds = needKeda ? await kedaCrdDirectory(root, keda.version) : "";
    const parts = kedaParts(process.env.TIDAL_BENCH_KEDA_PARTS);
    if (parts.has("timeline")) timeline = await openTimelineFixture(root);
    await throwAwayCerts(certDir);
    await removeStaleApiService(api);
    await ensureNamespace(api, KEDA_NAMESPACE);
    const context: RunContext = {
      root,
      quick,
      api,
      kubeConfig,
      plane,
      certDir,
      logDir,
      kedaBin,
      keda,
      sizes: kedaSizes(quick, process.env.TIDAL_BENCH_KEDA_SIZES),
      parts,
      ...(timeline ? { timeline } : {}),
    };
    log(`KEDA ${keda.version} from ${kedaBin || "(not run)"}; logs in ${logDir}`);
    // A configuration not run this time: its results from an earlier run's latest.json, if named.
    const reused = reusedResults(process.env.TIDAL_BENCH_KEDA_REUSE);
    const skipped = (id: string): SubjectResult =>
      reused.get(id) ?? {
        id,
        label: "(not run)",
        startSeconds: null,
        startCpuSeconds: null,
        metricsApiAvailableSeconds: null,
        idle: null,
        idleByProcess: {},
        sizes: [],
      };
    if (needKeda) await applyCrds(crds);
    results.push(
      subjects.has("keda")
        ? await runSubject(context, () => startKeda(context, "keda", false), "keda", true)
        : skipped("keda"),
    );
    results.push(
      subjects.has("kedaRaised")
        ? await runSubject(context, () => startKeda(context, "kedaRaised", true), "kedaRaised", false)
        : skipped("kedaRaised"),
    );
    await applyCrds(join(root, "deploy/crds"));
    results.push(
      subjects.has("tidal")
        ? await runSubject(context, () => startTidal(context), "tidal", true)
        : skipped("tidal"),
    );
  } finally {
    await timeline?.close().catch((error: unknown) => log(`timeline: ${String(error)}`));
    await applyCrds(join(root, "deploy/crds")).catch((error: unknown) => log(String(error)));
    await api.remove(`/api/v1/namespaces/${KEDA_NAMESPACE}`).catch(() => undefined);
    api.close();
    if (plane.startedHere)
      await execText(join(root, "scripts/kube.sh"), ["down"]).catch((error: unknown) => log(String(error)));
  }
  const [kedaResult, raisedResult, tidalResult] = results as [SubjectResult, SubjectResult, SubjectResult];
  const list = comparisons(kedaResult, raisedResult, tidalResult);
  const timelines = compareFamilies(
    TIMELINE_FAMILIES.map((family) => ({
      family,
      keda: kedaResult.timeline?.timelines[family] ?? null,
      tidal: tidalResult.timeline?.timelines[family] ?? null,
    })),
  );
  const ranTimeline = results.some((result) => result.timeline || result.timelineError);
  const errors = results.flatMap((result) => [
    ...(result.error ? [`${result.id}: ${result.error}`] : []),
    ...(result.timelineError ? [`${result.id}: timeline: ${result.timelineError}`] : []),
  ]);
  return {
    id: "keda",
    title: "10. Side by side with KEDA",
    figures: [...comparisonFigures(list), ...(ranTimeline ? timelineFigures(timelines) : [])],
    tables: [...comparisonTable(list), ...(ranTimeline ? timelineTable(timelines) : [])],
    details: {
      comparisons: list,
      ...(ranTimeline ? { timelines } : {}),
      keda: { ...keda, module: "github.com/kedacore/keda/v2" },
      raisedLimits: { qps: RAISED_QPS, burst: RAISED_BURST },
      results,
    },
    notes: [
      `KEDA ${keda.version} (commit ${keda.commit.slice(0, 12)}), operator and metrics adapter as processes of this machine; Tidal's operator with --local; one at a time, the same objects, on the local control plane (HPA sync ${process.env.TIDAL_KUBE_HPA_SYNC_PERIOD ?? "2s"}).`,
      "Objects: Deployments at 0 replicas with a ScaledObject each, one cron trigger inactive all run (polling 30 s); reaction: one metrics-api trigger polled every second.",
      ...(ranTimeline
        ? [
            "Same timeline: one ScaledObject per family (polling 5 s, cooldown 10 s), the same YAML and script under KEDA at its defaults and Tidal; a mismatch is a change on one side only, to other replicas, or more than one poll apart.",
          ]
        : []),
      "Targets are on Tidal ÷ KEDA at KEDA's defaults (the issue's: start and idle RSS at most 1×, time to Ready at most 0.1×, memory per object at most 0.3×, settled CPU at most 0.7×, metrics API p99 at most 1×).",
      ...results
        .filter((result) => result.reusedFrom)
        .map((result) => `${result.label}: figures reused from the run of ${result.reusedFrom}.`),
      ...(errors.length ? [`Errors: ${errors.join("; ")}`] : []),
    ],
    ...(errors.length ? { error: errors.join("; ") } : {}),
  };
}
