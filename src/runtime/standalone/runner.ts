import { dirname } from "node:path";
import type { Loaded, ManifestSet } from "../../api/resources.ts";
import type { ScaledJob } from "../../api/schema/scaled-job.ts";
import { usesFormula, type ScaledObject } from "../../api/schema/scaled-object.ts";
import type { ForecastHistory } from "../../engine/forecast/stage.ts";
import type { DecisionTrace, ScaledObjectState, TriggerMetricSpec } from "../../engine/types.ts";
import type { Logger } from "../../observability/logger.ts";
import type { TidalMetrics } from "../../observability/metrics.ts";
import { ConnectionPool } from "../../scalers/connection-pool.ts";
import {
  connectTrigger,
  prepareTrigger,
  type PreparedTrigger,
  type TriggerMeasurer,
} from "../../scalers/prepared-trigger.ts";
import type { ScheduledTask, Scheduler } from "../../scheduler/scheduler.ts";
import { JobRunner } from "../../targets/job-runner/job-runner.ts";
import { messageOf } from "../../util/errors.ts";
import { fingerprintOf } from "../../util/stable-json.ts";
import type { EventLog, ObjectRef, RuntimeEvent } from "../events.ts";
import { JobLoop } from "../job-loop.ts";
import { initialState } from "../../engine/decide.ts";
import { ScaleLoop } from "../scale-loop.ts";
import type { ObjectSnapshot } from "../snapshot.ts";
import type { StateStore } from "../state-store.ts";
import { HttpRouting } from "./http-routing.ts";
import { httpTrigger, scaledObjectForHttp } from "./http-scaling.ts";
import { poolKeyOf as keyOf, ProcessPools, type RunningPool } from "./process-pools.ts";
import type { ScalingHistory } from "../history.ts";
import type { DashboardObject, DashboardSource, PoolLogSource, StatusSource } from "../status/source.ts";
import { fileTriggerInputs, targetEnvironment, type FileEnvironment } from "../file-trigger-inputs.ts";

export interface RunnerOptions {
  scheduler: Scheduler;
  store: StateStore;
  metrics: TidalMetrics;
  events: EventLog;
  /** Where the loops leave their points, for the dashboard. */
  history: ScalingHistory;
  logger: Logger;
  /** Deadline of one measurement (KEDA_HTTP_DEFAULT_TIMEOUT). */
  timeoutMs: number;
  /** How often each ScaledObject syncs like the HPA (default 15 s). */
  hpaSyncPeriodMs?: number;
  /** Tidal's own environment and cluster-object namespace, for triggers read from files. */
  environment: FileEnvironment;
  /** Port of the HTTP proxy for HTTPScaledObjects (started only when there is one). */
  httpPort: number;
  /** Folder for workers' output files (rotated); none without it. */
  logDir?: string;
  now?: () => number;
}

/** A ScaledObject to run: a user's, or the one an HTTPScaledObject implies. */
interface Scalable {
  key: string;
  object: ScaledObject;
  /** The pool it scales. */
  poolKey: string;
  triggers: PreparedTrigger[];
  /** Everything its behaviour depends on, to tell whether a reload changed it. */
  inputs: unknown;
}

/** What a ScaledObject's loop keeps across restarts of `tidal run` (in --state-dir). */
interface PersistedScaleState {
  engine: ScaledObjectState;
  /** Replicas Tidal last set, restored on restart so a restart never drops workers mid-cooldown. */
  replicas: number;
}

interface RunningObject {
  fingerprint: string;
  loop: ScaleLoop;
  /** The state last persisted (or loaded), carried over when the object changes. */
  persisted: PersistedScaleState;
  stopWatching: (() => void)[];
}

interface RunningJob {
  fingerprint: string;
  loop: JobLoop;
  runner: JobRunner;
  stopWatching: (() => void)[];
}

