/**
 * Process groups that must not outlive Tidal. While any is registered, a synchronous
 * `process.on("exit")` handler SIGKILLs them all, so a Tidal that crashes or calls process.exit()
 * leaves no orphans; the handler is removed once the last group is gone.
 *
 * The "exit" event does not fire when a signal's default action ends Node (SIGINT, SIGTERM): the
 * runtime handles those signals and shuts its targets down, and `killAllNow` hastens that
 * shutdown when the user insists (a second Ctrl-C).
 */
/** Registered process groups, each with the check that it is still the group Tidal means. */
const groups = new Map<number, () => boolean>();
/** Set by killAllNow: Tidal is stopping, so a group registered later is killed at once. */
let killingAll = false;

function kill(group: number): void {
  try {
    process.kill(-group, "SIGKILL");
  } catch {
    // already gone
  }
}

function killAll(): void {
  for (const [group, stillOurs] of groups) if (stillOurs()) kill(group);
}

/**
 * Registers a process group; the returned function unregisters it. `stillOurs` is asked before
 * each signal, for a group that is not Tidal's child (whose id could be recycled unnoticed).
 */
export function killOnExit(processGroup: number, stillOurs: () => boolean = () => true): () => void {
  if (groups.size === 0) process.on("exit", killAll);
  groups.set(processGroup, stillOurs);
  if (killingAll && stillOurs()) kill(processGroup);
  return () => {
    if (groups.delete(processGroup) && groups.size === 0) process.off("exit", killAll);
  };
}

/**
 * SIGKILLs every registered process group now, and from now on every group registered later as
 * soon as it is: graceful stops in progress end as soon as their processes are gone. For a
 * shutdown that must not wait out grace periods; there is no way back.
 */
export function killAllNow(): void {
  killingAll = true;
  killAll();
}
