/**
 * The engine's entry points. Runtimes either
 * - call decideDirect on every poll (standalone runner, `simulate --mode direct`): KEDA's loop and the
 *   HPA's math in one step, or
 * - run kedaPoll on every poll and hpaSync on the HPA's schedule with the values serveMetrics returns
 *   (`simulate --mode hpa`; the Kubernetes operator runs kedaPoll and serves the metrics, and the
 *   real HPA does the rest).
 */
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { type KedaPollInput, type KedaPollResult, kedaPoll } from "./keda-poll.ts";
import { parseControlAnnotations, pausesScaling } from "./annotations.ts";
import { buildHpaModel } from "./hpa-model.ts";
import { type HpaSyncResult, hpaSync } from "./hpa/sync.ts";
import { buildTrace, traceFormula, traceTriggers, withProposals } from "./trace.ts";
import { readTriggers } from "./triggers.ts";
import type { DecisionTrace, HpaMetricReading, ScaledObjectState, TriggerTrace } from "./types.ts";

export { kedaPoll } from "./keda-poll.ts";
export type { KedaPollInput, KedaPollResult } from "./keda-poll.ts";
export { hpaSync } from "./hpa/sync.ts";
export type { HpaSyncInput, HpaSyncResult } from "./hpa/sync.ts";
export { buildHpaModel, hpaName } from "./hpa-model.ts";
export { renderTrace } from "./trace.ts";

export function initialState(createdAt: number): ScaledObjectState {
  return { createdAt, health: {}, hpa: { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] } };
}

export interface DirectInput extends KedaPollInput {
  /** Pods that exist (default: currentReplicas). */
  statusReplicas?: number;
  tolerance?: number;
  downscaleStabilizationSeconds?: number;
}

export interface DirectDecision {
  desiredReplicas: number;
  state: ScaledObjectState;
  trace: DecisionTrace;
  poll: KedaPollResult;
  /** The HPA step, absent when KEDA itself set the count (activation, idle/min, pause). */
  hpa?: HpaSyncResult;
}

/** KEDA's poll, then (unless KEDA set the count itself) the HPA's sync on the same values. */
export function decideDirect(input: DirectInput): DirectDecision {
  const poll = kedaPoll(input);
  const current = input.currentReplicas;
  if (poll.paused || poll.scaleTo !== undefined) {
    const desiredReplicas = poll.scaleTo ?? current;
    const trace = pollTrace(input.scaledObject, input, poll, desiredReplicas);
    return { desiredReplicas, state: poll.state, trace, poll };
  }
  const hpa = hpaSync({
    model: buildHpaModel(input.scaledObject, input.metricSpecs),
    metrics: poll.hpaMetricValues,
    specReplicas: current,
    statusReplicas: input.statusReplicas ?? current,
    readyPods: input.readyPods ?? current,
    now: input.now,
    state: poll.state.hpa,
    ...(input.tolerance === undefined ? {} : { tolerance: input.tolerance }),
    ...(input.downscaleStabilizationSeconds === undefined
      ? {}
      : { downscaleStabilizationSeconds: input.downscaleStabilizationSeconds }),
  });
  const trace = buildTrace({
    ...traceHeader(input.scaledObject, input.now, current, hpa.desiredReplicas),
    active: poll.active,
    fallback: poll.fallback,
    paused: false,
    triggers: withProposals(poll.triggers, hpa.proposals),
    ...(poll.formula ? { formula: poll.formula } : {}),
    steps: [...poll.steps, ...hpa.steps],
    boundedBy: hpa.boundedBy,
  });
  return { desiredReplicas: hpa.desiredReplicas, state: { ...poll.state, hpa: hpa.state }, trace, poll, hpa };
}

export interface HpaStep {
  desiredReplicas: number;
  state: ScaledObjectState;
  trace: DecisionTrace;
  served: ServedMetrics;
  sync: HpaSyncResult;
}

/**
 * One sync of the HPA KEDA owns, on the values KEDA's metrics server serves now: undefined while
 * the ScaledObject is paused (KEDA deletes the HPA then).
 */
export function hpaStep(input: DirectInput): HpaStep | undefined {
  if (pausesScaling(parseControlAnnotations(input.scaledObject.metadata.annotations))) return undefined;
  const served = serveMetrics(input);
  const sync = hpaSync({
    model: buildHpaModel(input.scaledObject, input.metricSpecs),
    metrics: served.hpaMetricValues,
    specReplicas: input.currentReplicas,
    statusReplicas: input.statusReplicas ?? input.currentReplicas,
    readyPods: input.readyPods ?? input.currentReplicas,
    now: input.now,
    state: input.state.hpa,
    ...(input.tolerance === undefined ? {} : { tolerance: input.tolerance }),
    ...(input.downscaleStabilizationSeconds === undefined
      ? {}
      : { downscaleStabilizationSeconds: input.downscaleStabilizationSeconds }),
  });
  return {
    desiredReplicas: sync.desiredReplicas,
    state: { ...input.state, hpa: sync.state },
    trace: hpaSyncTrace(input.scaledObject, input, served, sync),
    served,
    sync,
  };
}

export interface ServedMetrics {
  hpaMetricValues: HpaMetricReading[];
  triggers: TriggerTrace[];
  formula?: DecisionTrace["formula"];
  active: boolean;
  fallback: boolean;
}

/**
 * What KEDA's metrics server answers the HPA right now: live values, with fallback applied from the
 * failures the scale loop recorded. Nothing is recorded here.
 */
export function serveMetrics(input: KedaPollInput): ServedMetrics {
  const reading = readTriggers({
    ...input,
    health: input.state.health,
    readyPods: input.readyPods ?? input.currentReplicas,
  });
  return {
    hpaMetricValues: reading.hpaMetrics,
    triggers: traceTriggers(reading),
    ...(reading.composite ? { formula: traceFormula(reading.composite) } : {}),
    active: reading.active,
    fallback: reading.fallbackActive,
  };
}

/** The trace of a KEDA poll on its own. */
export function pollTrace(
  scaledObject: ScaledObject,
  input: Pick<KedaPollInput, "now" | "currentReplicas">,
  poll: KedaPollResult,
  desiredReplicas = poll.scaleTo ?? input.currentReplicas,
): DecisionTrace {
  return buildTrace({
    ...traceHeader(scaledObject, input.now, input.currentReplicas, desiredReplicas),
    active: poll.active,
    fallback: poll.fallback,
    paused: poll.paused,
    triggers: poll.triggers,
    ...(poll.formula ? { formula: poll.formula } : {}),
    steps: poll.steps,
    boundedBy: poll.boundedBy,
  });
}

/** The trace of an HPA sync, with the metrics it read. */
export function hpaSyncTrace(
  scaledObject: ScaledObject,
  input: { now: number; currentReplicas: number },
  served: ServedMetrics,
  sync: HpaSyncResult,
): DecisionTrace {
  return buildTrace({
    ...traceHeader(scaledObject, input.now, input.currentReplicas, sync.desiredReplicas),
    active: served.active,
    fallback: served.fallback,
    paused: false,
    triggers: withProposals(served.triggers, sync.proposals),
    ...(served.formula ? { formula: served.formula } : {}),
    steps: sync.steps,
    boundedBy: sync.boundedBy,
  });
}

function traceHeader(
  scaledObject: ScaledObject,
  at: number,
  currentReplicas: number,
  desiredReplicas: number,
) {
  return {
    kind: "ScaledObject" as const,
    namespace: scaledObject.metadata.namespace ?? "default",
    name: scaledObject.metadata.name,
    at,
    currentReplicas,
    desiredReplicas,
  };
}
