/** The status conditions KEDA writes, with its reasons and messages (KEDA: apis/keda/v1alpha1/condition_types.go). */
import type { Condition } from "../api/schema/primitives.ts";

export type ScalableKind = "ScaledObject" | "ScaledJob";

export const readyCondition = {
  ok: (kind: ScalableKind): Condition => ({
    type: "Ready",
    status: "True",
    reason: `${kind}Ready`,
    message: `${kind} is defined correctly and is ready for scaling`,
  }),
  partialTriggerError: (kind: ScalableKind): Condition => ({
    type: "Ready",
    status: "Unknown",
    reason: "PartialTriggerError",
    message: `Some triggers defined in ${kind} are not working correctly`,
  }),
  triggerError: (kind: ScalableKind): Condition => ({
    type: "Ready",
    status: "False",
    reason: "TriggerError",
    message: `Triggers defined in ${kind} are not working correctly`,
  }),
  checkFailed: (kind: ScalableKind, message: string): Condition => ({
    type: "Ready",
    status: "False",
    reason: `${kind}CheckFailed`,
    message,
  }),
};

export const activeCondition = {
  active: (forced: boolean): Condition => ({
    type: "Active",
    status: "True",
    reason: "ScalerActive",
    message: forced
      ? "Scaling is performed because activation is being forced by annotation"
      : "Scaling is performed because triggers are active",
  }),
  notActive: (): Condition => ({
    type: "Active",
    status: "False",
    reason: "ScalerNotActive",
    message: "Scaling is not performed because triggers are not active",
  }),
  cooldown: (): Condition => ({
    type: "Active",
    status: "False",
    reason: "ScalerCooldown",
    message: "Scaler cooling down because triggers are not active",
  }),
};

export function fallbackCondition(fallingBack: boolean): Condition {
  return fallingBack
    ? {
        type: "Fallback",
        status: "True",
        reason: "FallbackExists",
        message: "At least one trigger is falling back on this scaled object",
      }
    : {
        type: "Fallback",
        status: "False",
        reason: "NoFallbackFound",
        message: "No fallbacks are active on this scaled object",
      };
}

export function pausedCondition(kind: ScalableKind, paused: boolean): Condition {
  return paused
    ? { type: "Paused", status: "True", reason: `${kind}Paused`, message: `${kind} is paused` }
    : { type: "Paused", status: "False" };
}
