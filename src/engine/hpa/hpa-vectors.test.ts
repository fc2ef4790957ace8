/**
 * The Kubernetes HPA controller's own test tables, run through Tidal's HPA engine.
 *
 * The rows in vectors/ are the values of kubernetes/kubernetes pkg/controller/podautoscaler
 * replica_calculator_test.go and horizontal_test.go (module k8s.io/kubernetes, version and file
 * hashes in each file's `source`); vectors/README.md says how they map onto the engine and how to
 * refresh them. Rows the engine cannot express carry `applicable: false` and a reason.
 *
 * The fixtures describe pods; the engine takes counts and one value per metric. groupPods below turns
 * a fixture into what the HPA itself derives before its replica math (ready, unready, missing and
 * ignored pods, the utilization of the ready ones), and each row checks that derivation against the
 * utilization or usage the source expects before comparing replica counts.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { HpaBehavior, ScalingRules } from "../../api/schema/hpa-behavior.ts";
import { parseQuantity } from "../../util/quantity.ts";
import type { DecisionStep, HpaMetricReading, HpaModel, HpaState, ScaleEvent } from "../types.ts";
import { type Tolerances, resolveBehavior } from "./behavior.ts";
import { normalizeWithBehavior } from "./normalize-behavior.ts";
import { normalizeWithoutBehavior } from "./normalize-legacy.ts";
import { proposeReplicas } from "./proposal.ts";
import { recordScaleEvent, replicaChangeInPeriod } from "./scale-events.ts";
import { hpaSync } from "./sync.ts";

const NOW = Date.UTC(2026, 0, 1);
const ago = (seconds: number) => NOW - seconds * 1000;
const DEFAULT_TOLERANCES: Tolerances = { scaleUp: 0.1, scaleDown: 0.1 };
const MAX_INT64 = 2n ** 63n - 1n;
/** Stands for the empty, non-nil recommendation list a source test injects: one entry no window reaches. */
const EXPIRED = { at: NOW - 365 * 24 * 3600 * 1000, replicas: 0 };

