/** How often the parent process is looked at. */
const PARENT_POLL_MS = 500;

/**
 * When npm started Tidal (`npx tidal ...`, an npm script), npm runs it under `sh -c`, which does not
 * pass on SIGTERM: npm and the shell exit and Tidal would run on, orphaned. So under npm, Tidal
 * takes its parent's exit as its own SIGTERM. Run directly (the installed `tidal`, a supervisor),
 * Tidal is the process that receives the signal and nothing is watched.
 * Returns a function that stops watching.
 */
export function stopWithNpmParent(
  environment: Readonly<Record<string, string | undefined>>,
  onParentGone: () => void = () => process.kill(process.pid, "SIGTERM"),
  parentPid: () => number = () => process.ppid,
): () => void {
  if (environment.npm_command === undefined && environment.npm_lifecycle_event === undefined) return () => {};
  if (environment.TIDAL_FOLLOW_NPM === "0") return () => {};
  const parent = parentPid();
  const timer = setInterval(() => {
    if (parentPid() === parent) return;
    clearInterval(timer);
    onParentGone();
  }, PARENT_POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
