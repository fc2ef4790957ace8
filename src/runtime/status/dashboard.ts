import { renderTrace } from "../../engine/trace.ts";
import type { ObjectRef, RuntimeEvent } from "../events.ts";
import type { ForecastSeries, ObjectHistory } from "../history.ts";
import type { DashboardObject, DashboardSource, ProcessPoolView } from "./source.ts";

/** One line of the overview. */
export interface OverviewRow {
  /** KIND/NAMESPACE/NAME of the loop's object: the object view's address. */
  key: string;
  kind: DashboardObject["shownKind"];
  namespace: string;
  name: string;
  target: { kind: string; name: string };
  replicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  ready: boolean;
  active: boolean;
  fallback: boolean;
  paused: boolean;
  lastError: string | null;
  lastEvaluationTime: string | null;
  triggers: {
    name: string;
    metricName: string;
    value: number | null;
    target: number;
    error: string | null;
  }[];
  /** Replicas over the kept history, oldest first. */
  sparkline: number[];
}

export interface Overview {
  title: string;
  now: string;
  objects: OverviewRow[];
  pools: ProcessPoolView[];
  /** The latest events of every object, oldest first. */
  events: RuntimeEvent[];
}

/** Everything the object view shows. */
export interface ObjectDetail {
  row: OverviewRow;
  history: ObjectHistory | null;
  forecast: readonly ForecastSeries[];
  /** Tidal's events for the object, and for a ProcessPool target the pool's. */
  events: RuntimeEvent[];
  /** Events the cluster holds about the target and its HPA (operator). */
  clusterEvents: RuntimeEvent[];
  /** The last decision in words, as `tidal explain` prints it. */
  explain: string | null;
  pool: ProcessPoolView | null;
}

export const keyOf = (ref: ObjectRef) => `${ref.kind}/${ref.namespace}/${ref.name}`;

export function overviewRow(object: DashboardObject, source: DashboardSource): OverviewRow {
  const snapshot = object.snapshot();
  const failing = snapshot.triggers.find((trigger) => trigger.error !== null);
  const notReady = snapshot.conditions.find(
    (condition) => condition.type === "Ready" && condition.status === "False",
  );
  const lastError = failing
    ? `${failing.name || failing.metricName}: ${failing.error}`
    : notReady
      ? (notReady.message ?? notReady.reason ?? "not ready")
      : null;
  return {
    key: keyOf(object.ref),
    kind: object.shownKind,
    namespace: snapshot.namespace,
    name: snapshot.name,
    target: snapshot.target,
    replicas: snapshot.replicas,
    desiredReplicas: snapshot.desiredReplicas,
    minReplicas: snapshot.minReplicas,
    maxReplicas: snapshot.maxReplicas,
    ready: snapshot.ready,
    active: snapshot.active,
    fallback: snapshot.fallback,
    paused: snapshot.paused,
    lastError,
    lastEvaluationTime: snapshot.lastEvaluationTime,
    triggers: snapshot.triggers.map((trigger) => ({
      name: trigger.name,
      metricName: trigger.metricName,
      value: trigger.value,
      target: trigger.target,
      error: trigger.error,
    })),
    sparkline: source.history.sparkline(object.ref),
  };
}

/** The ProcessPool an object scales, in `tidal run`. */
export function poolOf(object: DashboardObject, source: DashboardSource): ProcessPoolView | null {
  const target = object.snapshot().target;
  if (target.kind !== "ProcessPool") return null;
  return (
    source
      .processPools?.()
      .find((pool) => pool.name === target.name && pool.namespace === object.ref.namespace) ?? null
  );
}

export function explainText(object: DashboardObject): string | null {
  const trace = object.trace();
  return trace === undefined ? null : renderTrace(trace);
}

/** The object's events and its pool's, oldest first. */
export function objectEvents(object: DashboardObject, source: DashboardSource): RuntimeEvent[] {
  const own = source.eventsOf(object.ref);
  const target = object.snapshot().target;
  const pool =
    target.kind === "ProcessPool"
      ? source.eventsOf({ kind: "ProcessPool", namespace: object.ref.namespace, name: target.name })
      : [];
  return [...own, ...pool].sort((a, b) => a.at.localeCompare(b.at));
}

export async function objectDetail(object: DashboardObject, source: DashboardSource): Promise<ObjectDetail> {
  return {
    row: overviewRow(object, source),
    history: source.history.get(object.ref) ?? null,
    forecast: source.forecast?.(object.ref) ?? [],
    events: objectEvents(object, source),
    clusterEvents: (await source.clusterEvents?.(object).catch(() => [])) ?? [],
    explain: explainText(object),
    pool: poolOf(object, source),
  };
}

/** Finds an object by KIND/NAMESPACE/NAME. */
export function findObject(source: DashboardSource, key: string): DashboardObject | undefined {
  return source.objects().find((object) => keyOf(object.ref) === key);
}
