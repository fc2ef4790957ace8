/**
 * One reading of every trigger: whether each is active, what KEDA's metrics server would hand the HPA
 * (after fallback and the formula), and whether the object as a whole is active.
 */
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { fallbackReplicas, fallbackValue, isFallingBack, usableFallback } from "./fallback.ts";
import { compileFormula } from "./formula/compile.ts";
import { FormulaError } from "./formula/errors.ts";
import {
  COMPOSITE_METRIC_NAME,
  type ScalingModifiersConfig,
  formulaVariables,
  isResourceTrigger,
  readScalingModifiers,
} from "./scaling-modifiers.ts";
import type {
  ForecastReport,
  HpaMetricReading,
  MetricHealth,
  TriggerMetricSpec,
  TriggerSample,
} from "./types.ts";

export interface TriggersInput {
  scaledObject: ScaledObject;
  metricSpecs: readonly TriggerMetricSpec[];
  samples: readonly TriggerSample[];
  /** Failure counts including this reading's errors (see updateHealth). */
  health: Readonly<Record<string, MetricHealth>>;
  currentReplicas: number;
  readyPods: number;
}

export interface TriggerReading {
  spec: TriggerMetricSpec;
  value: number | null;
  error?: string;
  active: boolean;
  fallback: boolean;
  /** What a request for this trigger's metric returns (the fallback value while falling back). */
  served: HpaMetricReading;
  /** How a forecasting trigger chose its value. */
  forecast?: ForecastReport;
}

export interface CompositeReading {
  expression: string;
  value: number | null;
  error?: string;
  target: number;
  activationTarget: number;
  fallback: boolean;
}

export interface TriggersReading {
  triggers: TriggerReading[];
  composite?: CompositeReading;
  /** The HPA's metrics as KEDA serves them: one per trigger metric, or the composite metric. */
  hpaMetrics: HpaMetricReading[];
  /** Active before force-activation: any trigger active (a falling-back one counts), or the formula's value above its activation target. */
  active: boolean;
  /** Some trigger failed this time, even if a fallback covers it. */
  isError: boolean;
  fallbackActive: boolean;
}

export function readTriggers(input: TriggersInput): TriggersReading {
  const triggers = input.metricSpecs.map((spec) => readTrigger(spec, input));
  const isError = triggers.some((trigger) => trigger.error !== undefined);
  const fallbackActive = triggers.some((trigger) => trigger.fallback);
  const modifiers = readScalingModifiers(input.scaledObject);
  if (modifiers) {
    const composite = readComposite(modifiers, triggers, input);
    const served = composite.value === null ? undefined : servedValue(composite.value);
    return {
      triggers,
      composite,
      hpaMetrics: [
        served === undefined
          ? { metricName: COMPOSITE_METRIC_NAME, error: composite.error ?? "the formula has no value" }
          : { metricName: COMPOSITE_METRIC_NAME, value: served },
      ],
      active: served !== undefined && served > composite.activationTarget,
      isError: isError || composite.error !== undefined,
      fallbackActive: fallbackActive || composite.fallback,
    };
  }
  // KEDA treats an object with only cpu/memory triggers as always active: nothing else could wake it.
  const onlyResources = input.scaledObject.spec.triggers.every((trigger) => isResourceTrigger(trigger.type));
  return {
    triggers,
    hpaMetrics: triggers.map((trigger) => trigger.served),
    active: triggers.some((trigger) => trigger.active) || (onlyResources && !isError),
    isError,
    fallbackActive,
  };
}

function readTrigger(spec: TriggerMetricSpec, input: TriggersInput): TriggerReading {
  const { metricName } = spec;
  const sample = input.samples.find((candidate) => candidate.metricName === metricName);
  if (sample && sample.error === undefined && sample.value !== undefined) {
    const value = sample.value;
    return {
      spec,
      value,
      active: spec.resource === undefined && (sample.active ?? value > spec.activationTarget),
      fallback: false,
      served: { metricName, value: servedValue(value) },
      ...(sample.forecast ? { forecast: sample.forecast } : {}),
    };
  }
  const error = sample?.error ?? `no sample for metric ${metricName}`;
  const fallback = spec.resource === undefined ? usableFallback(input.scaledObject) : undefined;
  if (!fallback || !isFallingBack(input.health[metricName], fallback)) {
    return { spec, value: null, error, active: false, fallback: false, served: { metricName, error } };
  }
  const replicas = fallbackReplicas(fallback, input.currentReplicas);
  const substitute = fallbackValue(spec.target, spec.targetType, replicas, input.readyPods);
  const served =
    "value" in substitute
      ? { metricName, value: servedValue(substitute.value) }
      : { metricName, ...substitute };
  return { spec, value: null, error, active: true, fallback: true, served };
}

function readComposite(
  modifiers: ScalingModifiersConfig,
  triggers: readonly TriggerReading[],
  input: TriggersInput,
): CompositeReading {
  const base = {
    expression: modifiers.formula,
    target: modifiers.target,
    activationTarget: modifiers.activationTarget,
  };
  const failed = (error: string): CompositeReading => ({ ...base, value: null, error, fallback: false });
  if (modifiers.problems.length > 0) return failed(modifiers.problems.join("; "));

  const variables = formulaVariables(input.metricSpecs);
  const failing = triggers.filter((trigger) => trigger.error !== undefined);
  const uncovered = failing.find((trigger) => !trigger.fallback);
  if (uncovered) return failed(`metric ${uncovered.spec.metricName}: ${uncovered.error}`);

  const fallback = usableFallback(input.scaledObject);
  const substitute = (replicas: number): CompositeReading => {
    const result = fallbackValue(modifiers.target, modifiers.targetType, replicas, input.readyPods);
    return "value" in result ? { ...base, value: result.value, fallback: true } : failed(result.error);
  };
  // Every failing trigger is falling back. Unless the fallback works through the formula, the whole
  // composite metric is replaced.
  if (fallback && failing.length > 0 && fallback.behavior !== "scalingModifiers") {
    return substitute(fallbackReplicas(fallback, input.currentReplicas));
  }
  try {
    const formula = compileFormula(modifiers.formula, [...variables.values()]);
    // The formula sees what the scalers serve (thousandths, negatives as 0); a failing trigger is nil.
    const values = Object.fromEntries(
      triggers.flatMap((trigger) => {
        const name = variables.get(trigger.spec.metricName);
        const value = trigger.error === undefined ? (trigger.served.value ?? null) : null;
        return name === undefined ? [] : [[name, value]];
      }),
    );
    const value = formula.evaluate(values);
    if (value === null && fallback && failing.length > 0) return substitute(fallback.replicas);
    return value === null ? failed("the formula evaluated to nil") : { ...base, value, fallback: false };
  } catch (error) {
    if (error instanceof FormulaError) return failed(error.message);
    throw error;
  }
}

/** KEDA's GenerateMetricInMili: thousandths, with NaN, ±Inf and negative values served as 0. */
export function servedValue(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.round(value * 1000) / 1000 : 0;
}
