/** `advanced.scalingModifiers` read into numbers, with the problems KEDA's validation would report. */
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { parseGoFloat } from "../util/go/parse.ts";
import type { MetricTargetType, TriggerMetricSpec } from "./types.ts";

export const COMPOSITE_METRIC_NAME = "composite-metric";

export interface ScalingModifiersConfig {
  formula: string;
  target: number;
  activationTarget: number;
  targetType: MetricTargetType;
  /** Why KEDA would reject this configuration; empty when it is valid. */
  problems: string[];
}

/** The formula configuration, or undefined when the ScaledObject has no formula. */
export function readScalingModifiers(scaledObject: ScaledObject): ScalingModifiersConfig | undefined {
  const modifiers = scaledObject.spec.advanced?.scalingModifiers;
  if (!modifiers?.formula) return undefined;
  const problems: string[] = [];
  const target = parseGoFloat(modifiers.target ?? "");
  if (target === undefined || !(target > 0)) {
    problems.push(`scalingModifiers.target "${modifiers.target ?? ""}" must be a number > 0`);
  }
  const activationTarget =
    modifiers.activationTarget === undefined ? 0 : parseGoFloat(modifiers.activationTarget);
  if (activationTarget === undefined) {
    problems.push(`scalingModifiers.activationTarget "${modifiers.activationTarget}" is not a number`);
  }
  if (modifiers.metricType === "Utilization")
    problems.push("scalingModifiers.metricType cannot be Utilization");
  return {
    formula: modifiers.formula,
    target: target ?? NaN,
    activationTarget: activationTarget ?? NaN,
    targetType: modifiers.metricType === "Value" ? "Value" : "AverageValue",
    problems,
  };
}

const RESOURCE_TRIGGERS = new Set(["cpu", "memory"]);

/**
 * The formula variable of each metric: the trigger's name; a trigger's later metrics get the name
 * with a two-digit suffix (`name01`, …). Unnamed and cpu/memory triggers have none.
 */
export function formulaVariables(metricSpecs: readonly TriggerMetricSpec[]): Map<string, string> {
  const variables = new Map<string, string>();
  const seenPerTrigger = new Map<number, number>();
  for (const spec of metricSpecs) {
    if (spec.name === "" || RESOURCE_TRIGGERS.has(spec.type)) continue;
    const seen = seenPerTrigger.get(spec.index) ?? 0;
    seenPerTrigger.set(spec.index, seen + 1);
    variables.set(spec.metricName, seen === 0 ? spec.name : `${spec.name}${String(seen).padStart(2, "0")}`);
  }
  return variables;
}

export function isResourceTrigger(type: string): boolean {
  return RESOURCE_TRIGGERS.has(type);
}
