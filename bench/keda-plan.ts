/**
 * The pure parts of the side-by-side bench (bench/keda.ts): the command lines and environment of
 * KEDA's operator and metrics adapter run outside the cluster, Tidal's operator's, the objects
 * both get, and the figures (each operator's value and the ratio Tidal ÷ KEDA) built from what was
 * measured. No process, file or network here.
 */
import { figure, type Figure, type Target } from "./lib/report.ts";

/** Namespace of KEDA's cluster-scoped objects' secrets and of the Service behind its APIService. */
export const KEDA_NAMESPACE = "keda";

export interface KedaPorts {
  /** Operator: Prometheus /metrics (KEDA's default :8080). */
  operatorMetrics: number;
  /** Operator: health probes (default :8081). */
  operatorProbe: number;
  /** Operator: the gRPC metrics service the adapter calls (default :9666). */
  grpc: number;
  /** Adapter: HTTPS external metrics API (the APIService points here). */
  adapterSecure: number;
  /** Adapter: its own /metrics (default :8080). */
  adapterMetrics: number;
}

export interface KedaLaunch {
  kubeconfig: string;
  /** Holds ca.crt, tls.crt, tls.key: the operator ↔ adapter gRPC link's mutual TLS and the adapter's serving pair. */
  certDir: string;
  ports: KedaPorts;
  /** Client rate limit towards the API server; KEDA's defaults (20, 30) when absent. */
  kubeApiQps?: number;
  kubeApiBurst?: number;
}

const LOOPBACK = "127.0.0.1";

function rateLimit(launch: KedaLaunch): string[] {
  return [
    ...(launch.kubeApiQps === undefined ? [] : [`--kube-api-qps=${launch.kubeApiQps}`]),
    ...(launch.kubeApiBurst === undefined ? [] : [`--kube-api-burst=${launch.kubeApiBurst}`]),
  ];
}

/** keda-operator's flags: every listener on loopback off KEDA's in-cluster ports, JSON logs. */
export function kedaOperatorArgs(launch: KedaLaunch): string[] {
  return [
    `--kubeconfig=${launch.kubeconfig}`,
    `--metrics-bind-address=${LOOPBACK}:${launch.ports.operatorMetrics}`,
    `--health-probe-bind-address=${LOOPBACK}:${launch.ports.operatorProbe}`,
    `--metrics-service-bind-address=${LOOPBACK}:${launch.ports.grpc}`,
    `--cert-dir=${launch.certDir}`,
    "--enable-cert-rotation=false",
    "--zap-encoder=json",
    "--zap-time-encoding=rfc3339nano",
    ...rateLimit(launch),
  ];
}

/**
 * keda-adapter's flags: the same kubeconfig for its own client, the lister and the delegated
 * authentication and authorization (outside a pod there is no in-cluster config), the operator's
 * gRPC address on loopback, serving on loopback with the throw-away pair.
 */
export function kedaAdapterArgs(launch: KedaLaunch): string[] {
  return [
    `--kubeconfig=${launch.kubeconfig}`,
    `--lister-kubeconfig=${launch.kubeconfig}`,
    `--authentication-kubeconfig=${launch.kubeconfig}`,
    `--authorization-kubeconfig=${launch.kubeconfig}`,
    `--secure-port=${launch.ports.adapterSecure}`,
    `--bind-address=${LOOPBACK}`,
    `--cert-dir=${launch.certDir}`,
    `--tls-cert-file=${launch.certDir}/tls.crt`,
    `--tls-private-key-file=${launch.certDir}/tls.key`,
    `--metrics-service-address=${LOOPBACK}:${launch.ports.grpc}`,
    `--port=${launch.ports.adapterMetrics}`,
    "--zap-encoder=json",
    "--zap-time-encoding=rfc3339nano",
    ...rateLimit(launch),
  ];
}

/** The environment both of KEDA's processes need outside a pod (and Tidal's gets the same). */
export function operatorEnvironment(): Record<string, string> {
  return {
    // Empty: all namespaces. KEDA refuses to start without the variable.
    WATCH_NAMESPACE: "",
    KEDA_CLUSTER_OBJECT_NAMESPACE: KEDA_NAMESPACE,
    POD_NAMESPACE: KEDA_NAMESPACE,
  };
}

