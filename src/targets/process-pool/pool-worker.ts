import { messageOf } from "../../util/errors.ts";
import type { TargetEvent } from "../types.ts";
import { type BackoffPolicy, backoffDelay } from "../shared/backoff.ts";
import { AdoptedGroup } from "../shared/adopted-group.ts";
import {
  type LaunchSpec,
  type OutputStream,
  ProcessGroup,
  type RunningGroup,
} from "../shared/process-group.ts";
import type { ProcessIdentity } from "../shared/process-table.ts";
import { type RecordProcess, recordWhileRunning } from "../shared/recorded-process.ts";
import {
  type ProcessExit,
  STDERR_TAIL_LINES,
  backOffMessage,
  formatSeconds,
  tellingLine,
} from "../shared/process-exit.ts";
import { allocateFreePort } from "./free-port.ts";
import { waitUntilAccepting } from "./tcp-readiness.ts";

/**
 * - `starting`: getting a port and launching the process;
 * - `running`: the process runs but is not ready yet (tcp readiness: $PORT does not accept connections yet);
 * - `ready`: running and ready, so it gets traffic;
 * - `backoff`: the process exited and waits for its restart (`nextStartAt`);
 * - `stopping`: scaled away or shutting down, until its process group is gone.
 */
export type WorkerState = "starting" | "running" | "ready" | "stopping" | "backoff";

export interface WorkerStatus {
  index: number;
  /** The current process; absent while there is none (starting, backoff). */
  pid?: number;
  /** The current process's $PORT. */
  port?: number;
  state: WorkerState;
  /** How often the worker was restarted after its process exited. */
  restarts: number;
  lastExit?: ProcessExit;
  /** The last lines the last exited process wrote to stderr (up to 20). */
  lastStderr?: string[];
  /** When a worker in backoff starts again. */
  nextStartAt?: Date;
}

/** Restart back-off; a worker that ran for `resetAfterMs` before exiting starts over at `initialMs`. */
export interface RestartBackoff extends BackoffPolicy {
  resetAfterMs: number;
}

export interface PoolWorkerOptions {
  index: number;
  /** The pool's command; the worker adds PORT, TIDAL_WORKER_INDEX and TIDAL_POOL to its env. */
  launch: LaunchSpec;
  pool: string;
  readiness: "process" | "tcp";
  graceMs: number;
  backoff: RestartBackoff;
  onEvent(event: TargetEvent): void;
  onLine(line: string, stream: OutputStream): void;
  /** The worker's state changed. */
  onChange(): void;
  /** Records each process of the worker while it runs (see RecordedProcess). */
  record?: RecordProcess;
  /**
   * A process an earlier Tidal started for this worker, still running (the caller checked): the
   * worker takes it over instead of starting one, and starts its own only once it exits.
   */
  adopt?: { identity: ProcessIdentity; port?: number };
}

