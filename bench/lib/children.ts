/**
 * Every process the benchmark starts, so that all of them stop with it: on a normal end each
 * section stops its own; on an error, Ctrl-C or SIGTERM the rest get SIGTERM here (by pid), then
 * SIGKILL if they linger.
 */
import { fork, spawn, type ChildProcess, type ForkOptions, type SpawnOptions } from "node:child_process";

const running = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

export function spawnTracked(command: string, args: string[], options: SpawnOptions): ChildProcess {
  return track(spawn(command, args, options));
}

/** Runs a module of bench/ in a child Node process with an IPC channel. */
export function forkTracked(
  modulePath: string,
  args: string[] = [],
  options: ForkOptions = {},
): ChildProcess {
  return track(fork(modulePath, args, { stdio: ["ignore", "inherit", "inherit", "ipc"], ...options }));
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child, 5_000)));
}

let installed = false;

/** Stops every tracked child when the benchmark is interrupted or exits. */
export function stopChildrenOnExit(): void {
  if (installed) return;
  installed = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping ${running.size} child process(es)\n`);
      void stopAll().then(() => process.exit(130));
    });
  }
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL");
  });
}
