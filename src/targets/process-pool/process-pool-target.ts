import { resolve } from "node:path";
import type { ProcessPoolSpec } from "../../api/schema/process-pool.ts";
import type { ScaleTarget, TargetEvent } from "../types.ts";
import { Listeners } from "../shared/listeners.ts";
import { assertWholeNumber } from "../shared/whole-number.ts";
import type { LaunchSpec, OutputStream } from "../shared/process-group.ts";
import type { ProcessIdentity } from "../shared/process-table.ts";
import type { RecordProcess } from "../shared/recorded-process.ts";
import { PoolWorker, type RestartBackoff, type WorkerStatus } from "./pool-worker.ts";

export interface ProcessPoolTargetOptions {
  /** The ProcessPool's name, given to workers as $TIDAL_POOL. */
  name: string;
  spec: ProcessPoolSpec;
  /** The manifest's folder: `spec.cwd` is relative to it. */
  baseDir: string;
  /** The pool's environment as the runtime resolved it from `spec.env`, set over Tidal's own. */
  env: Record<string, string>;
  backoff?: Partial<RestartBackoff>;
  /** Records each worker process while it runs, so a Tidal started after a crash can find it. */
  record?: RecordProcess;
}

/** A worker process an earlier Tidal started for this pool, still running. */
export interface AdoptableWorker {
  index: number;
  identity: ProcessIdentity;
  port?: number;
}

/** Where an output line came from. */
export interface WorkerOutputSource {
  pool: string;
  worker: number;
  stream: OutputStream;
}

const DEFAULT_RESTART_BACKOFF: RestartBackoff = { initialMs: 1_000, maxMs: 60_000, resetAfterMs: 60_000 };

/**
 * Orders scale-down victims: workers that are not ready go first, then the newest. The order of
 * creation stands in for age; it is the order of `workers`.
 */
function scaleDownOrder(workers: readonly PoolWorker[]): PoolWorker[] {
  const newestFirst = [...workers].reverse();
  return [
    ...newestFirst.filter((worker) => worker.state !== "ready"),
    ...newestFirst.filter((worker) => worker.state === "ready"),
  ];
}

/**
 * A ProcessPool: local worker processes that Tidal scales like a Deployment's pods. It starts
 * with no workers; the runtime sets the first replica count (`spec.replicas` or its own decision).
 */
export class ProcessPoolTarget implements ScaleTarget {
  readonly name: string;
  readonly #launch: LaunchSpec;
  readonly #spec: ProcessPoolSpec;
  readonly #backoff: RestartBackoff;
  readonly #record: RecordProcess | undefined;
  /** The workers that should run, oldest first. */
  #workers: PoolWorker[] = [];
  /** Workers scaled away whose processes are not gone yet. */
  readonly #stopping = new Map<PoolWorker, Promise<void>>();
  #desired = 0;
  #shutdown: Promise<void> | undefined;
  readonly #events = new Listeners<[TargetEvent]>();
  readonly #output = new Listeners<[string, WorkerOutputSource]>();
  readonly #changes = new Listeners<[]>();

