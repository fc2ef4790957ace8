/** How a process ended, or why it never started. */
export interface ProcessExit {
  /** The exit code; null when a signal ended the process or it never started. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the process could not be started, e.g. "command not found: foo". */
  error?: string;
  at: Date;
  /** How long the process ran; absent when it never started. */
  ranForMs?: number;
  /** An earlier Tidal started it (see AdoptedGroup): how it ended cannot be known. */
  adopted?: boolean;
}

/** "0.04 s", "0.1 s", "1.5 s", "90 s": two decimals below a second, one above. */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return `${Number(seconds.toFixed(seconds < 1 ? 2 : 1))} s`;
}

/** "exited with code 1 after 0.1 s", "killed by SIGKILL after 3 s", "command not found: foo". */
export function describeExit(exit: ProcessExit): string {
  if (exit.error !== undefined) return exit.error;
  const how = exit.adopted
    ? "exited (started by an earlier tidal run, so its exit status is unknown)"
    : exit.signal === null
      ? `exited with code ${exit.code}`
      : `killed by ${exit.signal}`;
  return exit.ranForMs === undefined ? how : `${how} after ${formatSeconds(exit.ranForMs)}`;
}

/** The message of a `BackOff` event, in the words of the kubelet's "Back-off restarting failed container". */
export function backOffMessage(subject: string, exit: ProcessExit, delayMs: number): string {
  return `Back-off restarting failed ${subject}: ${describeExit(exit)}; next start in ${formatSeconds(delayMs)}`;
}

/** How many of a process's last stderr lines are kept for its exit report. */
export const STDERR_TAIL_LINES = 20;

/** A line of a stack trace or blank: says nothing on its own. */
const NOISE = /^\s*$|^\s+at\s|^\s*\^+\s*$|^Node\.js v\d/;
const TELLING = /error|exception|fatal|panic|cannot|can't|could not|not found|denied|refused|traceback/i;

/**
 * The line of a failed process's stderr that most likely says why: the last one naming an error,
 * else the last one that is not part of a stack trace; undefined for silent output.
 */
export function tellingLine(stderr: readonly string[]): string | undefined {
  const lines = stderr.filter((line) => !NOISE.test(line));
  const line = lines.findLast((candidate) => TELLING.test(candidate)) ?? lines.at(-1);
  if (line === undefined) return undefined;
  const trimmed = line.trim();
  return trimmed.length > 300 ? `${trimmed.slice(0, 299)}…` : trimmed;
}

/** The last `count` lines of stderr worth showing (no blank lines or stack frames). */
export function stderrTail(stderr: readonly string[], count = 5): string[] {
  return stderr.filter((line) => !NOISE.test(line)).slice(-count);
}
