/**
 * simulate: a ScaledObject against a metric trace on a virtual clock. The target follows every
 * decision at once (its pods are ready immediately); for startup delays and a queue that reacts to
 * the replicas, see simulateWorkload. Forecasting triggers serve their forecast, made from the
 * trace's values at earlier evaluations only; each step's metrics add it as `NAME forecast`.
 */
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { initialState } from "../engine/decide.ts";
import type { DecisionRule, DecisionTrace, TriggerMetricSpec } from "../engine/types.ts";
import {
  type EvaluationKind,
  SIMULATION_EPOCH,
  type SimulationMode,
  evaluate,
  evaluationSchedule,
} from "./autoscaler.ts";
import { forecastColumns, SimulationForecasts, type SimulatedForecasts } from "./forecasts.ts";
import { type HoldRule, isHoldRule } from "./holds.ts";
import { matchTraceColumns, type MetricTrace, readMetricTrace } from "./metric-trace.ts";
import { type ReplicaSummary, summarizeReplicas } from "./summary.ts";

export interface SimulationStep {
  /** Seconds since the start. */
  t: number;
  kind: EvaluationKind;
  /** Replicas after this evaluation. */
  replicas: number;
  /** What this evaluation asked for. */
  desired: number;
  active: boolean;
  fallback: boolean;
  /** The rule that decided, and the trace's one-line summary. */
  rule: DecisionRule;
  reason: string;
  /** What the deciding rule said (the reason's last part). */
  detail?: string;
  /** Replicas the metrics alone asked for, before stabilization, limits and min/max (HPA syncs). */
  recommended?: number;
  /** The rule that kept the replicas from following the metrics, if one did. */
  hold?: { rule: HoldRule; detail: string };
  /** The metric values at this instant, by column (null: failing). */
  metrics: Record<string, number | null>;
}

export interface SimulationOptions {
  scaledObject: ScaledObject;
  metricSpecs: TriggerMetricSpec[];
  trace: MetricTrace;
  mode: SimulationMode;
  initialReplicas: number;
  durationSeconds: number;
  /** The HPA controller's sync period (--horizontal-pod-autoscaler-sync-period), hpa mode only. */
  hpaSyncSeconds?: number;
  /** Return the DecisionTrace of every step too. */
  includeTraces?: boolean;
  /** Forecast settings by metric name (simulatedForecasts). */
  forecasts?: SimulatedForecasts;
  /** The summary covers [summaryFromSeconds, durationSeconds] (default 0). */
  summaryFromSeconds?: number;
}

export interface SimulationResult {
  steps: SimulationStep[];
  /** The keys of the steps' metrics: each trace column's trigger, then forecasts. */
  metricColumns: string[];
  /** Triggers no trace column feeds (they read 0). */
  unfedTriggers: string[];
  summary: ReplicaSummary;
  traces?: DecisionTrace[];
}

export function simulate(options: SimulationOptions): SimulationResult {
  const setup = { ...options, hpaSyncSeconds: options.hpaSyncSeconds ?? 15 };
  const reader = readMetricTrace(options.trace, options.metricSpecs);
  const { unfed } = matchTraceColumns(options.trace.columns, options.metricSpecs);
  let state = initialState(SIMULATION_EPOCH);
  let replicas = options.initialReplicas;
  const steps: SimulationStep[] = [];
  const traces: DecisionTrace[] = [];
  const forecasts = new SimulationForecasts(options.forecasts);
  for (const { t, kind } of evaluationSchedule(setup, options.durationSeconds)) {
    const samples = forecasts.apply(SIMULATION_EPOCH + t * 1000, reader.samplesAt(t));
    const observation = {
      t,
      samples,
      replicas,
      statusReplicas: replicas,
      readyPods: replicas,
    };
    const evaluation = evaluate(kind, setup, observation, state);
    if (!evaluation) continue;
    state = evaluation.state;
    replicas = evaluation.desired;
    traces.push(evaluation.trace);
    steps.push({
      t,
      kind,
      replicas,
      desired: evaluation.desired,
      active: evaluation.active,
      fallback: evaluation.fallback,
      rule: evaluation.rule,
      reason: evaluation.trace.summary,
      ...stepDetail(evaluation.trace),
      metrics: { ...reader.valuesAt(t), ...forecastColumns(options.metricSpecs, samples) },
    });
  }
  return {
    steps,
    metricColumns: [...new Set([...reader.labels, ...steps.flatMap((step) => Object.keys(step.metrics))])],
    unfedTriggers: unfed,
    summary: summarizeReplicas(
      options.initialReplicas,
      steps,
      options.durationSeconds,
      options.summaryFromSeconds ?? 0,
    ),
    ...(options.includeTraces ? { traces } : {}),
  };
}

/**
 * The deciding rule's own words, what the metrics asked for before anything bounded it, and the
 * rule that held the replicas: the deciding one if it is a hold, else a stabilization window or
 * rate limit that changed the count before min/max clamped it.
 */
export function stepDetail(trace: DecisionTrace): {
  detail?: string;
  recommended?: number;
  hold?: { rule: HoldRule; detail: string };
} {
  const deciding = trace.steps.findLast((step) => step.rule === trace.boundedBy);
  const asked = trace.steps.find((step) => ["metric", "formula", "tolerance"].includes(step.rule));
  const holding =
    deciding && isHoldRule(deciding.rule)
      ? deciding
      : trace.steps.find(
          (step) =>
            (step.rule === "stabilization" || step.rule === "scale-down-limit") &&
            step.from !== undefined &&
            step.to !== step.from &&
            // It held only if the count kept differs from what the metrics asked for.
            asked?.to !== undefined &&
            trace.desiredReplicas !== asked.to,
        );
  return {
    ...(deciding ? { detail: deciding.detail } : {}),
    ...(asked?.to === undefined ? {} : { recommended: asked.to }),
    ...(holding && isHoldRule(holding.rule) ? { hold: { rule: holding.rule, detail: holding.detail } } : {}),
  };
}
