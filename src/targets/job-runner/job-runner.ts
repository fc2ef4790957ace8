import { randomInt } from "node:crypto";
import type { JobSpec } from "../../api/schema/scaled-job.ts";
import type { TargetEvent } from "../types.ts";
import type { BackoffPolicy } from "../shared/backoff.ts";
import { Listeners } from "../shared/listeners.ts";
import { assertWholeNumber } from "../shared/whole-number.ts";
import type { OutputStream } from "../shared/process-group.ts";
import type { RecordProcess } from "../shared/recorded-process.ts";
import { type JobTemplate, readJobTemplate } from "./job-template.ts";
import { type JobRecord, LocalJob } from "./local-job.ts";

export interface JobRunnerOptions {
  /** The ScaledJob's name: jobs are called `<scaledJobName>-<5 random characters>`. */
  scaledJobName: string;
  /** The ScaledJob's jobTargetRef. */
  jobSpec: JobSpec;
  /** The manifest's folder: containers[0].workingDir is relative to it. */
  baseDir: string;
  /** Variables the runtime resolved for containers[0], set over its literal `env` values. */
  env: Record<string, string>;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
  /** Delay before retrying a failed process; Kubernetes' 10 s doubling up to 6 min by default. */
  backoff?: Partial<BackoffPolicy>;
  /** Records each job process while it runs, so a Tidal started after a crash can stop it. */
  record?: RecordProcess;
}

/** Where an output line came from. */
export interface JobOutputSource {
  scaledJob: string;
  job: string;
  /** The process's TIDAL_JOB_INDEX. */
  index: number;
  stream: OutputStream;
}

const DEFAULT_JOB_BACKOFF: BackoffPolicy = { initialMs: 10_000, maxMs: 360_000 };
const NAME_SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

/**
 * Runs a ScaledJob's jobs as local processes: the standalone counterpart of KEDA creating batch/v1
 * Jobs. Finished jobs are kept as records up to the history limits.
 */
export class JobRunner {
  readonly scaledJobName: string;
  readonly #template: JobTemplate;
  readonly #backoff: BackoffPolicy;
  readonly #record: RecordProcess | undefined;
  readonly #limits: { succeeded: number; failed: number };
  /** Every job that is running or kept in history, oldest first. */
  readonly #jobs = new Map<string, LocalJob>();
  /** Finished jobs in the order they finished, per outcome. */
  readonly #history: { succeeded: LocalJob[]; failed: LocalJob[] } = { succeeded: [], failed: [] };
  /** Jobs dropped from history whose processes are not gone yet. */
  readonly #forgotten = new Set<Promise<void>>();
  #shutdown: Promise<void> | undefined;
  readonly #events = new Listeners<[TargetEvent]>();
  readonly #output = new Listeners<[string, JobOutputSource]>();

  /** Throws when containers[0] has no `command`. */
  constructor(options: JobRunnerOptions) {
    this.scaledJobName = options.scaledJobName;
    this.#template = readJobTemplate(options.jobSpec, options.baseDir, options.env);
    this.#backoff = { ...DEFAULT_JOB_BACKOFF, ...options.backoff };
    this.#record = options.record;
    this.#limits = { succeeded: options.successfulJobsHistoryLimit, failed: options.failedJobsHistoryLimit };
  }

  /** Creates and starts `count` jobs; returns their names. */
  createJobs(count: number): string[] {
    assertWholeNumber("count", count);
    if (this.#shutdown !== undefined) throw new Error(`job runner of ${this.scaledJobName} is shut down`);
    return Array.from({ length: count }, () => {
      const job = this.#newJob();
      this.#jobs.set(job.name, job);
      this.#events.emit({ type: "Normal", reason: "JobCreated", message: `Created job ${job.name}` });
      job.start();
      return job.name;
    });
  }

  /** KEDA's job counts: running = jobs not yet succeeded or failed; pending = running jobs with no process started. */
  counts(): { running: number; pending: number } {
    const running = [...this.#jobs.values()].filter((job) => job.state === "running");
    return { running: running.length, pending: running.filter((job) => job.pending).length };
  }

  /** Running jobs and the finished ones kept in history, oldest first. */
  jobs(): JobRecord[] {
    return [...this.#jobs.values()].map((job) => job.record());
  }

  onEvent(listener: (event: TargetEvent) => void): () => void {
    return this.#events.add(listener);
  }

  /** Each line a job's process writes to stdout or stderr. */
  onOutput(listener: (line: string, source: JobOutputSource) => void): () => void {
    return this.#output.add(listener);
  }

  /** Stops every job's processes gracefully; resolves when all are gone. Later calls join the first. */
  shutdown(): Promise<void> {
    this.#shutdown ??= Promise.all([
      ...[...this.#jobs.values()].map((job) => job.stop()),
      ...this.#forgotten,
    ]).then(() => {});
    return this.#shutdown;
  }

  #newJob(): LocalJob {
    let name: string;
    do {
      const suffix = Array.from(
        { length: 5 },
        () => NAME_SUFFIX_ALPHABET[randomInt(NAME_SUFFIX_ALPHABET.length)],
      );
      name = `${this.scaledJobName}-${suffix.join("")}`;
    } while (this.#jobs.has(name));
    const job: LocalJob = new LocalJob({
      name,
      template: this.#template,
      backoff: this.#backoff,
      onEvent: (event) => this.#events.emit(event),
      onLine: (line, index, stream) =>
        this.#output.emit(line, { scaledJob: this.scaledJobName, job: name, index, stream }),
      onFinish: () => this.#keepInHistory(job),
      ...(this.#record ? { record: this.#record } : {}),
    });
    return job;
  }

  #keepInHistory(job: LocalJob): void {
    const outcome = job.state === "succeeded" ? "succeeded" : "failed";
    const history = this.#history[outcome];
    history.push(job);
    for (const old of history.splice(0, Math.max(0, history.length - this.#limits[outcome]))) {
      this.#jobs.delete(old.name);
      const stopped = old.stop();
      this.#forgotten.add(stopped);
      void stopped.then(() => this.#forgotten.delete(stopped));
    }
  }
}
