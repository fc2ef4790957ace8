/**
 * The engine's contract: plain data in, plain data out. Nothing here does I/O or reads a clock;
 * every instant is a number of milliseconds since the epoch passed in by the caller.
 */
import type { HpaBehavior } from "../api/schema/hpa-behavior.ts";

export type MetricTargetType = "AverageValue" | "Value" | "Utilization";

/** What one trigger asks of the HPA: KEDA's external metric spec for that trigger. */
export interface TriggerMetricSpec {
  /** Index of the trigger in `spec.triggers`. */
  index: number;
  /** The trigger's `name`, or "" when unnamed. */
  name: string;
  /** The trigger's `type`, e.g. `redis`. */
  type: string;
  /** KEDA's metric name, e.g. `s0-redis-jobs`. */
  metricName: string;
  targetType: MetricTargetType;
  /** Target value (averageValue or value of the HPA metric). */
  target: number;
  /** Activation threshold: the trigger is active when its value is strictly greater. */
  activationTarget: number;
  /**
   * Set for cpu and memory triggers: the HPA reads them from the pods as a Resource metric, so the
   * value is the per-pod average (for Utilization, percent of the pods' requests). They never
   * activate an object that has other triggers and have no fallback.
   */
  resource?: "cpu" | "memory";
}

/** One trigger's reading in one evaluation. Exactly one of `value` and `error` is set. */
export interface TriggerSample {
  metricName: string;
  value?: number;
  /** Whether the scaler reports the trigger active (absent: value > activationTarget). */
  active?: boolean;
  error?: string;
  /** Set when the value is a forecast's (predictkube, or the forecast annotation): how it was made. */
  forecast?: ForecastReport;
}

/**
 * How a forecast trigger chose the value it serves: the forecast for now + horizon (never lower than
 * the current value) while the model passes its own backtest, else the current value and why.
 */
export interface ForecastReport {
  mode: "predictive" | "reactive";
  /** Why the current value is served (reactive only): one sentence, and a code for metrics. */
  reason?: string;
  reasonCode?: "history-too-short" | "backtest-error" | "baseline-better" | "no-history-at-target";
  /** The value the trigger measured now. */
  current: number;
  /** The model's value for now + horizon (null when it has none). */
  predicted: number | null;
  /** What the trigger serves: max(current, predicted) when predictive, else current. */
  served: number;
  horizonSeconds: number;
  model: "seasonal" | "trend";
  /** The season the model uses ("daily", "weekly", "every 20m"), null for the trend model. */
  season: string | null;
  /** Why no season was used, when one was looked for. */
  note?: string;
  /** Backtest error of the model and of serving the current value (mean absolute error ÷ mean value). */
  backtestError: number | null;
  baselineError: number | null;
  /** The bound on backtestError above which the current value is served. */
  maxError: number;
  /** Steps of history that hold a value. */
  historySteps: number;
  /** When the model was last fitted, and when it will be next (ms since the epoch). */
  fittedAt: number;
  nextFitAt: number;
}

/** Per-metric failure bookkeeping, as KEDA keeps it in `status.health`. */
export interface MetricHealth {
  numberOfFailures: number;
  status: "Happy" | "Failing";
}

export interface TimestampedRecommendation {
  at: number;
  replicas: number;
}

export interface ScaleEvent {
  at: number;
  replicaChange: number;
}

/** The HPA controller's memory for one HPA (it lives in the controller, not in the HPA object). */
export interface HpaState {
  recommendations: TimestampedRecommendation[];
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}

/** Everything the engine remembers about a ScaledObject between evaluations. Serializable as JSON. */
export interface ScaledObjectState {
  /** When the object was first seen (creationTimestamp), for initialCooldownPeriod. */
  createdAt: number;
  lastActiveTime?: number;
  health: Record<string, MetricHealth>;
  hpa: HpaState;
}

/** The HPA KEDA would create for a ScaledObject, as far as the replica math needs it. */
export interface HpaModel {
  minReplicas: number;
  maxReplicas: number;
  /** `spec.behavior` of the HPA, undefined when KEDA leaves it nil. */
  behavior?: HpaBehavior;
  metrics: {
    metricName: string;
    targetType: MetricTargetType;
    target: number;
    resource?: "cpu" | "memory";
  }[];
}

/** One External metric as the HPA reads it from KEDA's metrics server: a value, or an error. */
export interface HpaMetricReading {
  metricName: string;
  value?: number;
  error?: string;
}

/** Why a rule changed or held the replica count; the trace names the one that bounded the result. */
export type DecisionRule =
  | "paused"
  | "paused-replicas"
  | "paused-scale-in"
  | "paused-scale-out"
  | "force-activation"
  | "activation"
  | "deactivation"
  | "cooldown"
  | "initial-cooldown"
  | "idle"
  | "min"
  | "max"
  | "fallback"
  | "formula"
  | "metric"
  | "tolerance"
  | "metric-error"
  | "stabilization"
  | "scale-up-limit"
  | "scale-down-limit"
  | "hpa-disabled"
  | "job-strategy"
  | "unchanged";

export interface DecisionStep {
  rule: DecisionRule;
  detail: string;
  from?: number;
  to?: number;
}

export interface TriggerTrace {
  index: number;
  name: string;
  type: string;
  metricName: string;
  value: number | null;
  error?: string;
  targetType: MetricTargetType;
  target: number;
  activationTarget: number;
  active: boolean;
  /** The value handed to the HPA after fallback (null when the HPA would get an error). */
  hpaValue: number | null;
  /** Replicas this metric alone asks for. */
  proposal: number | null;
  fallback: boolean;
  /** How a forecasting trigger chose its value. */
  forecast?: ForecastReport;
}

export interface DecisionTrace {
  kind: "ScaledObject" | "ScaledJob";
  namespace: string;
  name: string;
  at: number;
  currentReplicas: number;
  desiredReplicas: number;
  active: boolean;
  fallback: boolean;
  paused: boolean;
  triggers: TriggerTrace[];
  formula?: {
    expression: string;
    value: number | null;
    target: number;
    activationTarget: number;
    error?: string;
  };
  steps: DecisionStep[];
  /** The rule that decided the final count. */
  boundedBy: DecisionRule;
  /** One line a person reads first. */
  summary: string;
}
