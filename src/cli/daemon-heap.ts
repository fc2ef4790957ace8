/**
 * V8 sizes its young generation for throughput: under a steady stream of short-lived objects
 * (thousands of triggers polling) it grows to 128 MiB and stays there. The long-running commands
 * cap it at 32 MiB (two 16 MiB semi-spaces): at 10,000 ScaledObjects that is about 100 MiB less
 * resident memory for a few more, cheap, scavenges. V8 reads the limit only at start, so the
 * command relaunches itself in place (same process id) with the flag.
 */
const DAEMON_COMMANDS = new Set(["run", "operator"]);
const SEMI_SPACE_FLAG = "--max-semi-space-size";
export const DAEMON_SEMI_SPACE_MIB = 16;

/**
 * The argument vector to relaunch with, or undefined when no relaunch is needed: another
 * command, or the user chose a semi-space size already (on the command line or in NODE_OPTIONS).
 */
export function daemonRelaunchArgv(
  argv: readonly string[],
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): string[] | undefined {
  const [execPath, script, command] = argv;
  if (execPath === undefined || script === undefined || !DAEMON_COMMANDS.has(command ?? "")) return undefined;
  const chosen = [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some(
    (flag) => flag === SEMI_SPACE_FLAG || flag.startsWith(`${SEMI_SPACE_FLAG}=`),
  );
  if (chosen) return undefined;
  return [execPath, `${SEMI_SPACE_FLAG}=${DAEMON_SEMI_SPACE_MIB}`, ...execArgv, ...argv.slice(1)];
}
