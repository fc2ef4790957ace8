import type { ProcessIdentity } from "./process-table.ts";

/**
 * A process a target started, as the runtime records it (in `tidal run`'s --state-dir) so that a
 * Tidal started after a crash can take over or stop it instead of leaving it running beside new
 * ones.
 */
export interface RecordedProcess extends ProcessIdentity {
  /** The worker's index (TIDAL_WORKER_INDEX), or the job process's (TIDAL_JOB_INDEX). */
  index: number;
  /** A worker's $PORT. */
  port?: number;
  /** terminationGracePeriodSeconds, in milliseconds: how to stop it. */
  graceMs: number;
}

/** Records a process while its group runs; returns the function that forgets it once the group is gone. */
export type RecordProcess = (process: RecordedProcess) => () => void;

/** Records the group's leader, if it could be named, and forgets it when the group is gone. */
export function recordWhileRunning(
  record: RecordProcess | undefined,
  group: { identity: ProcessIdentity | undefined; gone: Promise<void> },
  details: Omit<RecordedProcess, keyof ProcessIdentity>,
): void {
  if (record === undefined || group.identity === undefined) return;
  const forget = record({ ...group.identity, ...details });
  void group.gone.then(forget);
}