/** `tidal operator` as the bench runs it: --local (its own APIService), listeners on loopback. */
export function tidalOperatorArgs(kubeconfig: string, metricsServerPort: number): string[] {
  return [
    "bin/tidal.js",
    "operator",
    "--kubeconfig",
    kubeconfig,
    "--local",
    "--metrics-server-port",
    String(metricsServerPort),
    "--metrics-bind-address",
    `${LOOPBACK}:0`,
    "--http-scaler-port",
    "0",
    "--dashboard-bind-address",
    "0",
    "--log-format",
    "json",
  ];
}

/** The numbers of ScaledObjects measured: 100 quick, 100 and 1,000 otherwise, or TIDAL_BENCH_KEDA_SIZES. */
export function kedaSizes(quick: boolean, setting: string | undefined): number[] {
  if (setting) {
    const sizes = setting.split(",").map(Number);
    if (sizes.some((size) => !Number.isInteger(size) || size < 1))
      throw new Error(`TIDAL_BENCH_KEDA_SIZES must be positive whole numbers, got ${setting}`);
    return sizes;
  }
  return quick ? [100] : [100, 1000];
}

// ---- the objects ------------------------------------------------------------------------------

export function deployment(name: string, replicas = 0): Record<string, unknown> {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: { app: name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image: "example.invalid/worker" }] },
      },
    },
  };
}

function scaledObject(name: string, spec: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name },
    spec: { scaleTargetRef: { name }, ...spec },
  };
}

/**
 * A ScaledObject with one cron trigger that is active only in the first five minutes of the year:
 * inactive for the whole run, so the Deployment stays at 0 and only the operators' own work
 * (watching, polling every 30 s, keeping status) is measured.
 */
export function cronScaledObject(name: string): Record<string, unknown> {
  return scaledObject(name, {
    minReplicaCount: 0,
    maxReplicaCount: 2,
    triggers: [
      {
        type: "cron",
        metadata: { timezone: "Etc/UTC", start: "0 0 1 1 *", end: "5 0 1 1 *", desiredReplicas: "1" },
      },
    ],
  });
}

/** A metrics-api ScaledObject polled every second, for the reaction and the metrics API. */
export function metricsApiScaledObject(
  name: string,
  url: string,
  targetValue: number,
): Record<string, unknown> {
  return scaledObject(name, {
    pollingInterval: 1,
    cooldownPeriod: 1,
    minReplicaCount: 0,
    maxReplicaCount: 10,
    triggers: [
      {
        type: "metrics-api",
        metadata: { url, valueLocation: "value", targetValue: String(targetValue), format: "json" },
      },
    ],
  });
}

interface Condition {
  type?: string;
  status?: string;
}
interface ObjectWithStatus {
  status?: { conditions?: Condition[] };
}

/** How many objects of a list carry the condition Ready=True. */
export function countReady(items: readonly ObjectWithStatus[]): number {
  return items.filter((item) =>
    item.status?.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True"),
  ).length;
}

// ---- figures ------------------------------------------------------------------------------------

/** One measurement, as each configuration produced it (null: not measured or failed). */
export interface Comparison {
  id: string;
  label: string;
  unit: string;
  keda: number | null;
  /** KEDA with the raised client rate limit, where it matters. */
  kedaRaised?: number | null;
  tidal: number | null;
  /**
   * The issue's target for Tidal ÷ KEDA (e.g. at most 1, 0.7, 0.1); absent: shown without one.
   * Compared with KEDA at its defaults.
   */
  target?: Target;
}

/** Tidal ÷ KEDA, or null when either is missing or KEDA's is 0. */
export function ratio(tidal: number | null | undefined, keda: number | null | undefined): number | null {
  if (tidal === null || tidal === undefined || keda === null || keda === undefined) return null;
  if (!Number.isFinite(tidal) || !Number.isFinite(keda) || keda === 0) return null;
  return tidal / keda;
}

/**
 * The section's figures: per comparison the ratio Tidal ÷ KEDA at KEDA's defaults, with the target
 * where one is set, and Tidal ÷ KEDA with raised API limits where that was measured. The values
 * themselves are in the side-by-side table and the details.
 */
export function comparisonFigures(comparisons: readonly Comparison[]): Figure[] {
  const figures: Figure[] = [];
  for (const item of comparisons) {
    figures.push(
      figure(
        `ratio.${item.id}`,
        `Tidal ÷ KEDA: ${item.label}`,
        ratio(item.tidal, item.keda),
        "×",
        item.target,
      ),
    );
    if (item.kedaRaised !== undefined)
      figures.push(
        figure(
          `ratioRaised.${item.id}`,
          `Tidal ÷ KEDA with raised API limits: ${item.label}`,
          ratio(item.tidal, item.kedaRaised),
          "×",
        ),
      );
  }
  return figures;
}

