import { dirname } from "node:path";
import type { Problem } from "../../api/load.ts";
import type { Loaded, ManifestSet } from "../../api/resources.ts";
import type { ProcessPool } from "../../api/schema/process-pool.ts";
import type { ScaledObject } from "../../api/schema/scaled-object.ts";
import { usesFormula } from "../../api/validate.ts";
import { resolveContainerEnv } from "../../auth/container-env.ts";
import { manifestAuthSources } from "../../auth/manifest-sources.ts";
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
import type { ScaledJob } from "../../api/schema/scaled-job.ts";
import { JobRunner } from "../../targets/job-runner/job-runner.ts";
import { JobLoop } from "../job-loop.ts";
import {
  createHttpProxy,
  findRouteConflicts,
  httpScaledObjectRoute,
  type HttpProxy,
} from "../../http-proxy/index.ts";
import type { Scheduler } from "../../scheduler/scheduler.ts";
import { ProcessPoolTarget } from "../../targets/process-pool/process-pool-target.ts";
import { messageOf } from "../../util/errors.ts";
import { stableJson } from "../../util/stable-json.ts";
import type { EventLog, RuntimeEvent } from "../events.ts";
import { freshScaleState, ScaleLoop, type PersistedScaleState } from "../scale-loop.ts";
import type { ObjectSnapshot } from "../snapshot.ts";
import type { StateStore } from "../state-store.ts";
import type { StatusSource } from "./status-server.ts";
import { httpTrigger, scaledObjectForHttp } from "./http-scaling.ts";
import { processPoolOf, standaloneTriggerInputs, targetEnvironment } from "./trigger-inputs.ts";

export interface RunnerOptions {
  scheduler: Scheduler;
  store: StateStore;
  metrics: TidalMetrics;
  events: EventLog;
  logger: Logger;
  /** Deadline of one measurement (KEDA_HTTP_DEFAULT_TIMEOUT). */
  timeoutMs: number;
  /** Port of the HTTP proxy for HTTPScaledObjects (started only when there is one). */
  httpPort: number;
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

interface RunningPool {
  fingerprint: string;
  target: ProcessPoolTarget;
  ref: { namespace: string; name: string };
}

interface RunningObject {
  fingerprint: string;
  loop: ScaleLoop;
  stopWatching: (() => void)[];
}

interface RunningJob {
  fingerprint: string;
  loop: JobLoop;
  runner: JobRunner;
  stopWatching: (() => void)[];
}

const keyOf = (object: { metadata: { namespace?: string | undefined; name: string } }) =>
  `${object.metadata.namespace ?? "default"}/${object.metadata.name}`;

/** Problems that only `tidal run` has: targets and triggers that need Kubernetes. */
export function standaloneProblems(set: ManifestSet): Problem[] {
  const problems: Problem[] = [];
  for (const loaded of [...set.scaledObjects, ...set.scaledJobs]) {
    for (const [index, trigger] of loaded.object.spec.triggers.entries()) {
      if (trigger.type !== "cpu" && trigger.type !== "memory") continue;
      problems.push({
        file: loaded.file,
        doc: loaded.doc,
        kind: loaded.object.kind,
        name: loaded.object.metadata.name,
        path: `spec.triggers[${index}].type`,
        message: `${trigger.type} triggers are measured by the Kubernetes HPA (metrics.k8s.io); tidal run cannot use them`,
        severity: "error",
      });
    }
  }
  for (const loaded of set.scaledObjects) {
    const { metadata, spec } = loaded.object;
    const ref = spec.scaleTargetRef;
    const base = {
      file: loaded.file,
      doc: loaded.doc,
      kind: "ScaledObject",
      name: metadata.name,
      severity: "error" as const,
    };
    if (ref.kind !== "ProcessPool") {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef",
        message: `tidal run scales local ProcessPools (apiVersion tidal.dev/v1alpha1, kind ProcessPool); ${ref.kind ?? "Deployment"} "${ref.name}" needs Kubernetes: use tidal operator`,
      });
    } else if (processPoolOf(loaded.object, set) === undefined) {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef.name",
        message: `ProcessPool "${ref.name}" is not defined in the given files (namespace "${metadata.namespace}")`,
      });
    }
  }
  const scaledPools = new Map<string, string>();
  for (const loaded of set.scaledObjects)
    scaledPools.set(
      `${loaded.object.metadata.namespace}/${loaded.object.spec.scaleTargetRef.name}`,
      `ScaledObject "${loaded.object.metadata.name}"`,
    );
  for (const loaded of set.httpScaledObjects) {
    const { metadata, spec } = loaded.object;
    const base = {
      file: loaded.file,
      doc: loaded.doc,
      kind: "HTTPScaledObject",
      name: metadata.name,
      severity: "error" as const,
    };
    const ref = spec.scaleTargetRef;
    const pool = `${metadata.namespace}/${ref.name}`;
    if (ref.kind !== undefined && ref.kind !== "ProcessPool") {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef.kind",
        message: `tidal run routes to local ProcessPools; ${ref.kind} "${ref.name}" needs Kubernetes and the KEDA HTTP add-on`,
      });
    } else if (!set.processPools.some((candidate) => keyOf(candidate.object) === pool)) {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef.name",
        message: `ProcessPool "${ref.name}" is not defined in the given files (namespace "${metadata.namespace}")`,
      });
    } else if (scaledPools.has(pool)) {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef.name",
        message: `ProcessPool "${ref.name}" is already scaled by ${scaledPools.get(pool)}`,
      });
    }
    scaledPools.set(pool, `HTTPScaledObject "${metadata.name}"`);
  }
  for (const conflict of findRouteConflicts(
    set.httpScaledObjects.map((loaded) => httpScaledObjectRoute(loaded.object)),
  )) {
    const [first, ...others] = conflict.routeKeys;
    const loaded = set.httpScaledObjects.find((candidate) => keyOf(candidate.object) === others[0]);
    if (loaded === undefined) continue;
    problems.push({
      file: loaded.file,
      doc: loaded.doc,
      kind: "HTTPScaledObject",
      name: loaded.object.metadata.name,
      path: "spec.hosts",
      message: `host "${conflict.host}" and path "${conflict.pathPrefix}" are also claimed by HTTPScaledObject ${first}, which gets the traffic`,
      severity: "warning",
    });
  }
  return problems;
}

