/**
 * Process groups that must not outlive Tidal. While any is registered, a synchronous
 * `process.on("exit")` handler SIGKILLs them all, so a Tidal that crashes or calls process.exit()
 * leaves no orphans; the handler is removed once the last group is gone.
 *
 * The "exit" event does not fire when a signal's default action ends Node (SIGINT, SIGTERM): the
 * runtime handles those signals and shuts its targets down.
 */
const groups = new Set<number>();

function killAll(): void {
  for (const group of groups) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Registers a process group; the returned function unregisters it. */
export function killOnExit(processGroup: number): () => void {
  if (groups.size === 0) process.on("exit", killAll);
  groups.add(processGroup);
  return () => {
    if (groups.delete(processGroup) && groups.size === 0) process.off("exit", killAll);
  };
}
