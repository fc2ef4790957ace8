import type { ParamProblem } from "../params.ts";

/**
 * Checks a scaler's target value: required unless the trigger only feeds a scalingModifiers
 * formula, and greater than 0 (Kubernetes rejects other HPA targets; KEDA treats 0 as not set).
 */
export function targetValueProblems(
  key: string,
  value: number | undefined,
  asMetricSource: boolean,
): ParamProblem[] {
  if (asMetricSource || (value !== undefined && value > 0)) return [];
  const message =
    value === undefined ? `missing required parameter "${key}"` : `${key} must be greater than 0`;
  return [{ key, message, severity: "error" }];
}