/**
 * `tidal run`'s engine room: ProcessPools, one scale loop per ScaledObject (and per
 * HTTPScaledObject, behind the HTTP proxy) and one job loop per ScaledJob, all on the shared
 * scheduler, with state kept in the state store. `apply` takes a whole manifest set, first at
 * start and again on every reload, and changes only what changed.
 */
export class StandaloneRunner implements StatusSource, DashboardSource {
  readonly title = "tidal run";
  readonly #options: RunnerOptions;
  readonly #pool = new ConnectionPool();
  readonly #pools: ProcessPools;
  readonly #http: HttpRouting;
  readonly #objects = new Map<string, RunningObject>();
  readonly #jobs = new Map<string, RunningJob>();
  readonly #now: () => number;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#pools = new ProcessPools(options);
    this.#http = new HttpRouting({ pools: this.#pools, logger: options.logger, port: options.httpPort });
  }

  /** Where the HTTP proxy listens, once an HTTPScaledObject started it. */
  get httpProxyPort(): number | undefined {
    return this.#http.port;
  }

  async apply(set: ManifestSet): Promise<void> {
    const scalables = await this.#scalables(set);
    const persisted = new Map<string, PersistedScaleState>();
    for (const scalable of scalables) {
      const state = await this.#options.store.load<PersistedScaleState>(scalable.key);
      if (state) persisted.set(scalable.key, state);
    }
    const httpPools = new Set(
      set.httpScaledObjects.map(
        (loaded) => `${loaded.object.metadata.namespace}/${loaded.object.spec.scaleTargetRef.name}`,
      ),
    );
    // A new pool starts with the replicas its scaler last set, so a restart keeps them.
    const initialReplicas = (poolKey: string) => {
      const owner = scalables.find((scalable) => scalable.poolKey === poolKey);
      return owner && persisted.get(owner.key)?.replicas;
    };
    await this.#pools.apply(set, initialReplicas, httpPools);
    await this.#http.apply(set);
    await this.#applyScalables(scalables, persisted);
    await this.#applyScaledJobs(set);
  }

  /** The ScaledObjects to run: the files' own, and one per HTTPScaledObject. */
  async #scalables(set: ManifestSet): Promise<Scalable[]> {
    const scalables: Scalable[] = [];
    for (const loaded of set.scaledObjects) {
      const object = loaded.object;
      const environment = await targetEnvironment(object, set, this.#options.environment);
      const inputs = await Promise.all(
        object.spec.triggers.map((trigger) =>
          fileTriggerInputs(object, trigger, set, environment, this.#options.environment),
        ),
      );
      const asMetricSource = usesFormula(object);
      scalables.push({
        key: `scaledobject.${keyOf(object)}`,
        object,
        poolKey: `${object.metadata.namespace}/${object.spec.scaleTargetRef.name}`,
        triggers: object.spec.triggers.map((trigger, index) =>
          prepareTrigger(trigger, index, inputs[index] as never, {
            asMetricSource,
            namespace: object.metadata.namespace,
          }),
        ),
        inputs,
      });
    }
    for (const loaded of set.httpScaledObjects) {
      const object = scaledObjectForHttp(loaded.object);
      scalables.push({
        key: `httpscaledobject.${keyOf(loaded.object)}`,
        object,
        poolKey: `${object.metadata.namespace}/${object.spec.scaleTargetRef.name}`,
        triggers: [httpTrigger(loaded.object, this.#http)],
        inputs: loaded.object.spec,
      });
    }
    return scalables;
  }

  async #applyScalables(scalables: Scalable[], persisted: Map<string, PersistedScaleState>): Promise<void> {
    const wanted = new Set<string>();
    for (const scalable of scalables) {
      wanted.add(scalable.key);
      const pool = this.#pools.get(scalable.poolKey);
      if (pool === undefined) continue;
      const fingerprint = fingerprintOf({
        object: scalable.object,
        inputs: scalable.inputs,
        pool: pool.fingerprint,
      });
      const running = this.#objects.get(scalable.key);
      if (running?.fingerprint === fingerprint) continue;
      const previous = running?.persisted ?? persisted.get(scalable.key);
      if (running) await this.#stopObject(scalable.key, running);
      const state = previous ?? {
        engine: initialState(this.#createdAt(scalable.object.metadata.creationTimestamp)),
        replicas: await pool.target.getReplicas(),
      };
      await this.#startObject(scalable, pool, state, fingerprint);
    }
    for (const [key, running] of this.#objects) {
      if (wanted.has(key)) continue;
      await this.#stopObject(key, running);
      this.#options.history.forget(running.loop.ref);
    }
  }

  #createdAt(creationTimestamp: string | undefined): number {
    const created = Date.parse(creationTimestamp ?? "");
    return Number.isFinite(created) ? created : this.#now();
  }

  /**
   * Connects an object's triggers and learns their metrics. External scalers are asked for theirs;
   * one that cannot answer yet keeps its placeholder and is asked again at its first measurement.
   */
  async #connect(object: ScaledObject | ScaledJob, triggers: PreparedTrigger[]) {
    const asMetricSource = object.kind === "ScaledObject" && usesFormula(object);
    const measurers = triggers.map((prepared) =>
      connectTrigger(prepared, {
        scalableObject: {
          kind: object.kind,
          namespace: object.metadata.namespace ?? "default",
          name: object.metadata.name,
        },
        metricType: prepared.metricSpec?.targetType ?? "AverageValue",
        asMetricSource,
        timeoutMs: this.#options.timeoutMs,
        pool: this.#pool,
        processEnvironment: this.#options.environment.inherited,
        ...(this.#options.environment.kubernetes ? { kubernetes: this.#options.environment.kubernetes } : {}),
      }),
    );
    const specs = await Promise.all(
      measurers.map((measurer) =>
        measurer.describe().catch((error: unknown) => {
          this.#options.logger.warn("trigger metric not described yet", {
            object: object.metadata.name,
            trigger: measurer.prepared.index,
            error: messageOf(error),
          });
          return measurer.prepared.metricSpec as TriggerMetricSpec;
        }),
      ),
    );
    return { measurers, specs };
  }

  /**
   * Schedules a loop's tasks and wires its push triggers to wake them all (a push moves the next
   * poll and, in direct mode, the next HPA sync earlier); returns what stops the push triggers.
   */
  #schedule(
    key: string,
    tasks: readonly ScheduledTask[],
    triggers: readonly TriggerMeasurer[],
  ): (() => void)[] {
    const logger = this.#options.logger.child({ object: key });
    for (const task of tasks) {
      this.#options.scheduler.add({
        ...task,
        run: async () => {
          await task.run();
          logger.debug("evaluated", { task: task.key });
        },
      });
    }
    const wake = () => {
      for (const task of tasks) this.#options.scheduler.wake(task.key);
    };
    return triggers.flatMap((trigger) =>
      trigger.scaler.watch
        ? [
            trigger.scaler.watch(wake, (error) =>
              logger.warn("push trigger failed", {
                trigger: trigger.prepared.index,
                error: trigger.prepared.redact(messageOf(error)),
              }),
            ),
          ]
        : [],
    );
  }

  async #startObject(
    scalable: Scalable,
    pool: RunningPool,
    persisted: PersistedScaleState,
    fingerprint: string,
  ): Promise<void> {
    const { measurers: triggers, specs } = await this.#connect(scalable.object, scalable.triggers);
    const loop: ScaleLoop = new ScaleLoop({
      object: scalable.object,
      triggers: { measurers: triggers, specs },
      strategy: "direct",
      hpaSyncPeriodMs: this.#options.hpaSyncPeriodMs,
      target: pool.target,
      targetRef: { kind: "ProcessPool", name: pool.ref.name },
      state: persisted.engine,
      now: this.#now,
      metrics: this.#options.metrics,
      events: this.#options.events,
      history: this.#options.history,
      persist: async (latest) => {
        const running = this.#objects.get(scalable.key);
        if (running?.loop === loop) running.persisted = latest;
        await this.#options.store.save(scalable.key, latest);
      },
      // The forecast annotation's recorded history, in a file of its own (saved every few minutes).
      forecastStore: {
        load: () => this.#options.store.load<ForecastHistory>(`forecast.${scalable.key}`),
        save: (history) => this.#options.store.save(`forecast.${scalable.key}`, history),
      },
    });
    const stopWatching = this.#schedule(scalable.key, loop.tasks(scalable.key), triggers);
    this.#objects.set(scalable.key, { fingerprint, loop, persisted, stopWatching });
  }

  async #stopObject(key: string, running: RunningObject): Promise<void> {
    for (const task of running.loop.tasks(key)) this.#options.scheduler.remove(task.key);
    for (const stop of running.stopWatching) stop();
    await running.loop.close();
    this.#objects.delete(key);
    this.#options.metrics.forgetObject("scaledobject", running.loop.ref.namespace, running.loop.ref.name);
  }

  async #applyScaledJobs(set: ManifestSet): Promise<void> {
    const wanted = new Set<string>();
    for (const loaded of set.scaledJobs) {
      const object = loaded.object;
      const key = `scaledjob.${keyOf(object)}`;
      wanted.add(key);
      const environment = await targetEnvironment(object, set, this.#options.environment);
      const inputs = await Promise.all(
        object.spec.triggers.map((trigger) =>
          fileTriggerInputs(object, trigger, set, environment, this.#options.environment),
        ),
      );
      const fingerprint = fingerprintOf({ object, inputs, file: loaded.file });
      const running = this.#jobs.get(key);
      if (running?.fingerprint === fingerprint) continue;
      if (running) await this.#stopJob(key, running);
      await this.#startJob(key, loaded, inputs, environment, fingerprint);
    }
    for (const [key, running] of this.#jobs) {
      if (wanted.has(key)) continue;
      await this.#stopJob(key, running);
      this.#options.history.forget(running.loop.ref);
    }
  }

  async #startJob(
    key: string,
    loaded: Loaded<ScaledJob>,
    inputs: { authParams: Record<string, string>; resolvedEnv: Record<string, string> }[],
    environment: Record<string, string>,
    fingerprint: string,
  ): Promise<void> {
    const object = loaded.object;
    const ref = {
      kind: "ScaledJob",
      namespace: object.metadata.namespace ?? "default",
      name: object.metadata.name,
    };
    const runner = new JobRunner({
      scaledJobName: object.metadata.name,
      jobSpec: object.spec.jobTargetRef,
      baseDir: dirname(loaded.file),
      env: environment,
      successfulJobsHistoryLimit: object.spec.successfulJobsHistoryLimit,
      failedJobsHistoryLimit: object.spec.failedJobsHistoryLimit,
    });
    const logger = this.#options.logger.child({ scaledJob: object.metadata.name });
    runner.onEvent((event) => this.#options.events.record(ref, event.type, event.reason, event.message));
    runner.onOutput((line, source) => logger.info(line, { job: source.job, stream: source.stream }));
    const { measurers: triggers, specs } = await this.#connect(
      object,
      object.spec.triggers.map((trigger, index) =>
        prepareTrigger(trigger, index, inputs[index] as never, {
          asMetricSource: false,
          namespace: object.metadata.namespace,
        }),
      ),
    );
    const loop = new JobLoop({
      object,
      triggers,
      specs,
      target: { counts: async () => runner.counts(), createJobs: async (count) => runner.createJobs(count) },
      targetRef: { kind: "Job", name: object.metadata.name },
      now: this.#now,
      metrics: this.#options.metrics,
      events: this.#options.events,
      history: this.#options.history,
    });
    const stopWatching = this.#schedule(
      key,
      [{ key, intervalMs: loop.intervalMs, run: () => loop.evaluate().then(() => undefined) }],
      triggers,
    );
    this.#jobs.set(key, { fingerprint, loop, runner, stopWatching });
  }

  async #stopJob(key: string, running: RunningJob): Promise<void> {
    this.#options.scheduler.remove(key);
    for (const stop of running.stopWatching) stop();
    await running.loop.close();
    await running.runner.shutdown();
    this.#jobs.delete(key);
    this.#options.metrics.forgetObject("scaledjob", running.loop.ref.namespace, running.loop.ref.name);
  }

  /** Stops every loop, every job and every worker (gracefully: SIGTERM, then SIGKILL after the grace period). */
  async stop(): Promise<void> {
    for (const [key, running] of this.#objects) await this.#stopObject(key, running);
    await Promise.all([...this.#jobs].map(([key, running]) => this.#stopJob(key, running)));
    await this.#http.close();
    await this.#pools.shutdown();
  }

  scaledObjects(): ObjectSnapshot[] {
    return [...this.#objects.values()].map((running) => running.loop.snapshot());
  }

  scaledJobs(): ObjectSnapshot[] {
    return [...this.#jobs.values()].map((running) => running.loop.snapshot());
  }

  trace(name: string, namespace?: string): DecisionTrace | undefined | "ambiguous" {
    const matches = [...this.#objects.values()].filter(
      (running) =>
        running.loop.ref.name === name &&
        (namespace === undefined || running.loop.ref.namespace === namespace),
    );
    if (matches.length > 1) return "ambiguous";
    return matches[0]?.loop.lastTrace();
  }

  events(kind: string, name: string, namespace?: string): RuntimeEvent[] {
    const loops = [...this.#objects.values(), ...this.#jobs.values()].map((running) => running.loop.ref);
    const namespaces = namespace ? [namespace] : [...new Set(loops.map((ref) => ref.namespace))];
    return namespaces.flatMap((candidate) =>
      this.#options.events.recent({ kind, namespace: candidate, name }),
    );
  }

  processPools() {
    return this.#pools.snapshots();
  }

  /**
   * A ProcessPool's recent output and a way to follow it; undefined for no such pool,
   * "ambiguous" when the name is in several namespaces and none was given.
   */
  poolLogs(name: string, namespace?: string): PoolLogSource | undefined | "ambiguous" {
    const matches = this.#pools
      .snapshots()
      .filter((pool) => pool.name === name && (namespace === undefined || pool.namespace === namespace));
    if (matches.length > 1) return "ambiguous";
    const pool = matches[0];
    if (pool === undefined) return undefined;
    const key = `${pool.namespace}/${pool.name}`;
    return {
      recent: (tail) => this.#pools.logs.recent(key, tail),
      follow: (listener) => this.#pools.logs.follow(key, listener),
    };
  }

  get history(): ScalingHistory {
    return this.#options.history;
  }

  objects(): DashboardObject[] {
    const scaled = [...this.#objects].map(([key, running]): DashboardObject => ({
      ref: running.loop.ref,
      shownKind: key.startsWith("httpscaledobject.") ? "HTTPScaledObject" : "ScaledObject",
      snapshot: () => running.loop.snapshot(),
      trace: () => running.loop.lastTrace(),
    }));
    const jobs = [...this.#jobs.values()].map((running): DashboardObject => ({
      ref: running.loop.ref,
      shownKind: "ScaledJob",
      snapshot: () => running.loop.snapshot(),
      trace: () => running.loop.lastTrace(),
    }));
    return [...scaled, ...jobs];
  }

  eventsOf(object: ObjectRef): RuntimeEvent[] {
    return this.#options.events.recent(object);
  }

  recentEvents(): RuntimeEvent[] {
    return this.#options.events.latest();
  }

  onEvent(listener: (event: RuntimeEvent) => void): void {
    this.#options.events.onEvent(listener);
  }
}
