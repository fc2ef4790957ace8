/** Numbers that summarize a simulation: replica-seconds, peaks, weighted percentiles. */

export interface ReplicaSummary {
  /** ∫ replicas dt over [0, duration]. */
  replicaSeconds: number;
  /** The most replicas at any time, the initial count included. */
  maxReplicas: number;
  /** How many times the replica count changed. */
  scaleEvents: number;
}

/**
 * Summarizes a step function that starts at `initial` and takes each step's value from its time on,
 * over [from, durationSeconds] (from 0 by default; a later start leaves a warm-up out).
 */
export function summarizeReplicas(
  initial: number,
  steps: readonly { t: number; replicas: number }[],
  durationSeconds: number,
  from = 0,
): ReplicaSummary {
  let current = initial;
  let index = 0;
  for (; index < steps.length && (steps[index]?.t ?? 0) < from; index++)
    current = steps[index]?.replicas ?? current;
  let replicaSeconds = 0;
  let maxReplicas = current;
  let scaleEvents = 0;
  let since = from;
  for (const step of steps.slice(index)) {
    if (step.replicas === current) continue;
    replicaSeconds += current * (Math.min(step.t, durationSeconds) - since);
    since = Math.min(step.t, durationSeconds);
    current = step.replicas;
    maxReplicas = Math.max(maxReplicas, current);
    scaleEvents++;
  }
  replicaSeconds += current * (durationSeconds - since);
  return { replicaSeconds, maxReplicas, scaleEvents };
}

/** The smallest value whose cumulative weight reaches `quantile` of the total (0 when empty). */
export function weightedPercentile(
  samples: readonly { value: number; weight: number }[],
  quantile: number,
): number {
  const sorted = samples.filter((sample) => sample.weight > 0).sort((a, b) => a.value - b.value);
  const total = sorted.reduce((sum, sample) => sum + sample.weight, 0);
  let cumulative = 0;
  for (const sample of sorted) {
    cumulative += sample.weight;
    if (cumulative >= quantile * total) return sample.value;
  }
  return sorted.at(-1)?.value ?? 0;
}
