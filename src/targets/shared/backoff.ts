/** Exponential back-off: the first retry waits `initialMs`, each further one twice as long, up to `maxMs`. */
export interface BackoffPolicy {
  initialMs: number;
  maxMs: number;
}

/** The wait before the retry that follows the `failures`-th consecutive failure (1 for the first). */
export function backoffDelay(policy: BackoffPolicy, failures: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, failures - 1));
}
