/**
 * The autoscaler under simulation: which evaluations happen when, and what each one decides, in
 * either mode.
 * - `direct`: decideDirect at every poll (KEDA's loop and the HPA's math in one step).
 * - `hpa`: kedaPoll every pollingInterval and an HPA sync every hpaSyncSeconds, both starting at
 *   t = 0 (KEDA's loop runs as soon as it starts; the HPA controller syncs a new HPA at once). At the
 *   same instant the poll goes first, because KEDA creates the HPA. The HPA reads the values KEDA's
 *   metrics server would serve at that instant; it does not run while the ScaledObject is paused
 *   (KEDA deletes the HPA for `paused` and `paused-replicas`) and does nothing while the target has
 *   0 replicas.
 */
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { decideDirect, hpaStep, kedaPoll, pollTrace } from "../engine/decide.ts";
import type {
  DecisionRule,
  DecisionTrace,
  ScaledObjectState,
  TriggerMetricSpec,
  TriggerSample,
} from "../engine/types.ts";

export type SimulationMode = "hpa" | "direct";
export type EvaluationKind = "keda" | "hpa" | "direct";

/** The virtual clock's t = 0; every `now` the engine sees is this plus the simulated seconds. */
export const SIMULATION_EPOCH = Date.UTC(2026, 0, 1);

export interface AutoscalerSetup {
  scaledObject: ScaledObject;
  metricSpecs: readonly TriggerMetricSpec[];
  mode: SimulationMode;
  hpaSyncSeconds: number;
}

/** Evaluation instants in [0, durationSeconds), in the order they run. */
export function evaluationSchedule(
  setup: AutoscalerSetup,
  durationSeconds: number,
): { t: number; kind: EvaluationKind }[] {
  const every = (period: number, kind: EvaluationKind) =>
    Array.from({ length: Math.ceil(durationSeconds / period) }, (_, index) => ({ t: index * period, kind }));
  const poll = setup.scaledObject.spec.pollingInterval;
  if (setup.mode === "direct") return every(poll, "direct");
  const order = (kind: EvaluationKind) => (kind === "keda" ? 0 : 1);
  return [...every(poll, "keda"), ...every(setup.hpaSyncSeconds, "hpa")].sort(
    (a, b) => a.t - b.t || order(a.kind) - order(b.kind),
  );
}

export interface Observation {
  t: number;
  samples: TriggerSample[];
  /** spec.replicas of the target. */
  replicas: number;
  /** Pods that exist. */
  statusReplicas: number;
  readyPods: number;
}

export interface Evaluation {
  desired: number;
  state: ScaledObjectState;
  active: boolean;
  fallback: boolean;
  rule: DecisionRule;
  trace: DecisionTrace;
}

/** One evaluation, or undefined for an HPA sync while the HPA does not exist (paused object). */
export function evaluate(
  kind: EvaluationKind,
  setup: AutoscalerSetup,
  observation: Observation,
  state: ScaledObjectState,
): Evaluation | undefined {
  const { scaledObject, metricSpecs } = setup;
  const input = {
    scaledObject,
    metricSpecs,
    samples: observation.samples,
    currentReplicas: observation.replicas,
    statusReplicas: observation.statusReplicas,
    readyPods: observation.readyPods,
    now: SIMULATION_EPOCH + observation.t * 1000,
    state,
  };
  if (kind === "direct") {
    const decision = decideDirect(input);
    const { desiredReplicas: desired, trace } = decision;
    return {
      desired,
      state: decision.state,
      active: trace.active,
      fallback: trace.fallback,
      rule: trace.boundedBy,
      trace,
    };
  }
  if (kind === "keda") {
    const poll = kedaPoll(input);
    const trace = pollTrace(scaledObject, input, poll);
    return {
      desired: trace.desiredReplicas,
      state: poll.state,
      active: poll.active,
      fallback: poll.fallback,
      rule: poll.boundedBy,
      trace,
    };
  }
  const step = hpaStep(input);
  if (step === undefined) return undefined;
  return {
    desired: step.desiredReplicas,
    state: step.state,
    active: step.served.active,
    fallback: step.served.fallback,
    rule: step.sync.boundedBy,
    trace: step.trace,
  };
}