function load<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./vectors/${name}`, import.meta.url), "utf8")) as T;
}

interface Row {
  test: string;
  applicable: boolean;
  reason?: string;
}

const milli = (value: number | string) => BigInt(value);
/** A milli-unit integer as the float the engine reads (units). */
const units = (value: bigint) => Number(value) / 1000;
const quantityMilli = (quantity: string) =>
  BigInt(Math.round((parseQuantity(quantity) ?? Number.NaN) * 1000));

// ---------------------------------------------------------------------------------------------------
// Pods, as the HPA groups them (groupPods, calculateRequests, GetResourceUtilizationRatio,
// GetMetricUsageRatio in replica_calculator.go and metrics/utilization.go).

interface FixturePod {
  name: string;
  ready: boolean;
  phase: string;
  deleting: boolean;
  /** Started now, so still in the cpu initialization period with a sample older than its readiness. */
  hot: boolean;
  /** Request of the pod (or of the selected container), milli; undefined when unset. */
  request: bigint | undefined;
}

interface Grouping {
  ready: number;
  unready: number;
  missing: number;
  /** Samples of the ready pods, milli. */
  samples: bigint[];
  requests: (bigint | undefined)[];
}

function groupPods(pods: FixturePod[], samples: Map<string, bigint>, cpu: boolean): Grouping {
  const grouping: Grouping = { ready: 0, unready: 0, missing: 0, samples: [], requests: [] };
  for (const pod of pods) {
    if (pod.deleting || pod.phase === "Failed") continue;
    if (pod.phase === "Pending") {
      grouping.unready++;
      continue;
    }
    const sample = samples.get(pod.name);
    if (sample === undefined) {
      grouping.missing++;
      continue;
    }
    if (cpu && (!pod.ready || pod.hot)) {
      grouping.unready++;
      continue;
    }
    grouping.ready++;
    grouping.samples.push(sample);
    grouping.requests.push(pod.request);
  }
  return grouping;
}

/** Percent of the requests, truncated like the controller's int32 division. */
function utilizationOf(grouping: Grouping): number | string {
  if (grouping.samples.length === 0) return "no samples for the ready pods";
  if (grouping.requests.some((request) => request === undefined)) return "missing request";
  const used = grouping.samples.reduce((sum, sample) => sum + sample, 0n);
  const requested = grouping.requests.reduce<bigint>((sum, request) => sum + (request ?? 0n), 0n);
  return Number((used * 100n) / requested);
}

/** Average of the ready pods' samples, milli, truncated like the controller. */
function usageOf(grouping: Grouping): bigint | string {
  if (grouping.samples.length === 0) return "no samples for the ready pods";
  return grouping.samples.reduce((sum, sample) => sum + sample, 0n) / BigInt(grouping.samples.length);
}

const runningAndReady = (pods: FixturePod[]) =>
  pods.filter((pod) => pod.phase === "Running" && pod.ready).length;

/** The HPA sums an External metric's series and caps the sum at MaxInt64. */
const externalSum = (levels: (number | string)[]) => {
  const sum = levels.reduce<bigint>((total, level) => total + milli(level), 0n);
  return sum > MAX_INT64 ? MAX_INT64 : sum;
};

// ---------------------------------------------------------------------------------------------------
// replica_calculator_test.go

interface ReplicaCalcRow extends Row {
  metric: "resource" | "external" | "externalPerPod" | "pods" | "object" | "objectPerPod";
  currentReplicas: number;
  expectedReplicas: number | null;
  expectedError?: string;
  tolerances?: { scaleDown: number; scaleUp: number };
  container?: string;
  podReadiness?: string[];
  podPhase?: string[];
  podDeletionTimestamp?: boolean[];
  podStartTime?: string[];
  resource?: {
    requests: string[];
    levels: number[][];
    podNames?: string[];
    targetUtilization: number;
    expectedUtilization: number | null;
  };
  levels?: (number | string)[];
  targetUsage?: number | string;
  perPodTargetUsage?: number | string;
  expectedUsage?: number | string;
}

function replicaCalcPods(row: ReplicaCalcRow): FixturePod[] {
  const count = Math.max(row.currentReplicas, row.podPhase?.length ?? 0);
  return Array.from({ length: count }, (_, index) => {
    const request = row.resource?.requests[index];
    const perContainer = request === undefined ? undefined : quantityMilli(request);
    return {
      name: `test-pod-${index}`,
      ready: (row.podReadiness?.[index] ?? "True") === "True",
      phase: row.podPhase?.[index] ?? "Running",
      deleting: row.podDeletionTimestamp?.[index] ?? false,
      hot: row.podStartTime?.[index] === "hot",
      // Both containers request requests[i]; a named container counts alone.
      request: perContainer === undefined ? undefined : row.container ? perContainer : 2n * perContainer,
    };
  });
}

function replicaCalcSamples(row: ReplicaCalcRow): Map<string, bigint> {
  const samples = new Map<string, bigint>();
  if (row.resource) {
    row.resource.levels.forEach((containers, index) => {
      const name = row.resource?.podNames?.[index] ?? `test-pod-${index}`;
      const wanted = row.container
        ? containers[Number(row.container.replace("container", "")) - 1]
        : undefined;
      if (row.container && wanted === undefined) return;
      samples.set(
        name,
        BigInt(row.container ? (wanted ?? 0) : containers.reduce((sum, level) => sum + level, 0)),
      );
    });
  } else {
    (row.levels ?? []).forEach((level, index) => samples.set(`test-pod-${index}`, milli(level)));
  }
  return samples;
}

/** What the engine proposes for one replica-calculator row, after checking the derived inputs. */
function proposeForReplicaCalcRow(row: ReplicaCalcRow) {
  const tolerances = row.tolerances
    ? { scaleUp: row.tolerances.scaleUp, scaleDown: row.tolerances.scaleDown }
    : DEFAULT_TOLERANCES;
  const pods = replicaCalcPods(row);
  const samples = replicaCalcSamples(row);
  const current = row.currentReplicas;
  switch (row.metric) {
    case "resource": {
      const resource = row.resource;
      if (!resource) throw new Error(`${row.test}: no resource`);
      const grouping = groupPods(pods, samples, true);
      const utilization = samples.size === 0 ? "no samples" : utilizationOf(grouping);
      if (typeof utilization === "number") expect(utilization).toBe(resource.expectedUtilization);
      return proposeReplicas(
        { metricName: "cpu", targetType: "Utilization", target: resource.targetUtilization, resource: "cpu" },
        typeof utilization === "number" ? { metricName: "cpu", value: utilization } : undefined,
        {
          specReplicas: current,
          statusReplicas: grouping.ready + grouping.unready,
          readyPods: grouping.ready,
        },
        tolerances,
      );
    }
    case "pods": {
      const grouping = groupPods(pods, samples, false);
      const usage = usageOf(grouping);
      if (typeof usage === "string") throw new Error(`${row.test}: ${usage}`);
      expect(usage).toBe(milli(row.expectedUsage ?? 0));
      return proposeReplicas(
        {
          metricName: "qps",
          targetType: "AverageValue",
          target: units(milli(row.targetUsage ?? 0)),
          resource: "memory",
        },
        { metricName: "qps", value: units(usage) },
        {
          specReplicas: current,
          statusReplicas: grouping.ready + grouping.unready,
          readyPods: grouping.ready,
        },
        tolerances,
      );
    }
    case "external":
    case "externalPerPod": {
      const perPod = row.metric === "externalPerPod";
      const target = units(milli((perPod ? row.perPodTargetUsage : row.targetUsage) ?? 0));
      return proposeReplicas(
        { metricName: "qps", targetType: perPod ? "AverageValue" : "Value", target },
        { metricName: "qps", value: units(externalSum(row.levels ?? [])) },
        { specReplicas: current, statusReplicas: current, readyPods: runningAndReady(pods) },
        tolerances,
      );
    }
    default:
      throw new Error(`${row.test}: ${row.metric} metrics are not modeled`);
  }
}

const replicaCalc = load<{ rows: ReplicaCalcRow[] }>("replica_calculator_test.json");

describe("HPA vectors: replica_calculator_test.go", () => {
  it.each(replicaCalc.rows.filter((row) => row.applicable).map((row) => [row.test, row] as const))(
    "%s",
    (_name, row) => {
      const proposal = proposeForReplicaCalcRow(row);
      if (row.expectedError !== undefined) {
        expect(proposal.replicas).toBeNull();
        expect(proposal.error).toBeDefined();
      } else {
        expect(proposal.error).toBeUndefined();
        expect(proposal.replicas).toBe(row.expectedReplicas);
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// horizontal_test.go

interface MetricSource {
  type: "External" | "Pods" | "Object" | "ContainerResource" | "CheddarCheese";
  value?: number;
  averageValue?: number;
  container?: string;
  averageUtilization?: number;
}

interface ControllerRow extends Row {
  minReplicas: number;
  maxReplicas: number;
  specReplicas: number;
  statusReplicas: number;
  expectedDesiredReplicas: number;
  cpuTarget?: number;
  cpuCurrent?: number;
  metrics?: MetricSource[];
  failingMetrics?: boolean | string[];
  reportedLevels: number[];
  reportedCPURequests?: string[];
  reportedPodReadiness?: string[];
  reportedPodPhase?: string[];
  reportedPodDeletionTimestamp?: boolean[];
  reportedPodStartTime?: string[];
  scaleUpRules?: ScalingRules;
  scaleDownRules?: ScalingRules;
  recommendations?: { replicas: number; ageSeconds: number }[] | null;
  condition?: string;
}

interface Aged {
  ageSeconds: number;
}

type LimitingCondition =
  "DesiredWithinRange" | "TooFewReplicas" | "TooManyReplicas" | "ScaleUpLimit" | "ScaleDownLimit";

/** The ScalingLimited reason that matches the step that bounded the count, if any. */
function limitingCondition(steps: readonly DecisionStep[]): LimitingCondition {
  const reasons: Record<string, LimitingCondition> = {
    min: "TooFewReplicas",
    max: "TooManyReplicas",
    "scale-up-limit": "ScaleUpLimit",
    "scale-down-limit": "ScaleDownLimit",
  };
  const limit = steps.findLast((step) => reasons[step.rule] !== undefined);
  return limit ? (reasons[limit.rule] ?? "DesiredWithinRange") : "DesiredWithinRange";
}

function controllerPods(row: ControllerRow): FixturePod[] {
  const count = row.reportedCPURequests ? row.reportedCPURequests.length : row.statusReplicas;
  return Array.from({ length: count }, (_, index) => {
    const request = row.reportedCPURequests?.[index] ?? "1.0";
    return {
      name: `test-pod-${index}`,
      ready: (row.reportedPodReadiness?.[index] ?? "True") === "True",
      phase: row.reportedPodPhase?.[index] ?? "Running",
      deleting: row.reportedPodDeletionTimestamp?.[index] ?? false,
      hot: row.reportedPodStartTime?.[index] === "hot",
      // Each of the two containers requests half (integer milli division).
      request: quantityMilli(request) / 2n,
    };
  });
}

const failing = (row: ControllerRow, source: string) =>
  row.failingMetrics === true || (Array.isArray(row.failingMetrics) && row.failingMetrics.includes(source));

interface SyncSetup {
  model: HpaModel;
  readings: HpaMetricReading[];
  statusReplicas: number;
  readyPods: number;
}

function controllerSetup(row: ControllerRow): SyncSetup {
  const pods = controllerPods(row);
  const containerPods = pods.map((pod) => ({ ...pod, request: pod.request ?? 0n }));
  const wholePods = pods.map((pod) => ({ ...pod, request: 2n * (pod.request ?? 0n) }));
  const cpuSamples = (wholePod: boolean) =>
    new Map(
      row.reportedLevels.map((level, index) => [
        `test-pod-${index}`,
        (BigInt(level) / 2n) * (wholePod ? 2n : 1n),
      ]),
    );
  const plainSamples = new Map(
    row.reportedLevels.map((level, index) => [`test-pod-${index}`, BigInt(level)]),
  );

  const metrics: HpaModel["metrics"] = [];
  const readings: HpaMetricReading[] = [];
  const groupings: Grouping[] = [];
  const addUtilization = (name: string, target: number, wholePod: boolean, source: string) => {
    metrics.push({ metricName: name, targetType: "Utilization", target, resource: "cpu" });
    const grouping = groupPods(wholePod ? wholePods : containerPods, cpuSamples(wholePod), true);
    groupings.push(grouping);
    const utilization =
      failing(row, source) || row.reportedLevels.length === 0 ? "failed" : utilizationOf(grouping);
    if (typeof utilization === "number" && row.cpuCurrent !== undefined)
      expect(utilization).toBe(row.cpuCurrent);
    readings.push(
      typeof utilization === "number"
        ? { metricName: name, value: utilization }
        : { metricName: name, error: utilization },
    );
  };

  if (row.cpuTarget) addUtilization("cpu", row.cpuTarget, true, "Resource");
  (row.metrics ?? []).forEach((source, index) => {
    const name = `m${index}`;
    if (source.type === "ContainerResource") {
      addUtilization(name, source.averageUtilization ?? 0, false, "Resource");
    } else if (source.type === "Pods") {
      metrics.push({
        metricName: name,
        targetType: "AverageValue",
        target: (source.averageValue ?? 0) / 1000,
        resource: "memory",
      });
      const grouping = groupPods(wholePods, plainSamples, false);
      groupings.push(grouping);
      const usage = failing(row, "Pods") ? "failed" : usageOf(grouping);
      readings.push(
        typeof usage === "string"
          ? { metricName: name, error: usage }
          : { metricName: name, value: units(usage) },
      );
    } else if (source.type === "External") {
      const perPod = source.averageValue !== undefined;
      const target = (perPod ? source.averageValue : source.value) ?? 0;
      metrics.push({
        metricName: name,
        targetType: perPod ? "AverageValue" : "Value",
        target: target / 1000,
      });
      readings.push(
        failing(row, "External")
          ? { metricName: name, error: "failed" }
          : { metricName: name, value: units(externalSum(row.reportedLevels)) },
      );
    } else if (source.type === "Object") {
      throw new Error(`${row.test}: Object metrics are not modeled`);
    } else {
      // An invalid source type fails like an unreadable metric.
      metrics.push({ metricName: name, targetType: "Value", target: 1 });
      readings.push({ metricName: name, error: `invalid metric source type ${source.type}` });
    }
  });
  if (metrics.length === 0) {
    // The fixture defaults a cpu metric without a target, which the controller cannot compute.
    metrics.push({ metricName: "cpu", targetType: "Utilization", target: 80, resource: "cpu" });
    readings.push({
      metricName: "cpu",
      error: "neither an average utilization target nor an average value target",
    });
  }

  const [grouping, ...others] = groupings;
  for (const other of others)
    expect([other.ready, other.unready]).toEqual([grouping?.ready, grouping?.unready]);
  const behavior: HpaBehavior | undefined =
    row.scaleUpRules || row.scaleDownRules
      ? {
          ...(row.scaleUpRules ? { scaleUp: row.scaleUpRules } : {}),
          ...(row.scaleDownRules ? { scaleDown: row.scaleDownRules } : {}),
        }
      : undefined;
  return {
    model: {
      minReplicas: row.minReplicas,
      maxReplicas: row.maxReplicas,
      ...(behavior ? { behavior } : {}),
      metrics,
    },
    readings,
    // Resource and Pods metrics count pods from the pod list; External AverageValue reads scale.status.replicas.
    statusReplicas: grouping ? grouping.ready + grouping.unready : row.statusReplicas,
    readyPods: grouping ? grouping.ready : runningAndReady(pods),
  };
}

function initialRecommendations(row: ControllerRow): HpaState["recommendations"] {
  if (row.recommendations === undefined || row.recommendations === null) return [];
  if (row.recommendations.length === 0) return [EXPIRED];
  return row.recommendations.map((entry) => ({ at: ago(entry.ageSeconds), replicas: entry.replicas }));
}

function syncControllerRow(row: ControllerRow) {
  const setup = controllerSetup(row);
  return hpaSync({
    model: setup.model,
    metrics: setup.readings,
    specReplicas: row.specReplicas,
    statusReplicas: setup.statusReplicas,
    readyPods: setup.readyPods,
    now: NOW,
    state: { recommendations: initialRecommendations(row), scaleUpEvents: [], scaleDownEvents: [] },
    tolerance: 0.1,
    downscaleStabilizationSeconds: 300,
  });
}

const toEvents = (events: ({ replicaChange: number } & Aged)[] | undefined): ScaleEvent[] =>
  (events ?? []).map((event) => ({ at: ago(event.ageSeconds), replicaChange: event.replicaChange }));

interface Horizontal {
  controller: ControllerRow[];
  convertDesiredReplicasWithRules: (Row & {
    currentReplicas: number;
    desiredReplicas: number;
    minReplicas: number;
    maxReplicas: number;
    expectedReplicas: number | { scaleUpLimitOf: number };
    condition: LimitingCondition;
  })[];
  scalingLimits: (Row & {
    direction: "up" | "down";
    currentReplicas: number;
    rules: ScalingRules;
    expectedLimit: number;
  })[];
  normalizeDesiredReplicas: (Row & {
    recommendations: ({ replicas: number } & Aged)[];
    desiredReplicas: number;
    expectedStabilizedReplicas: number;
    expectedLogLength: number;
  })[];
  scalingWithRules: (Row & {
    currentReplicas: number;
    desiredReplicas: number;
    minReplicas: number;
    maxReplicas: number;
    expectedReplicas: number;
    condition: LimitingCondition;
    scaleUpRules?: ScalingRules;
    scaleDownRules?: ScalingRules;
    scaleUpEvents?: ({ replicaChange: number } & Aged)[];
    scaleDownEvents?: ({ replicaChange: number } & Aged)[];
  })[];
  storeScaleEvents: (Row & {
    replicaChange: number;
    prevScaleEvents: ({ replicaChange: number } & Aged)[];
    expectedScaleEvents: { replicaChange: number; outdated: boolean }[];
    expectedReplicasChangeIn60s: number;
    scalingRules?: ScalingRules;
  })[];
  normalizeDesiredReplicasWithBehavior: (Row & {
    recommendations: ({ replicas: number } & Aged)[];
    currentReplicas: number;
    desiredReplicas: number;
    expectedStabilizedReplicas: number;
    expectedRecommendations?: number[];
    scaleUpStabilizationWindowSeconds: number;
    scaleDownStabilizationWindowSeconds: number;
  })[];
  notApplicable: Row[];
}

const horizontal = load<Horizontal>("horizontal_test.json");
const applicable = <T extends Row>(rows: T[]) =>
  rows.filter((row) => row.applicable).map((row) => [row.test, row] as const);

describe("HPA vectors: horizontal_test.go, whole syncs", () => {
  it.each(applicable(horizontal.controller))("%s", (_name, row) => {
    const result = syncControllerRow(row);
    expect(result.desiredReplicas).toBe(row.expectedDesiredReplicas);
    if (row.condition) expect(limitingCondition(result.steps)).toBe(row.condition);
  });
});

describe("HPA vectors: horizontal_test.go, normalization without behavior", () => {
  it.each(applicable(horizontal.convertDesiredReplicasWithRules))("%s", (_name, row) => {
    // With no recommendations the stabilization keeps the proposal; what remains is the conversion.
    const result = normalizeWithoutBehavior({
      current: row.currentReplicas,
      desired: row.desiredReplicas,
      minReplicas: row.minReplicas,
      maxReplicas: row.maxReplicas,
      now: NOW,
      recommendations: [],
      downscaleStabilizationSeconds: 300,
    });
    const expected =
      typeof row.expectedReplicas === "number"
        ? row.expectedReplicas
        : // calculateScaleUpLimit with the controller's scaleUpLimitFactor 2 and scaleUpLimitMinimum 4.
          Math.max(2 * row.expectedReplicas.scaleUpLimitOf, 4);
    expect(result.replicas).toBe(expected);
    expect(limitingCondition(result.steps)).toBe(row.condition);
  });

  it.each(applicable(horizontal.normalizeDesiredReplicas))("%s", (_name, row) => {
    // Bounds that cannot bind (stabilizeRecommendation alone in the source).
    const result = normalizeWithoutBehavior({
      current: 100,
      desired: row.desiredReplicas,
      minReplicas: 0,
      maxReplicas: 1000,
      now: NOW,
      recommendations: row.recommendations.map((entry) => ({
        at: ago(entry.ageSeconds),
        replicas: entry.replicas,
      })),
      downscaleStabilizationSeconds: 300,
    });
    expect(result.replicas).toBe(row.expectedStabilizedReplicas);
    expect(result.recommendations).toHaveLength(row.expectedLogLength);
  });
});

describe("HPA vectors: horizontal_test.go, behavior", () => {
  const limitInput = {
    now: NOW,
    recommendations: [],
    scaleUpEvents: [],
    scaleDownEvents: [],
  };

  it.each(applicable(horizontal.scalingLimits))("%s", (_name, row) => {
    // The limit is what a proposal far beyond it is cut to (it is on the far side of the current count).
    const up = row.direction === "up";
    const result = normalizeWithBehavior({
      ...limitInput,
      current: row.currentReplicas,
      desired: up ? 1_000_000 : 0,
      minReplicas: 0,
      maxReplicas: 2_000_000,
      behavior: resolveBehavior(up ? { scaleUp: row.rules } : { scaleDown: row.rules }, 300),
    });
    expect(result.replicas).toBe(row.expectedLimit);
  });

  it.each(applicable(horizontal.scalingWithRules))("%s", (_name, row) => {
    // convertDesiredReplicasWithBehaviorRate: with no recommendations the stabilization keeps the proposal.
    const behavior: HpaBehavior = {
      ...(row.scaleUpRules ? { scaleUp: row.scaleUpRules } : {}),
      ...(row.scaleDownRules ? { scaleDown: row.scaleDownRules } : {}),
    };
    const result = normalizeWithBehavior({
      ...limitInput,
      current: row.currentReplicas,
      desired: row.desiredReplicas,
      minReplicas: row.minReplicas,
      maxReplicas: row.maxReplicas,
      behavior: resolveBehavior(behavior, 300),
      scaleUpEvents: toEvents(row.scaleUpEvents),
      scaleDownEvents: toEvents(row.scaleDownEvents),
    });
    expect(result.replicas).toBe(row.expectedReplicas);
    expect(limitingCondition(result.steps)).toBe(row.condition);
  });

  it.each(applicable(horizontal.normalizeDesiredReplicasWithBehavior))("%s", (_name, row) => {
    // stabilizeRecommendationWithBehaviors alone in the source: rate policies that cannot bind.
    const rules = (window: number, policy: ScalingRules["policies"]) => ({
      stabilizationWindowSeconds: window,
      selectPolicy: "Max" as const,
      policies: policy ?? [],
    });
    const result = normalizeWithBehavior({
      ...limitInput,
      current: row.currentReplicas,
      desired: row.desiredReplicas,
      minReplicas: 0,
      maxReplicas: 2_000_000_000,
      recommendations: row.recommendations.map((entry) => ({
        at: ago(entry.ageSeconds),
        replicas: entry.replicas,
      })),
      behavior: {
        scaleUp: rules(row.scaleUpStabilizationWindowSeconds, [
          { type: "Pods", value: 1_000_000_000, periodSeconds: 1 },
        ]),
        scaleDown: rules(row.scaleDownStabilizationWindowSeconds, [
          { type: "Percent", value: 100, periodSeconds: 1 },
        ]),
      },
    });
    expect(result.replicas).toBe(row.expectedStabilizedReplicas);
    if (row.expectedRecommendations) {
      expect(result.recommendations.map((entry) => entry.replicas)).toEqual(row.expectedRecommendations);
    }
  });
});

describe("HPA vectors: horizontal_test.go, scale events", () => {
  it.each(applicable(horizontal.storeScaleEvents))("%s", (_name, row) => {
    const previous = toEvents(row.prevScaleEvents);
    expect(replicaChangeInPeriod(previous, 60, NOW)).toBe(row.expectedReplicasChangeIn60s);
    const expectedChanges = row.expectedScaleEvents.map((event) => event.replicaChange);

    if (!row.scalingRules) {
      // Without behavior the controller stores no events: a sync up and a sync down leave them as they are.
      for (const [value, events] of [
        [150, "scaleUpEvents"],
        [50, "scaleDownEvents"],
      ] as const) {
        const result = hpaSync({
          model: {
            minReplicas: 1,
            maxReplicas: 100,
            metrics: [{ metricName: "m", targetType: "AverageValue", target: 10 }],
          },
          metrics: [{ metricName: "m", value }],
          specReplicas: 10,
          statusReplicas: 10,
          readyPods: 10,
          now: NOW,
          state: { recommendations: [EXPIRED], scaleUpEvents: previous, scaleDownEvents: previous },
        });
        expect(result.desiredReplicas).toBe(value / 10);
        expect(result.state[events].map((event) => event.replicaChange)).toEqual(expectedChanges);
      }
      return;
    }

    for (const direction of ["scaleUp", "scaleDown"] as const) {
      const rules = resolveBehavior({ [direction]: row.scalingRules }, 300)[direction];
      const stored = recordScaleEvent(previous, rules, row.replicaChange, NOW);
      expect(stored.map((event) => event.replicaChange)).toEqual(expectedChanges);
      // The controller flags events older than the longest period as outdated; Tidal reads that off the time.
      const longest = Math.max(...rules.policies.map((policy) => policy.periodSeconds));
      expect(stored.map((event) => event.at < ago(longest))).toEqual(
        row.expectedScaleEvents.map((event) => event.outdated),
      );
    }
  });
});

describe("HPA vectors: coverage", () => {
  const rowsOf = (value: unknown): Row[] =>
    Array.isArray(value)
      ? value.filter((row): row is Row => typeof (row as Partial<Row> | null)?.test === "string")
      : value && typeof value === "object"
        ? Object.values(value).flatMap(rowsOf)
        : [];
  const allRows = [...replicaCalc.rows, ...rowsOf(horizontal)];

  it("gives every row not ported a reason", () => {
    const unexplained = allRows.filter((row) => !row.applicable && !row.reason);
    expect(unexplained).toEqual([]);
  });

  it("keeps the test names unique", () => {
    const names = allRows.map((row) => row.test);
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });
});
