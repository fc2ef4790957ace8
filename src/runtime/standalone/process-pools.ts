import { dirname } from "node:path";
import type { Loaded, ManifestSet } from "../../api/resources.ts";
import type { ProcessPool } from "../../api/schema/process-pool.ts";
import { resolveContainerEnv } from "../../auth/container-env.ts";
import { manifestAuthSources } from "../../auth/manifest-sources.ts";
import type { Logger } from "../../observability/logger.ts";
import type { TidalMetrics } from "../../observability/metrics.ts";
import { ProcessPoolTarget } from "../../targets/process-pool/process-pool-target.ts";
import { isSameGroupLeader } from "../../targets/shared/process-table.ts";
import { fingerprintOf } from "../../util/stable-json.ts";
import type { EventLog, RuntimeEvent } from "../events.ts";
import type { EarlierProcess, ProcessRecords } from "./process-records.ts";
import { PoolLogs } from "./pool-logs.ts";

export interface RunningPool {
  /** Everything the pool's processes depend on: a change restarts the pool. */
  fingerprint: string;
  target: ProcessPoolTarget;
  ref: { namespace: string; name: string };
  /** The kind of the Deployment or StatefulSet of the files the pool was made from, if any. */
  workload?: string;
}

/** Lines of stderr kept per pool for the dashboard. */
const STDERR_LINES = 20;
/** A longer line is cut to this many characters. */
const STDERR_LINE_CHARS = 500;
/** The owner a pool's worker processes are recorded under (see ProcessRecords). */
export const poolOwner = (poolKey: string) => `processpool.${poolKey}`;

export const poolKeyOf = (object: { metadata: { namespace?: string | undefined; name: string } }) =>
  `${object.metadata.namespace ?? "default"}/${object.metadata.name}`;

interface PoolsOptions {
  logger: Logger;
  events: EventLog;
  metrics: TidalMetrics;
  records: ProcessRecords;
  /** Folder for workers' output files (rotated); none without it. */
  logDir?: string;
}

/**
 * The ProcessPools of the loaded files, kept in step with them: a new pool starts, a changed one
 * is restarted with its replica count, a removed one is stopped gracefully.
 */
export class ProcessPools {
  readonly #pools = new Map<string, RunningPool>();
  /** The latest stderr lines of each pool's workers (kept across restarts of the pool). */
  readonly #stderr = new Map<string, { at: string; worker: number; line: string }[]>();
  readonly #options: PoolsOptions;
  /** Workers' output: the last lines, followers and (with a log dir) rotated files. */
  readonly logs: PoolLogs;

  constructor(options: PoolsOptions) {
    this.#options = options;
    this.logs = new PoolLogs(options.logDir === undefined ? {} : { dir: options.logDir });
  }

