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
import { type MetricTrace, readMetricTrace } from "./metric-trace.ts";
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
  summary: ReplicaSummary;
  traces?: DecisionTrace[];
}

export function simulate(options: SimulationOptions): SimulationResult {
  const setup = { ...options, hpaSyncSeconds: options.hpaSyncSeconds ?? 15 };
  const reader = readMetricTrace(options.trace, options.metricSpecs);
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
      metrics: { ...reader.valuesAt(t), ...forecastColumns(options.metricSpecs, samples) },
    });
  }
  return {
    steps,
    summary: summarizeReplicas(
      options.initialReplicas,
      steps,
      options.durationSeconds,
      options.summaryFromSeconds ?? 0,
    ),
    ...(options.includeTraces ? { traces } : {}),
  };
}
