import { type ChildProcessByStdio, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { setTimeout as delay } from "node:timers/promises";
import { messageOf } from "../../util/errors.ts";
import { killOnExit } from "./last-resort-kill.ts";
import type { ProcessExit } from "./process-exit.ts";
import { isGroupRunning, processIdentity, type ProcessIdentity } from "./process-table.ts";

export type OutputStream = "stdout" | "stderr";

/** What to run: argv[0] is looked up on PATH (or relative to cwd when it contains a slash). */
export interface LaunchSpec {
  argv: readonly string[];
  cwd: string;
  /** Variables set over Tidal's own environment. */
  env: Record<string, string>;
}

/** A running (or adopted) process group as its owners use it. */
export interface RunningGroup {
  /** The leader's pid, which is also the process group id; undefined when the command could not start. */
  readonly pid: number | undefined;
  /** Names the leader beyond its pid, so a later Tidal can recognise it (see ProcessIdentity). */
  readonly identity: ProcessIdentity | undefined;
  /** Resolves once the leader has exited and no process of its group runs any more. */
  readonly gone: Promise<void>;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when the group is gone. */
  stop(graceMs: number): Promise<{ killed: boolean }>;
}

export interface ProcessGroupHandlers {
  /** The process started (it may still exit at once). */
  onSpawn?(): void;
  /** The process exited, or could not be started. Called once. */
  onExit(exit: ProcessExit): void;
  onLine(line: string, stream: OutputStream): void;
}

/** How often to look whether a group's last process is gone. */
const GONE_POLL_MS = 25;

function signalGroup(processGroup: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-processGroup, signal);
  } catch {
    // the group is already gone
  }
}

function describeSpawnError(error: NodeJS.ErrnoException, spec: LaunchSpec): string {
  const command = spec.argv[0] ?? "";
  if (error.code === "ENOENT") {
    return existsSync(spec.cwd)
      ? `command not found: ${command}`
      : `working directory not found: ${spec.cwd}`;
  }
  if (error.code === "EACCES") return `permission denied: ${command}`;
  return `cannot start ${command}: ${messageOf(error)}`;
}

/** Forwards each line; resolves when the stream has ended (its last line forwarded). */
function forwardLines(
  stream: Readable,
  name: OutputStream,
  onLine: ProcessGroupHandlers["onLine"],
): Promise<void> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on("line", (line) => onLine(line, name));
  return new Promise((resolve) => lines.once("close", resolve));
}

/**
 * How long an exit waits for the process's last output lines: the pipes usually close with the
 * process, but a child it left behind may hold them open.
 */
const LAST_OUTPUT_WAIT_MS = 200;

/**
 * A command running as the leader of its own process group, so that it and every process it
 * starts can be signalled together. Like a container, the group lives as long as its leader: when
 * the leader exits, whatever it left behind in the group is SIGKILLed.
 */
export class ProcessGroup implements RunningGroup {
  readonly pid: number | undefined;
  readonly identity: ProcessIdentity | undefined;
  readonly gone: Promise<void>;
  #exited = false;
  #stopping: Promise<{ killed: boolean }> | undefined;

  constructor(spec: LaunchSpec, handlers: ProcessGroupHandlers) {
    const [command = "", ...args] = spec.argv;
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(command, args, {
        cwd: spec.cwd,
        env: { ...process.env, ...spec.env },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      // arguments spawn() refuses outright, such as a NUL byte: reported like a command that is not found
      this.pid = undefined;
      this.identity = undefined;
      this.#exited = true;
      const exit = {
        code: null,
        signal: null,
        error: `cannot start ${command}: ${messageOf(error)}`,
        at: new Date(),
      };
      this.gone = Promise.resolve().then(() => handlers.onExit(exit));
      return;
    }
    const pid = child.pid;
    this.pid = pid;
    this.identity = pid === undefined ? undefined : processIdentity(pid);
    const unregister = pid === undefined ? () => {} : killOnExit(pid);
    const outputEnded = Promise.all([
      forwardLines(child.stdout, "stdout", handlers.onLine),
      forwardLines(child.stderr, "stderr", handlers.onLine),
    ]);

    let spawnedAt: number | undefined;
    const exited = new Promise<void>((resolve) => {
      const finish = (exit: ProcessExit) => {
        if (this.#exited) return;
        this.#exited = true;
        handlers.onExit(exit);
        resolve();
      };
      child.once("spawn", () => {
        spawnedAt = Date.now();
        handlers.onSpawn?.();
      });
      child.once("exit", (code, signal) => {
        const at = new Date();
        const ranForMs = spawnedAt === undefined ? undefined : at.getTime() - spawnedAt;
        // onExit comes after the process's last lines, so that it can report them (e.g. its error)
        const wait = setTimeout(() => finish({ code, signal, at, ranForMs }), LAST_OUTPUT_WAIT_MS);
        void outputEnded.then(() => {
          clearTimeout(wait);
          finish({ code, signal, at, ranForMs });
        });
      });
      child.on("error", (error) => {
        if (spawnedAt !== undefined) return; // only spawning reports errors: Tidal signals the group itself
        finish({ code: null, signal: null, error: describeSpawnError(error, spec), at: new Date() });
      });
    });

    this.gone = exited.then(async () => {
      if (pid === undefined) return;
      signalGroup(pid, "SIGKILL");
      while (isGroupRunning(pid)) await delay(GONE_POLL_MS);
      unregister();
    });
  }

  /**
   * SIGTERM to the group, SIGKILL if the leader still runs after `graceMs`. Resolves when the group
   * is gone, with `killed` telling whether it took the SIGKILL. Calling it again joins the first stop.
   */
  stop(graceMs: number): Promise<{ killed: boolean }> {
    this.#stopping ??= this.#terminate(graceMs);
    return this.#stopping;
  }

  async #terminate(graceMs: number): Promise<{ killed: boolean }> {
    const pid = this.pid;
    if (pid === undefined || this.#exited) {
      await this.gone;
      return { killed: false };
    }
    let killed = false;
    signalGroup(pid, "SIGTERM");
    const deadline = setTimeout(() => {
      if (this.#exited) return;
      killed = true;
      signalGroup(pid, "SIGKILL");
    }, graceMs);
    await this.gone;
    clearTimeout(deadline);
    return { killed };
  }
}
