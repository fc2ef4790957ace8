import type { DecisionTrace } from "../../engine/types.ts";
import type { ObjectRef, RuntimeEvent } from "../events.ts";
import type { ForecastProvider, ScalingHistory } from "../history.ts";
import type { ObjectSnapshot } from "../snapshot.ts";

/** What the status API reads from a running runtime (`tidal run` or `tidal operator`). */
export interface StatusSource {
  scaledObjects(): ObjectSnapshot[];
  scaledJobs(): ObjectSnapshot[];
  /** The last decision trace of a ScaledObject (namespace optional when the name is unique). */
  trace(name: string, namespace?: string): DecisionTrace | undefined | "ambiguous";
  events(kind: string, name: string, namespace?: string): RuntimeEvent[];
  /** ProcessPools and their workers (state, restarts, last exit); none in the operator. */
  processPools(): unknown[];
  /** A pool's output; "ambiguous" when the name is in several namespaces and none was given. */
  poolLogs?(name: string, namespace?: string): PoolLogSource | undefined | "ambiguous";
}

/** One line a worker wrote. */
export interface WorkerLogLine {
  at: string;
  worker: number;
  stream: "stdout" | "stderr";
  line: string;
}

/** A ProcessPool's output, as the status API serves it. */
export interface PoolLogSource {
  recent(tail?: number): WorkerLogLine[];
  follow(listener: (line: WorkerLogLine) => void): () => void;
}

/** `worker-0 | text` (`worker-0 stderr | text` for stderr), as `tidal logs` prints it. */
export function formatLogLine(line: WorkerLogLine, timestamps = false): string {
  const stream = line.stream === "stderr" ? " stderr" : "";
  return `${timestamps ? `${line.at} ` : ""}worker-${line.worker}${stream} | ${line.line}\n`;
}

/** One scaled object as the dashboard lists it. */
export interface DashboardObject {
  /** The loop's object: its history, events and trace are kept under this reference. */
  ref: ObjectRef & { kind: "ScaledObject" | "ScaledJob" };
  /** The kind the user wrote: an HTTPScaledObject runs as a ScaledObject of the same name. */
  shownKind: "ScaledObject" | "ScaledJob" | "HTTPScaledObject";
  snapshot(): ObjectSnapshot;
  trace(): DecisionTrace | undefined;
  /** Cluster objects whose events belong in its view (its target and HPA), in the operator. */
  related?: { kind: string; name: string }[];
}

/** A worker of a ProcessPool, as the dashboard shows it. */
export interface PoolWorkerView {
  index: number;
  pid?: number | undefined;
  state: string;
  restarts: number;
  lastExit?: { code: number | null; signal?: string | null } | undefined;
  /** When a worker in back-off starts again. */
  nextStartAt?: Date | string | undefined;
}

export interface ProcessPoolView {
  namespace: string;
  name: string;
  /** `Deployment` or `StatefulSet` when the pool runs a workload of the files (tidal run). */
  workload?: string;
  replicas: number;
  workers: PoolWorkerView[];
  events: RuntimeEvent[];
  /** The last lines the pool's workers wrote to stderr, oldest first. */
  stderr: { at: string; worker: number; line: string }[];
}

/** What the dashboard reads from a running runtime, besides the status API. */
export interface DashboardSource {
  /** The command serving the page ("tidal run", "tidal operator"), shown in its header. */
  readonly title: string;
  readonly history: ScalingHistory;
  objects(): DashboardObject[];
  /** The events kept in memory for an object (its ProcessPool's too, for a pool). */
  eventsOf(object: ObjectRef): RuntimeEvent[];
  /** The latest events of all objects, oldest first. */
  recentEvents(): RuntimeEvent[];
  /** Every event as it is recorded. */
  onEvent(listener: (event: RuntimeEvent) => void): void;
  /** `tidal run`'s ProcessPools. */
  processPools?(): ProcessPoolView[];
  /** Events the cluster holds about the object's target and HPA (the operator). */
  clusterEvents?(object: DashboardObject): Promise<RuntimeEvent[]>;
  /** Forecasts from a predictive scaler, when one runs. */
  forecast?: ForecastProvider;
}