/** One worker of a ProcessPool: keeps a process running, restarting it with back-off when it exits. */
export class PoolWorker {
  readonly index: number;
  readonly #options: PoolWorkerOptions;
  #state: WorkerState = "starting";
  #group: RunningGroup | undefined;
  #pid: number | undefined;
  #port: number | undefined;
  #restarts = 0;
  #consecutiveFailures = 0;
  #lastExit: ProcessExit | undefined;
  #lastStderr: string[] | undefined;
  /** The current process's last stderr lines. */
  #stderr: string[] = [];
  #nextStartAt: Date | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #readinessProbe: AbortController | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: PoolWorkerOptions) {
    this.index = options.index;
    this.#options = options;
  }

  get state(): WorkerState {
    return this.#state;
  }

  status(): WorkerStatus {
    return {
      index: this.index,
      pid: this.#pid,
      port: this.#port,
      state: this.#state,
      restarts: this.#restarts,
      lastExit: this.#lastExit,
      lastStderr: this.#lastStderr,
      nextStartAt: this.#nextStartAt,
    };
  }

  /** Launches the process; resolves once it was spawned (or failed to). */
  async start(): Promise<void> {
    this.#setState("starting");
    const adopt = this.#options.adopt;
    if (this.#group === undefined && adopt !== undefined) {
      this.#takeOver(adopt.identity, adopt.port);
      return;
    }
    await this.#group?.gone;
    try {
      const port = await allocateFreePort();
      if (this.#stopping !== undefined) return;
      this.#port = port;
      const { launch, index, pool } = this.#options;
      const env = { ...launch.env, PORT: String(port), TIDAL_WORKER_INDEX: String(index), TIDAL_POOL: pool };
      this.#stderr = [];
      this.#group = new ProcessGroup(
        { ...launch, env },
        {
          onSpawn: () => this.#onSpawn(),
          onExit: (exit) => this.#onExit(exit),
          onLine: (line, stream) => {
            if (stream === "stderr") {
              this.#stderr.push(line);
              if (this.#stderr.length > STDERR_TAIL_LINES) this.#stderr.shift();
            }
            this.#options.onLine(line, stream);
          },
        },
      );
      this.#pid = this.#group.pid;
      recordWhileRunning(this.#options.record, this.#group, { index, port, graceMs: this.#options.graceMs });
    } catch (error) {
      // no free port (e.g. out of file descriptors): a failed start like any other
      if (this.#stopping === undefined)
        this.#onExit({ code: null, signal: null, error: messageOf(error), at: new Date() });
    }
  }

  /** Takes over the process an earlier Tidal started for this worker. */
  #takeOver(identity: ProcessIdentity, port: number | undefined): void {
    const group = new AdoptedGroup(identity, { onExit: (exit) => this.#onExit(exit) });
    this.#group = group;
    this.#pid = group.pid;
    this.#port = port;
    this.#markRunning();
    recordWhileRunning(this.#options.record, group, {
      index: this.index,
      ...(port === undefined ? {} : { port }),
      graceMs: this.#options.graceMs,
    });
    this.#options.onEvent({
      type: "Normal",
      reason: "Adopted",
      message: `Adopted worker ${this.index} (pid ${group.pid}${port === undefined ? "" : `, port ${port}`}) from an earlier tidal run; its output is not shown`,
    });
  }

  /** Stops the worker for good: SIGTERM, SIGKILL after the grace period; resolves when its process group is gone. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    clearTimeout(this.#restartTimer);
    this.#readinessProbe?.abort();
    this.#nextStartAt = undefined;
    this.#setState("stopping");
    const group = this.#group;
    if (group === undefined) return;
    const { killed } = await group.stop(this.#options.graceMs);
    if (killed) {
      this.#options.onEvent({
        type: "Warning",
        reason: "Killing",
        message: `Killed worker ${this.index} (pid ${group.pid}): still running ${formatSeconds(this.#options.graceMs)} after SIGTERM (terminationGracePeriodSeconds)`,
      });
    }
  }

  #onSpawn(): void {
    if (this.#stopping !== undefined) return;
    this.#markRunning();
    this.#options.onEvent({
      type: "Normal",
      reason: "Started",
      message: `Started worker ${this.index} (pid ${this.#pid}, port ${this.#port})`,
    });
  }

  #markRunning(): void {
    const { readiness } = this.#options;
    this.#setState(readiness === "process" ? "ready" : "running");
    if (readiness === "tcp" && this.#port !== undefined) void this.#probeReadiness(this.#port);
  }

  async #probeReadiness(port: number): Promise<void> {
    const probe = new AbortController();
    this.#readinessProbe = probe;
    if (await waitUntilAccepting(port, probe.signal)) this.#setState("ready");
  }

  #onExit(exit: ProcessExit): void {
    this.#readinessProbe?.abort();
    if (this.#stopping !== undefined) return;
    const { backoff, onEvent } = this.#options;
    const ranLongEnough = exit.ranForMs !== undefined && exit.ranForMs >= backoff.resetAfterMs;
    this.#consecutiveFailures = ranLongEnough ? 1 : this.#consecutiveFailures + 1;
    const delayMs = backoffDelay(backoff, this.#consecutiveFailures);
    this.#lastExit = exit;
    this.#lastStderr = this.#stderr.length > 0 ? this.#stderr : undefined;
    this.#stderr = [];
    this.#nextStartAt = new Date(exit.at.getTime() + delayMs);
    this.#pid = undefined;
    this.#port = undefined;
    this.#setState("backoff");
    const said = tellingLine(this.#lastStderr ?? []);
    onEvent({
      type: "Warning",
      reason: "BackOff",
      message: `${backOffMessage(`worker ${this.index}`, exit, delayMs)}${said === undefined ? "" : `; stderr: ${said}`}`,
    });
    this.#restartTimer = setTimeout(() => {
      this.#restarts += 1;
      this.#nextStartAt = undefined;
      void this.start();
    }, delayMs);
  }

  #setState(state: WorkerState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.#options.onChange();
  }
}