/**
 * `tidal run`'s engine room: ProcessPools, one scale loop per ScaledObject (and per
 * HTTPScaledObject, behind the HTTP proxy) and one job loop per ScaledJob, all on the shared
 * scheduler, with state kept in the state store. `apply` takes a whole manifest set, first at
 * start and again on every reload, and changes only what changed.
 */
export class StandaloneRunner implements StatusSource {
  readonly #options: RunnerOptions;
  readonly #pool = new ConnectionPool();
  readonly #pools = new Map<string, RunningPool>();
  readonly #objects = new Map<string, RunningObject>();
  readonly #jobs = new Map<string, RunningJob>();
  readonly #demand = new Map<string, Set<() => void>>();
  #proxy: HttpProxy | undefined;
  #proxyPort: number | undefined;
  readonly #now: () => number;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Where the HTTP proxy listens, once an HTTPScaledObject started it. */
  get httpProxyPort(): number | undefined {
    return this.#proxyPort;
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
    await this.#applyPools(set, scalables, persisted, httpPools);
    await this.#applyHttpProxy(set);
    await this.#applyScalables(scalables, persisted);
    await this.#applyScaledJobs(set);
  }

  /** The ScaledObjects to run: the files' own, and one per HTTPScaledObject. */
  async #scalables(set: ManifestSet): Promise<Scalable[]> {
    const scalables: Scalable[] = [];
    for (const loaded of set.scaledObjects) {
      const object = loaded.object;
      const environment = await targetEnvironment(object, set);
      const inputs = await Promise.all(
        object.spec.triggers.map((trigger) => standaloneTriggerInputs(object, trigger, set, environment)),
      );
      const asMetricSource = usesFormula(object);
      scalables.push({
        key: `scaledobject.${keyOf(object)}`,
        object,
        poolKey: `${object.metadata.namespace}/${object.spec.scaleTargetRef.name}`,
        triggers: object.spec.triggers.map((trigger, index) =>
          prepareTrigger(trigger, index, inputs[index] as never, { asMetricSource }),
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
        triggers: [httpTrigger(loaded.object, this.#routeMeter())],
        inputs: loaded.object.spec,
      });
    }
    return scalables;
  }

  async #applyPools(
    set: ManifestSet,
    scalables: Scalable[],
    persisted: Map<string, PersistedScaleState>,
    httpPools: Set<string>,
  ): Promise<void> {
    const wanted = new Set<string>();
    for (const loaded of set.processPools) {
      const key = keyOf(loaded.object);
      wanted.add(key);
      // Behind the HTTP proxy a worker is ready only once it accepts connections on $PORT.
      const spec = httpPools.has(key)
        ? { ...loaded.object.spec, readiness: "tcp" as const }
        : loaded.object.spec;
      const env = await resolveContainerEnv(
        spec,
        loaded.object.metadata.namespace ?? "default",
        manifestAuthSources(set),
      );
      const fingerprint = stableJson({ spec, env, file: loaded.file });
      const running = this.#pools.get(key);
      if (running?.fingerprint === fingerprint) continue;
      const owner = scalables.find((scalable) => scalable.poolKey === key);
      const replicas = running
        ? await running.target.getReplicas()
        : ((owner && persisted.get(owner.key)?.replicas) ?? spec.replicas);
      if (running) await running.target.shutdown();
      const target = this.#startPool(loaded, spec, env);
      this.#pools.set(key, {
        fingerprint,
        target,
        ref: { namespace: loaded.object.metadata.namespace ?? "default", name: loaded.object.metadata.name },
      });
      await target.setReplicas(replicas);
    }
    for (const [key, running] of this.#pools) {
      if (wanted.has(key)) continue;
      this.#pools.delete(key);
      await running.target.shutdown();
    }
  }

  #startPool(
    loaded: Loaded<ProcessPool>,
    spec: ProcessPool["spec"],
    env: Record<string, string>,
  ): ProcessPoolTarget {
    const { metadata } = loaded.object;
    const ref = { kind: "ProcessPool", namespace: metadata.namespace ?? "default", name: metadata.name };
    const target = new ProcessPoolTarget({ name: metadata.name, spec, baseDir: dirname(loaded.file), env });
    const logger = this.#options.logger.child({ pool: metadata.name });
    target.onEvent((event) => {
      this.#options.events.record(ref, event.type, event.reason, event.message);
      if (event.reason === "BackOff")
        this.#options.metrics.workerRestarts.inc({ namespace: ref.namespace, pool: ref.name });
    });
    target.onOutput((line, source) => logger.info(line, { worker: source.worker, stream: source.stream }));
    return target;
  }

  #routeMeter() {
    return {
      metrics: (routeKey: string) => this.#proxy?.metrics(routeKey) ?? { concurrency: 0, requestRate: 0 },
      onDemand: (routeKey: string, wake: () => void) => {
        const listeners = this.#demand.get(routeKey) ?? new Set();
        listeners.add(wake);
        this.#demand.set(routeKey, listeners);
        return () => listeners.delete(wake);
      },
    };
  }

  /** Starts the HTTP proxy with the first HTTPScaledObject; later reloads only change its routes. */
  async #applyHttpProxy(set: ManifestSet): Promise<void> {
    const routes = set.httpScaledObjects.map((loaded) => httpScaledObjectRoute(loaded.object));
    if (this.#proxy) {
      this.#proxy.updateRoutes(routes);
      return;
    }
    if (routes.length === 0) return;
    const poolOf = (routeKey: string) => {
      const loaded = set.httpScaledObjects.find((candidate) => keyOf(candidate.object) === routeKey);
      return (
        loaded &&
        this.#pools.get(`${loaded.object.metadata.namespace}/${loaded.object.spec.scaleTargetRef.name}`)
          ?.target
      );
    };
    this.#proxy = createHttpProxy({
      routes,
      endpoints: (routeKey) =>
        poolOf(routeKey)
          ?.readyEndpoints()
          .map(({ port }) => ({ host: "127.0.0.1", port })) ?? [],
      onDemand: (routeKey) => {
        for (const wake of this.#demand.get(routeKey) ?? []) wake();
      },
      waitForEndpoints: async (routeKey, signal) => {
        while (!signal.aborted) {
          const pool = poolOf(routeKey);
          if (pool && (await pool.whenReady(250))) return;
          if (!pool) await new Promise((resolve) => setTimeout(resolve, 250));
        }
      },
      // Local workers may be slow to answer; the add-on's current default is five minutes.
      responseHeaderTimeoutMs: 300_000,
      logger: this.#options.logger.child({ component: "http-proxy" }),
    });
    this.#proxyPort = (await this.#proxy.listen(this.#options.httpPort)).port;
    this.#options.logger.info("HTTP proxy listening", { url: `http://127.0.0.1:${this.#proxyPort}` });
  }

  async #applyScalables(scalables: Scalable[], persisted: Map<string, PersistedScaleState>): Promise<void> {
    const wanted = new Set<string>();
    for (const scalable of scalables) {
      wanted.add(scalable.key);
      const pool = this.#pools.get(scalable.poolKey);
      if (pool === undefined) continue;
      const fingerprint = stableJson({
        object: scalable.object,
        inputs: scalable.inputs,
        pool: pool.fingerprint,
      });
      const running = this.#objects.get(scalable.key);
      if (running?.fingerprint === fingerprint) continue;
      const previous = running?.loop.persisted() ?? persisted.get(scalable.key);
      if (running) await this.#stopObject(scalable.key, running);
      const state =
        previous ??
        freshScaleState(
          this.#createdAt(scalable.object.metadata.creationTimestamp),
          await pool.target.getReplicas(),
        );
      await this.#startObject(scalable, pool, state, fingerprint);
    }
    for (const [key, running] of this.#objects) {
      if (!wanted.has(key)) await this.#stopObject(key, running);
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

  /** Schedules a loop and wires its push triggers to wake it; returns what stops the push triggers. */
  #schedule(
    key: string,
    intervalMs: number,
    evaluate: () => Promise<DecisionTrace>,
    triggers: readonly TriggerMeasurer[],
  ): (() => void)[] {
    const logger = this.#options.logger.child({ object: key });
    this.#options.scheduler.add({
      key,
      intervalMs,
      run: async () => {
        const trace = await evaluate();
        logger.debug("evaluated", {
          replicas: trace.currentReplicas,
          desired: trace.desiredReplicas,
          summary: trace.summary,
        });
      },
    });
    return triggers.flatMap((trigger) =>
      trigger.scaler.watch
        ? [
            trigger.scaler.watch(
              () => this.#options.scheduler.wake(key),
              (error) =>
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
    const loop = new ScaleLoop({
      object: scalable.object,
      triggers,
      specs,
      target: pool.target,
      targetRef: { kind: "ProcessPool", name: pool.ref.name },
      persisted,
      now: this.#now,
      metrics: this.#options.metrics,
      events: this.#options.events,
      persist: (state) => this.#options.store.save(scalable.key, state),
    });
    const stopWatching = this.#schedule(scalable.key, loop.intervalMs, () => loop.evaluate(), triggers);
    this.#objects.set(scalable.key, { fingerprint, loop, stopWatching });
  }

  async #stopObject(key: string, running: RunningObject): Promise<void> {
    this.#options.scheduler.remove(key);
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
      const environment = await targetEnvironment(object, set);
      const inputs = await Promise.all(
        object.spec.triggers.map((trigger) => standaloneTriggerInputs(object, trigger, set, environment)),
      );
      const fingerprint = stableJson({ object, inputs, file: loaded.file });
      const running = this.#jobs.get(key);
      if (running?.fingerprint === fingerprint) continue;
      if (running) await this.#stopJob(key, running);
      await this.#startJob(key, loaded, inputs, environment, fingerprint);
    }
    for (const [key, running] of this.#jobs) {
      if (!wanted.has(key)) await this.#stopJob(key, running);
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
        prepareTrigger(trigger, index, inputs[index] as never, { asMetricSource: false }),
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
    });
    const stopWatching = this.#schedule(key, loop.intervalMs, () => loop.evaluate(), triggers);
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
    await this.#proxy?.close();
    await Promise.all([...this.#pools.values()].map((pool) => pool.target.shutdown()));
    this.#pools.clear();
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
    return [...this.#pools.values()].map((pool) => ({
      ...pool.ref,
      replicas: pool.target.workers().filter((worker) => worker.state !== "stopping").length,
      workers: pool.target.workers(),
      events: this.#options.events.recent({ kind: "ProcessPool", ...pool.ref }),
    }));
  }

  /** Local job records of every ScaledJob. */
  jobRecords() {
    return [...this.#jobs.values()].map((running) => ({ ...running.loop.ref, jobs: running.runner.jobs() }));
  }
}