  /** A pool as the files define it, with the fingerprint of everything its processes depend on. */
  async #describe(loaded: Loaded<ProcessPool>, set: ManifestSet, httpPools: ReadonlySet<string>) {
    const key = poolKeyOf(loaded.object);
    const spec = httpPools.has(key)
      ? { ...loaded.object.spec, readiness: "tcp" as const }
      : loaded.object.spec;
    const env = await resolveContainerEnv(
      spec,
      loaded.object.metadata.namespace ?? "default",
      manifestAuthSources(set),
    );
    return { key, spec, env, fingerprint: fingerprintOf({ spec, env, file: loaded.file }) };
  }

  /**
   * The workers an earlier run left that the files' pools can take over: those of a pool with
   * the same definition (fingerprint), whose pid still names the same process, one per index.
   */
  async adoptable(
    set: ManifestSet,
    httpPools: ReadonlySet<string>,
    earlier: readonly EarlierProcess[],
  ): Promise<Map<string, EarlierProcess[]>> {
    const adoptable = new Map<string, EarlierProcess[]>();
    for (const loaded of set.processPools) {
      const { key, fingerprint } = await this.#describe(loaded, set, httpPools);
      const workers: EarlierProcess[] = [];
      for (const process of earlier) {
        if (process.owner !== poolOwner(key) || process.fingerprint !== fingerprint) continue;
        if (workers.some((worker) => worker.index === process.index) || !isSameGroupLeader(process)) continue;
        workers.push(process);
      }
      if (workers.length > 0) adoptable.set(key, workers);
    }
    return adoptable;
  }

  /**
   * Applies the files' pools. `initialReplicas` gives a new pool its first count (the scaling state
   * kept across restarts); `httpPools` are behind the HTTP proxy, where a worker is ready only
   * once it accepts connections on $PORT. A new pool first takes over its `adopt` workers (see
   * `adoptable`).
   */
  async apply(
    set: ManifestSet,
    initialReplicas: (poolKey: string) => number | undefined,
    httpPools: ReadonlySet<string>,
    adopt: ReadonlyMap<string, readonly EarlierProcess[]> = new Map(),
  ): Promise<void> {
    const wanted = new Set<string>();
    for (const loaded of set.processPools) {
      const { key, spec, env, fingerprint } = await this.#describe(loaded, set, httpPools);
      wanted.add(key);
      const running = this.#pools.get(key);
      if (running?.fingerprint === fingerprint) continue;
      const replicas = running ? await running.target.getReplicas() : (initialReplicas(key) ?? spec.replicas);
      if (running) await running.target.shutdown();
      const target = this.#start(loaded, spec, env, fingerprint);
      const adopted = running ? [] : (adopt.get(key) ?? []);
      if (adopted.length > 0) {
        target.adopt(
          adopted.map(({ index, port, pid, startTicks, bootId }) => ({
            index,
            identity: { pid, startTicks, bootId },
            ...(port === undefined ? {} : { port }),
          })),
        );
        this.#options.records.release(adopted);
      }
      this.#pools.set(key, {
        fingerprint,
        target,
        ref: { namespace: loaded.object.metadata.namespace ?? "default", name: loaded.object.metadata.name },
        ...(loaded.workload === undefined ? {} : { workload: loaded.workload.kind }),
      });
      await target.setReplicas(replicas);
    }
    for (const [key, running] of this.#pools) {
      if (wanted.has(key)) continue;
      this.#pools.delete(key);
      this.#stderr.delete(key);
      await running.target.shutdown();
    }
  }

  get(key: string): RunningPool | undefined {
    return this.#pools.get(key);
  }

  #start(
    loaded: Loaded<ProcessPool>,
    spec: ProcessPool["spec"],
    env: Record<string, string>,
    fingerprint: string,
  ): ProcessPoolTarget {
    const { metadata } = loaded.object;
    const ref = { kind: "ProcessPool", namespace: metadata.namespace ?? "default", name: metadata.name };
    const target = new ProcessPoolTarget({
      name: metadata.name,
      spec,
      baseDir: dirname(loaded.file),
      env,
      record: this.#options.records.recorder(poolOwner(poolKeyOf(loaded.object)), fingerprint),
    });
    const logger = this.#options.logger.child({ pool: metadata.name });
    target.onEvent((event) => {
      this.#options.events.record(ref, event.type, event.reason, event.message);
      if (event.reason === "BackOff")
        this.#options.metrics.workerRestarts.inc({ namespace: ref.namespace, pool: ref.name });
    });
    const key = poolKeyOf(loaded.object);
    target.onOutput((line, source) => {
      logger.info(line, { worker: source.worker, stream: source.stream });
      this.logs.append(key, {
        at: new Date().toISOString(),
        worker: source.worker,
        stream: source.stream,
        line,
      });
      if (source.stream !== "stderr") return;
      const lines = this.#stderr.get(key) ?? [];
      lines.push({
        at: new Date().toISOString(),
        worker: source.worker,
        line: line.slice(0, STDERR_LINE_CHARS),
      });
      if (lines.length > STDERR_LINES) lines.shift();
      this.#stderr.set(key, lines);
    });
    return target;
  }

  /** Stops every worker gracefully (SIGTERM, then SIGKILL after the grace period). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.target.shutdown()));
    this.#pools.clear();
    this.logs.close();
  }

  snapshots(): {
    namespace: string;
    name: string;
    workload?: string;
    replicas: number;
    workers: ReturnType<ProcessPoolTarget["workers"]>;
    events: RuntimeEvent[];
    logFile?: string;
    stderr: { at: string; worker: number; line: string }[];
  }[] {
    return [...this.#pools].map(([key, pool]) => ({
      ...pool.ref,
      ...(pool.workload === undefined ? {} : { workload: pool.workload }),
      ...(this.logs.pathOf(poolKeyOf({ metadata: pool.ref })) === undefined
        ? {}
        : { logFile: this.logs.pathOf(poolKeyOf({ metadata: pool.ref })) }),
      replicas: pool.target.workers().filter((worker) => worker.state !== "stopping").length,
      workers: pool.target.workers(),
      events: this.#options.events.recent({ kind: "ProcessPool", ...pool.ref }),
      stderr: [...(this.#stderr.get(key) ?? [])],
    }));
  }
}