function cell(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const rounded = Math.abs(value) >= 100 ? Math.round(value) : Number(value.toPrecision(3));
  return unit === "×" ? `${rounded}×` : `${rounded} ${unit}`;
}

/** The side-by-side table (Markdown), one row per comparison. */
export function comparisonTable(comparisons: readonly Comparison[]): string[] {
  const raised = comparisons.some((item) => item.kedaRaised !== undefined);
  const lines = [
    `| Figure | KEDA${raised ? " | KEDA, raised limits" : ""} | Tidal | Tidal ÷ KEDA |`,
    `|---|---:${raised ? "|---:" : ""}|---:|---:|`,
  ];
  for (const item of comparisons) {
    const ratios = [cell(ratio(item.tidal, item.keda), "×")];
    if (item.kedaRaised !== undefined && item.kedaRaised !== null)
      ratios.push(`${cell(ratio(item.tidal, item.kedaRaised), "×")} (raised)`);
    lines.push(
      `| ${item.label} | ${cell(item.keda, item.unit)}${
        raised ? ` | ${item.kedaRaised === undefined ? "" : cell(item.kedaRaised, item.unit)}` : ""
      } | ${cell(item.tidal, item.unit)} | ${ratios.join(", ")} |`,
    );
  }
  return lines;
}

// ---- process usage over a window ----------------------------------------------------------------

export interface UsageReading {
  /** performance.now() of the reading. */
  at: number;
  cpuSeconds: number;
  rssBytes: number;
}

export interface Usage {
  /** CPU over the window, percent of one core. */
  cpuPercent: number;
  /** Mean and largest resident memory of the readings in the window, MiB. */
  rssMiB: number;
  rssMaxMiB: number;
}

const MIB = 2 ** 20;

/** One process's usage between `from` and `to` (readings inside the window; at least two). */
export function windowUsage(readings: readonly UsageReading[], from: number, to: number): Usage | null {
  const inside = readings.filter((reading) => reading.at >= from && reading.at <= to);
  if (inside.length < 2) return null;
  const first = inside[0] as UsageReading;
  const last = inside[inside.length - 1] as UsageReading;
  const seconds = (last.at - first.at) / 1000;
  if (seconds <= 0) return null;
  const rss = inside.map((reading) => reading.rssBytes / MIB);
  return {
    cpuPercent: ((last.cpuSeconds - first.cpuSeconds) / seconds) * 100,
    rssMiB: rss.reduce((sum, value) => sum + value, 0) / rss.length,
    rssMaxMiB: Math.max(...rss),
  };
}

/** The usage of several processes together (KEDA's operator and adapter): sums; null if any is. */
export function sumUsage(usages: readonly (Usage | null)[]): Usage | null {
  if (usages.length === 0 || usages.some((usage) => usage === null)) return null;
  return (usages as Usage[]).reduce((sum, usage) => ({
    cpuPercent: sum.cpuPercent + usage.cpuPercent,
    rssMiB: sum.rssMiB + usage.rssMiB,
    rssMaxMiB: sum.rssMaxMiB + usage.rssMaxMiB,
  }));
}

/** Every request the API server has answered: the sum of its apiserver_request_total series. */
export function apiserverRequestTotal(metricsText: string): number {
  let total = 0;
  for (const line of metricsText.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

/**
 * Requests per object per minute over a window, from two readings of the API server's count,
 * less those the bench sent itself in between.
 */
export function requestsPerObjectMinute(
  reading: { before: number; after: number; ownRequests: number },
  objects: number,
  windowMs: number,
): number {
  return (reading.after - reading.before - reading.ownRequests) / objects / (windowMs / 60_000);
}

/** The measurements after start and idle: sizes, reaction (with the metrics API) and timeline. */
export const KEDA_PARTS = ["sizes", "reaction", "timeline"] as const;
export type KedaPart = (typeof KEDA_PARTS)[number];

/** The parts run: all, or those TIDAL_BENCH_KEDA_PARTS names (comma-separated; empty: none). */
export function kedaParts(setting: string | undefined): Set<KedaPart> {
  if (setting === undefined) return new Set(KEDA_PARTS);
  const names = setting
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(KEDA_PARTS as readonly string[]).includes(name));
  if (unknown.length)
    throw new Error(`TIDAL_BENCH_KEDA_PARTS: unknown ${unknown.join(", ")}; known: ${KEDA_PARTS.join(", ")}`);
  return new Set(names as KedaPart[]);
}
