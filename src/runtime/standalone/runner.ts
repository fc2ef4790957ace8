import { dirname } from "node:path";
import type { Loaded, ManifestSet } from "../../api/resources.ts";
import type { ScaledJob } from "../../api/schema/scaled-job.ts";
import { usesFormula, type ScaledObject } from "../../api/schema/scaled-object.ts";
import { readForecastHistory } from "../../engine/forecast/stage.ts";
import type { DecisionTrace, TriggerMetricSpec } from "../../engine/types.ts";
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
import { HttpRouting, type HttpProxyLimits } from "./http-routing.ts";
import { readPersistedScaleState, type PersistedScaleState } from "./persisted-state.ts";
import { httpTrigger, scaledObjectForHttp } from "./http-scaling.ts";
import { poolKeyOf as keyOf, ProcessPools, type RunningPool } from "./process-pools.ts";
import type { ForecastSeries, ScalingHistory } from "../history.ts";
import type { DashboardObject, DashboardSource, PoolLogSource, StatusSource } from "../status/source.ts";
import { ProcessRecords } from "./process-records.ts";
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
  /** The proxy's client limits (defaults: Node's timeouts, 10,000 connections). */
  httpLimits?: HttpProxyLimits;
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

interface RunningObject {
  fingerprint: string;
  loop: ScaleLoop;
  /** The state last persisted (or loaded), carried over when the object changes. */
  persisted: PersistedScaleState;
  stopWatching: (() => void)[];
  /** The last save failed (a full disk): said once, and again when saving works. */
  saveFailing: boolean;
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
  readonly #records: ProcessRecords;
  /** Whether `apply` has run: the first one takes over or stops what an earlier run left. */
  #applied = false;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#records = new ProcessRecords(options.store, options.logger);
    this.#pools = new ProcessPools({ ...options, records: this.#records });
    this.#http = new HttpRouting({
      pools: this.#pools,
      logger: options.logger,
      port: options.httpPort,
      limits: options.httpLimits ?? {},
    });
  }

  /** Where the HTTP proxy listens, once an HTTPScaledObject started it. */
  get httpProxyPort(): number | undefined {
    return this.#http.port;
  }

  async apply(set: ManifestSet): Promise<void> {
    const scalables = await this.#scalables(set);
    const persisted = new Map<string, PersistedScaleState>();
    for (const scalable of scalables) {
      const state = await this.#options.store.load(scalable.key, readPersistedScaleState);
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
    const adopt = this.#applied ? new Map() : await this.#takeOverEarlierRun(set, httpPools);
    this.#applied = true;
    await this.#pools.apply(set, initialReplicas, httpPools, adopt);
    await this.#http.apply(set);
    await this.#applyScalables(scalables, persisted);
    await this.#applyScaledJobs(set);
  }

  /**
   * After `kill -9` of an earlier `tidal run` on this state folder, its workers and jobs may still
   * run. Workers of a pool defined as before are taken over (returned, by pool); every other
   * process it left (a pool that changed or is gone, job processes, whose exit codes only their
   * parent could read) is stopped first, so no pool ever runs beside its old workers.
   */
  async #takeOverEarlierRun(set: ManifestSet, httpPools: ReadonlySet<string>) {
    const earlier = await this.#records.earlier();
    if (earlier.length === 0) return new Map<string, never[]>();
    const adopt = await this.#pools.adoptable(set, httpPools, earlier);
    const taken = new Set([...adopt.values()].flat());
    await this.#records.stopEarlier(earlier.filter((process) => !taken.has(process)));
    return adopt;
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
        if (running?.loop !== loop) return;
        running.persisted = latest;
        await this.#save(scalable.key, running);
      },
      // The forecast annotation's recorded history, in a file of its own (saved every few minutes).
      forecastStore: {
        load: () => this.#options.store.load(`forecast.${scalable.key}`, readForecastHistory),
        save: (history) => this.#options.store.save(`forecast.${scalable.key}`, history),
      },
    });
    const stopWatching = this.#schedule(scalable.key, loop.tasks(scalable.key), triggers);
    this.#objects.set(scalable.key, { fingerprint, loop, persisted, stopWatching, saveFailing: false });
  }

  /**
   * Saves an object's state. A failed save (a full or read-only disk) does not stop scaling: the
   * loop goes on from memory, the failure is logged once, and so is the first save that works again.
   */
  async #save(key: string, running: RunningObject): Promise<void> {
    const { store, logger } = this.#options;
    try {
      await store.save(key, running.persisted);
    } catch (error) {
      if (!running.saveFailing) {
        logger.warn(
          "cannot save scaling state; scaling goes on and saving is retried after every evaluation",
          {
            object: key,
            file: store.pathOf(key),
            error: messageOf(error),
          },
        );
      }
      running.saveFailing = true;
      return;
    }
    if (running.saveFailing)
      logger.info("scaling state saved again", { object: key, file: store.pathOf(key) });
    running.saveFailing = false;
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
      record: this.#records.recorder(key),
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
    await this.#records.flush();
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

  /** The forecasting triggers' predictions, as the scale and job loops record them in the history. */
  forecast(object: ObjectRef): ForecastSeries[] {
    return this.#options.history.forecasts(object);
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
