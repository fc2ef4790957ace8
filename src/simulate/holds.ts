/**
 * Holds: stretches of a simulation in which a rule kept the replicas where they were although
 * something asked for a change, such as the HPA's scale-down stabilization window or KEDA's
 * cooldown before scaling to zero. The report lists them and the chart shades them.
 */
import type { DecisionRule } from "../engine/types.ts";
import type { SimulationStep } from "./simulate.ts";

export type HoldRule = Extract<
  DecisionRule,
  "stabilization" | "cooldown" | "initial-cooldown" | "scale-down-limit" | "metric-error"
>;

const HOLD_RULES: ReadonlySet<DecisionRule> = new Set<HoldRule>([
  "stabilization",
  "cooldown",
  "initial-cooldown",
  "scale-down-limit",
  "metric-error",
]);

export const isHoldRule = (rule: DecisionRule): rule is HoldRule => HOLD_RULES.has(rule);

export interface Hold {
  rule: HoldRule;
  /** Seconds: from the first evaluation the rule held at, to the next change or the end. */
  from: number;
  to: number;
  replicas: number;
  /** What the rule said at the first evaluation. */
  detail: string;
  /** The fewest replicas the metrics asked for meanwhile (HPA syncs), when known. */
  recommended?: number;
}

/** The holds of a run, in the order they start. */
export function replicaHolds(
  initialReplicas: number,
  steps: readonly SimulationStep[],
  durationSeconds: number,
): Hold[] {
  const done: Hold[] = [];
  const open = new Map<HoldRule, Hold & { kind: SimulationStep["kind"] }>();
  const close = (rule: HoldRule, at: number) => {
    const hold = open.get(rule);
    if (hold === undefined) return;
    open.delete(rule);
    const { kind: _kind, ...rest } = hold;
    if (at > hold.from) done.push({ ...rest, to: at });
  };
  let replicas = initialReplicas;
  for (const step of steps) {
    if (step.replicas !== replicas) {
      for (const rule of [...open.keys()]) close(rule, step.t);
    } else {
      for (const [rule, hold] of [...open])
        if (hold.kind === step.kind && step.hold?.rule !== rule) close(rule, step.t);
    }
    replicas = step.replicas;
    if (step.hold === undefined) continue;
    const { rule, detail } = step.hold;
    const hold = open.get(rule);
    if (hold === undefined) {
      open.set(rule, {
        rule,
        kind: step.kind,
        from: step.t,
        to: durationSeconds,
        replicas: step.replicas,
        detail,
        ...(step.recommended === undefined ? {} : { recommended: step.recommended }),
      });
    } else if (step.recommended !== undefined) {
      hold.recommended = Math.min(hold.recommended ?? step.recommended, step.recommended);
    }
  }
  for (const rule of [...open.keys()]) close(rule, durationSeconds);
  return done.sort((a, b) => a.from - b.from);
}

/** What a hold is, in a few words. */
export function holdLabel(hold: Pick<Hold, "rule" | "recommended" | "replicas">): string {
  switch (hold.rule) {
    case "stabilization":
      return hold.recommended !== undefined && hold.recommended > hold.replicas
        ? "scale-up stabilization window"
        : "scale-down stabilization window";
    case "cooldown":
      return "cooldown before scaling to zero";
    case "initial-cooldown":
      return "initialCooldownPeriod";
    case "scale-down-limit":
      return "scale-down rate limit";
    case "metric-error":
      return "metrics failing";
  }
}