  constructor(options: ProcessPoolTargetOptions) {
    this.name = options.name;
    this.#spec = options.spec;
    this.#launch = {
      argv: [...options.spec.command, ...(options.spec.args ?? [])],
      cwd: resolve(options.baseDir, options.spec.cwd ?? "."),
      env: options.env,
    };
    this.#backoff = { ...DEFAULT_RESTART_BACKOFF, ...options.backoff };
    this.#record = options.record;
  }

  /**
   * Takes over worker processes an earlier Tidal started (still running, as the caller checked),
   * before the first `setReplicas`: they count as this pool's workers, so the replica count the
   * earlier run left is kept with the same processes instead of new ones beside them.
   */
  adopt(workers: readonly AdoptableWorker[]): void {
    if (this.#shutdown !== undefined) throw new Error(`process pool ${this.name} is shut down`);
    for (const adoptable of workers) {
      if (this.#workers.some((worker) => worker.index === adoptable.index)) continue;
      const worker = this.#newWorker(adoptable.index, adoptable);
      this.#workers.push(worker);
      void worker.start();
    }
    this.#workers.sort((a, b) => a.index - b.index);
    this.#desired = this.#workers.length;
  }

  async getReplicas(): Promise<number> {
    return this.#desired;
  }

  /**
   * Starts or stops workers to reach `replicas`. Resolves once new workers were spawned and
   * surplus ones were sent SIGTERM; stopping workers stay in `workers()` until they are gone.
   */
  async setReplicas(replicas: number): Promise<void> {
    assertWholeNumber("replicas", replicas);
    if (this.#shutdown !== undefined) throw new Error(`process pool ${this.name} is shut down`);
    this.#desired = replicas;
    const surplus = this.#workers.length - replicas;
    if (surplus > 0) this.#stopWorkers(scaleDownOrder(this.#workers).slice(0, surplus));
    const added = Array.from({ length: -surplus }, () => this.#addWorker());
    await Promise.all(added.map((worker) => worker.start()));
  }

  async observedReplicas(): Promise<{ existing: number; ready: number }> {
    return { existing: this.#workers.length, ready: this.#readyWorkers().length };
  }

  /** Every worker, stopping ones included, by index. */
  workers(): WorkerStatus[] {
    return [...this.#workers, ...this.#stopping.keys()]
      .map((worker) => worker.status())
      .sort((a, b) => a.index - b.index);
  }

  /** Where ready workers listen, for the HTTP proxy. */
  readyEndpoints(): { worker: number; port: number }[] {
    return this.#readyWorkers().flatMap((worker) => {
      const { port } = worker.status();
      return port === undefined ? [] : [{ worker: worker.index, port }];
    });
  }

  /** Resolves true once at least one worker is ready, false when `timeoutMs` passes first. */
  whenReady(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (ready: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        resolve(ready);
      };
      const check = () => {
        if (this.#readyWorkers().length > 0) finish(true);
      };
      const unsubscribe = this.#changes.add(check);
      const timer = setTimeout(() => finish(false), timeoutMs);
      check();
    });
  }

  onEvent(listener: (event: TargetEvent) => void): () => void {
    return this.#events.add(listener);
  }

  /** Each line a worker writes to stdout or stderr. */
  onOutput(listener: (line: string, source: WorkerOutputSource) => void): () => void {
    return this.#output.add(listener);
  }

  /** Stops every worker gracefully; resolves when all their process groups are gone. Later calls join the first. */
  shutdown(): Promise<void> {
    this.#shutdown ??= this.#stopAll();
    return this.#shutdown;
  }

  async #stopAll(): Promise<void> {
    this.#desired = 0;
    this.#stopWorkers(this.#workers);
    await Promise.all(this.#stopping.values());
  }

  #readyWorkers(): PoolWorker[] {
    return this.#workers.filter((worker) => worker.state === "ready");
  }

  #addWorker(): PoolWorker {
    const used = new Set([...this.#workers, ...this.#stopping.keys()].map((worker) => worker.index));
    let index = 0;
    while (used.has(index)) index += 1;
    const worker = this.#newWorker(index);
    this.#workers.push(worker);
    return worker;
  }

  #newWorker(index: number, adopt?: AdoptableWorker): PoolWorker {
    return new PoolWorker({
      index,
      launch: this.#launch,
      pool: this.name,
      readiness: this.#spec.readiness,
      graceMs: this.#spec.terminationGracePeriodSeconds * 1000,
      backoff: this.#backoff,
      onEvent: (event) => this.#events.emit(event),
      onLine: (line, stream) => this.#output.emit(line, { pool: this.name, worker: index, stream }),
      onChange: () => this.#changes.emit(),
      ...(this.#record ? { record: this.#record } : {}),
      ...(adopt
        ? { adopt: { identity: adopt.identity, ...(adopt.port === undefined ? {} : { port: adopt.port }) } }
        : {}),
    });
  }

  #stopWorkers(victims: readonly PoolWorker[]): void {
    this.#workers = this.#workers.filter((worker) => !victims.includes(worker));
    for (const worker of victims) {
      const stopped = worker.stop().then(() => {
        this.#stopping.delete(worker);
        this.#changes.emit();
      });
      this.#stopping.set(worker, stopped);
    }
  }
}
