import type { TargetEvent } from "../types.ts";
import { type BackoffPolicy, backoffDelay } from "../shared/backoff.ts";
import { type OutputStream, ProcessGroup } from "../shared/process-group.ts";
import { type ProcessExit, backOffMessage, formatSeconds } from "../shared/process-exit.ts";
import { recordWhileRunning, type RecordProcess } from "../shared/recorded-process.ts";
import type { JobTemplate } from "./job-template.ts";

export type JobState = "running" | "succeeded" | "failed";
export type JobFailureReason = "BackoffLimitExceeded" | "DeadlineExceeded";

/** A job as the status API shows it: the local counterpart of a batch/v1 Job's status. */
export interface JobRecord {
  name: string;
  createdAt: Date;
  /** When the job began running (Job status.startTime): jobs run as soon as they are created. */
  startedAt: Date;
  completedAt?: Date;
  state: JobState;
  reason?: JobFailureReason;
  /** Processes running now. */
  active: number;
  /** Processes that exited 0. */
  succeeded: number;
  /** Processes that failed (exited non-zero, were killed, or could not start). */
  failures: number;
}

export interface LocalJobOptions {
  name: string;
  template: JobTemplate;
  backoff: BackoffPolicy;
  onEvent(event: TargetEvent): void;
  /** A line of output from the process with TIDAL_JOB_INDEX `index`. */
  onLine(line: string, index: number, stream: OutputStream): void;
  /** The job succeeded or failed. */
  onFinish(): void;
  /** Records each process while it runs (see RecordedProcess). */
  record?: RecordProcess;
}

/**
 * One job: runs up to `parallelism` processes at once until `completions` of them exited 0
 * (each process has an index, 0 … completions-1, retried until it succeeds), retrying failed
 * processes with back-off. More than `backoffLimit` failures, or running past the deadline, fail it.
 */
export class LocalJob {
  readonly name: string;
  readonly createdAt = new Date();
  readonly startedAt = this.createdAt;
  readonly #options: LocalJobOptions;
  #state: JobState = "running";
  #reason: JobFailureReason | undefined;
  #completedAt: Date | undefined;
  /** Processes by index, until they exit. */
  readonly #running = new Map<number, ProcessGroup>();
  /** Every process group until it is gone. */
  readonly #groups = new Set<ProcessGroup>();
  readonly #succeeded = new Set<number>();
  #failures = 0;
  /** After a failure, no process starts before this time (ms since the epoch). */
  #notBefore = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #deadlineTimer: NodeJS.Timeout | undefined;
  #stopped: Promise<void> | undefined;

  constructor(options: LocalJobOptions) {
    this.name = options.name;
    this.#options = options;
  }

  get state(): JobState {
    return this.#state;
  }

  /** Running with no process started, e.g. waiting out a back-off (KEDA's pending job). */
  get pending(): boolean {
    return this.#state === "running" && this.#running.size === 0;
  }

  record(): JobRecord {
    return {
      name: this.name,
      createdAt: this.createdAt,
      startedAt: this.startedAt,
      completedAt: this.#completedAt,
      state: this.#state,
      reason: this.#reason,
      active: this.#running.size,
      succeeded: this.#succeeded.size,
      failures: this.#failures,
    };
  }

  start(): void {
    const { activeDeadlineMs } = this.#options.template;
    if (activeDeadlineMs !== undefined) {
      this.#deadlineTimer = setTimeout(
        () => this.#fail("DeadlineExceeded", `Job ${this.name} was active longer than specified deadline`),
        activeDeadlineMs,
      );
    }
    this.#launchWaiting();
  }

  /** Starts no more processes and stops the running ones gracefully; resolves when all are gone. */
  stop(): Promise<void> {
    this.#stopped ??= this.#stopProcesses();
    return this.#stopped;
  }

  async #stopProcesses(): Promise<void> {
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#deadlineTimer);
    const { graceMs } = this.#options.template;
    await Promise.all(
      [...this.#groups].map(async (group) => {
        const { killed } = await group.stop(graceMs);
        if (!killed) return;
        this.#options.onEvent({
          type: "Warning",
          reason: "Killing",
          message: `Killed a process of job ${this.name} (pid ${group.pid}): still running ${formatSeconds(graceMs)} after SIGTERM (terminationGracePeriodSeconds)`,
        });
      }),
    );
  }

  /** Indexes that still need a successful process and have none running. */
  #waitingIndexes(): number[] {
    const { completions, parallelism } = this.#options.template;
    if (completions === undefined && this.#succeeded.size > 0) return [];
    const indexes = Array.from({ length: completions ?? parallelism }, (_, index) => index);
    return indexes.filter((index) => !this.#succeeded.has(index) && !this.#running.has(index));
  }

  #isComplete(): boolean {
    const { completions } = this.#options.template;
    if (completions === undefined) return this.#succeeded.size > 0 && this.#running.size === 0;
    return this.#succeeded.size >= completions;
  }

  #launchWaiting(): void {
    if (this.#state !== "running" || this.#stopped !== undefined) return;
    if (this.#isComplete()) {
      this.#finish("succeeded", {
        type: "Normal",
        reason: "Completed",
        message: `Job ${this.name} completed`,
      });
      return;
    }
    const wait = this.#notBefore - Date.now();
    if (wait > 0) {
      this.#retryTimer ??= setTimeout(() => {
        this.#retryTimer = undefined;
        this.#launchWaiting();
      }, wait);
      return;
    }
    const free = this.#options.template.parallelism - this.#running.size;
    for (const index of this.#waitingIndexes().slice(0, Math.max(0, free))) this.#launch(index);
  }

  #launch(index: number): void {
    const { launch } = this.#options.template;
    const env = { ...launch.env, TIDAL_JOB_NAME: this.name, TIDAL_JOB_INDEX: String(index) };
    const group = new ProcessGroup(
      { ...launch, env },
      {
        onExit: (exit) => this.#onExit(index, exit),
        onLine: (line, stream) => this.#options.onLine(line, index, stream),
      },
    );
    recordWhileRunning(this.#options.record, group, { index, graceMs: this.#options.template.graceMs });
    this.#running.set(index, group);
    this.#groups.add(group);
    void group.gone.then(() => this.#groups.delete(group));
  }

  #onExit(index: number, exit: ProcessExit): void {
    this.#running.delete(index);
    if (this.#state !== "running" || this.#stopped !== undefined) return;
    if (exit.code === 0) {
      this.#succeeded.add(index);
      this.#launchWaiting();
      return;
    }
    this.#failures += 1;
    const { backoffLimit } = this.#options.template;
    if (this.#failures > backoffLimit) {
      this.#fail(
        "BackoffLimitExceeded",
        `Job ${this.name} has reached the specified backoff limit (${backoffLimit})`,
      );
      return;
    }
    const delayMs = backoffDelay(this.#options.backoff, this.#failures);
    this.#notBefore = Math.max(this.#notBefore, Date.now() + delayMs);
    this.#options.onEvent({
      type: "Warning",
      reason: "BackOff",
      message: backOffMessage(`process ${index} of job ${this.name}`, exit, delayMs),
    });
    this.#launchWaiting();
  }

  #fail(reason: JobFailureReason, message: string): void {
    this.#reason = reason;
    this.#finish("failed", { type: "Warning", reason, message });
    void this.stop();
  }

  #finish(state: JobState, event: TargetEvent): void {
    this.#state = state;
    this.#completedAt = new Date();
    clearTimeout(this.#deadlineTimer);
    clearTimeout(this.#retryTimer);
    this.#options.onEvent(event);
    this.#options.onFinish();
  }
}
