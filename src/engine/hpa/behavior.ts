/**
 * `spec.behavior` with the defaults the API server and the HPA controller fill in, and the
 * tolerances that follow from it. Unset fields are defaulted one by one, so a user who sets only
 * `scaleDown.stabilizationWindowSeconds` keeps the default policies.
 */
import type { HpaBehavior, ScalingPolicy, ScalingRules } from "../../api/schema/hpa-behavior.ts";
import { parseQuantity } from "../../util/quantity.ts";

export type SelectPolicy = "Max" | "Min" | "Disabled";

export interface ResolvedScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: SelectPolicy;
  policies: ScalingPolicy[];
}

export interface ResolvedBehavior {
  scaleUp: ResolvedScalingRules;
  scaleDown: ResolvedScalingRules;
}

export interface Tolerances {
  scaleUp: number;
  scaleDown: number;
}

/** The controller flags the replica math depends on, with their Kubernetes defaults. */
export const CONTROLLER_DEFAULTS = {
  /** --horizontal-pod-autoscaler-tolerance */
  tolerance: 0.1,
  /** --horizontal-pod-autoscaler-downscale-stabilization, in seconds */
  downscaleStabilizationSeconds: 300,
} as const;

const DEFAULT_SCALE_UP: ResolvedScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: "Max",
  policies: [
    { type: "Pods", value: 4, periodSeconds: 15 },
    { type: "Percent", value: 100, periodSeconds: 15 },
  ],
};

const DEFAULT_SCALE_DOWN_POLICIES: ScalingPolicy[] = [{ type: "Percent", value: 100, periodSeconds: 15 }];

export function resolveBehavior(
  behavior: HpaBehavior,
  downscaleStabilizationSeconds: number,
): ResolvedBehavior {
  return {
    scaleUp: resolveRules(behavior.scaleUp, DEFAULT_SCALE_UP),
    // The API server leaves scaleDown's window nil; the controller then uses its own flag.
    scaleDown: resolveRules(behavior.scaleDown, {
      stabilizationWindowSeconds: downscaleStabilizationSeconds,
      selectPolicy: "Max",
      policies: DEFAULT_SCALE_DOWN_POLICIES,
    }),
  };
}

function resolveRules(rules: ScalingRules | undefined, defaults: ResolvedScalingRules): ResolvedScalingRules {
  return {
    stabilizationWindowSeconds: rules?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: rules?.selectPolicy ?? defaults.selectPolicy,
    policies: rules?.policies ?? defaults.policies,
  };
}

/** `behavior.scaleUp/scaleDown.tolerance` override the controller's tolerance per direction. */
export function tolerancesFor(behavior: HpaBehavior | undefined, defaultTolerance: number): Tolerances {
  const read = (rules: ScalingRules | undefined) =>
    rules?.tolerance === undefined ? defaultTolerance : (parseQuantity(rules.tolerance) ?? defaultTolerance);
  return { scaleUp: read(behavior?.scaleUp), scaleDown: read(behavior?.scaleDown) };
}

export function isWithinTolerance(ratio: number, tolerances: Tolerances): boolean {
  return 1 - tolerances.scaleDown <= ratio && ratio <= 1 + tolerances.scaleUp;
}
