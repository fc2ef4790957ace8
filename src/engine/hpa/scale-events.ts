/** The HPA controller's memory of recent rescales, which its rate policies count against. */
import type { ScaleEvent } from "../types.ts";
import type { ResolvedScalingRules } from "./behavior.ts";

/** Sum of the changes recorded strictly within the last `periodSeconds`. */
export function replicaChangeInPeriod(
  events: readonly ScaleEvent[],
  periodSeconds: number,
  now: number,
): number {
  const cutoff = now - periodSeconds * 1000;
  return events.reduce((sum, event) => (event.at > cutoff ? sum + event.replicaChange : sum), 0);
}

/**
 * storeScaleEvent: the new event replaces the last one older than the longest policy period
 * (no policy can count it any more), or is appended.
 */
export function recordScaleEvent(
  events: readonly ScaleEvent[],
  rules: ResolvedScalingRules,
  replicaChange: number,
  now: number,
): ScaleEvent[] {
  const longestPeriod = Math.max(0, ...rules.policies.map((policy) => policy.periodSeconds));
  const cutoff = now - longestPeriod * 1000;
  const event = { at: now, replicaChange };
  const outdated = events.findLastIndex((existing) => existing.at < cutoff);
  return outdated === -1
    ? [...events, event]
    : events.map((existing, index) => (index === outdated ? event : existing));
}
