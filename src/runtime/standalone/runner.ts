import { dirname } from "node:path";
import type { Problem } from "../../api/load.ts";
import type { Loaded, ManifestSet } from "../../api/resources.ts";
import type { ProcessPool } from "../../api/schema/process-pool.ts";
import type { ScaledObject } from "../../api/schema/scaled-object.ts";
import { usesFormula } from "../../api/validate.ts";
import { resolveContainerEnv } from "../../auth/container-env.ts";
import { manifestAuthSources } from "../../auth/manifest-sources.ts";
import type { DecisionTrace } from "../../engine/types.ts";
import type { Logger } from "../../observability/logger.ts";
import type { TidalMetrics } from "../../observability/metrics.ts";
import { ConnectionPool } from "../../scalers/connection-pool.ts";
import { connectTrigger, prepareTrigger, type TriggerMeasurer } from "../../scalers/prepared-trigger.ts";
import type { Scheduler } from "../../scheduler/scheduler.ts";
import { ProcessPoolTarget } from "../../targets/process-pool/process-pool-target.ts";
import { messageOf } from "../../util/errors.ts";
import { stableJson } from "../../util/stable-json.ts";
import type { EventLog, RuntimeEvent } from "../events.ts";
import { freshScaleState, ScaleLoop, type PersistedScaleState } from "../scale-loop.ts";
import type { ObjectSnapshot } from "../snapshot.ts";
import type { StateStore } from "../state-store.ts";
import type { StatusSource } from "./status-server.ts";
import { processPoolOf, standaloneTriggerInputs, targetEnvironment } from "./trigger-inputs.ts";

export interface RunnerOptions {
  scheduler: Scheduler;
  store: StateStore;
  metrics: TidalMetrics;
  events: EventLog;
  logger: Logger;
  /** Deadline of one measurement (KEDA_HTTP_DEFAULT_TIMEOUT). */
  timeoutMs: number;
  now?: () => number;
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

const keyOf = (object: { metadata: { namespace?: string | undefined; name: string } }) =>
  `${object.metadata.namespace ?? "default"}/${object.metadata.name}`;

/** Problems that only `tidal run` has: targets it cannot scale without Kubernetes. */
export function standaloneProblems(set: ManifestSet): Problem[] {
  const problems: Problem[] = [];
  for (const loaded of set.scaledObjects) {
    const { metadata, spec } = loaded.object;
    const ref = spec.scaleTargetRef;
    const base = { file: loaded.file, doc: loaded.doc, kind: "ScaledObject", name: metadata.name, severity: "error" as const };
    if (ref.kind !== "ProcessPool") {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef",
        message: `tidal run scales local ProcessPools (apiVersion tidal.dev/v1alpha1, kind ProcessPool); ${ref.kind ?? "Deployment"} "${ref.name}" needs Kubernetes: use tidal operator`,
      });
    } else if (processPoolOf(loaded.object, set) === undefined) {
      problems.push({ ...base, path: "spec.scaleTargetRef.name", message: `ProcessPool "${ref.name}" is not defined in the given files (namespace "${metadata.namespace}")` });
    }
  }
  return problems;
}

/**
 * `tidal run`'s engine room: ProcessPools, one scale loop per ScaledObject on the shared scheduler,
 * state kept in the state store. `apply` takes a whole manifest set, first at start and again on
 * every reload, and changes only what changed.
 */
export class StandaloneRunner implements StatusSource {
  readonly #options: RunnerOptions;
  readonly #pool = new ConnectionPool();
  readonly #pools = new Map<string, RunningPool>();
  readonly #objects = new Map<string, RunningObject>();
  readonly #now: () => number;

  constructor(options: RunnerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async apply(set: ManifestSet): Promise<void> {
    const persisted = new Map<string, PersistedScaleState>();
    for (const loaded of set.scaledObjects) {
      const state = await this.#options.store.load<PersistedScaleState>(`scaledobject.${keyOf(loaded.object)}`);
      if (state) persisted.set(keyOf(loaded.object), state);
    }
    await this.#applyPools(set, persisted);
    await this.#applyScaledObjects(set, persisted);
  }

  async #applyPools(set: ManifestSet, persisted: Map<string, PersistedScaleState>): Promise<void> {
    const wanted = new Set<string>();
    for (const loaded of set.processPools) {
      const key = keyOf(loaded.object);
      wanted.add(key);
      const env = await resolveContainerEnv(loaded.object.spec, loaded.object.metadata.namespace ?? "default", manifestAuthSources(set));
      const fingerprint = stableJson({ spec: loaded.object.spec, env, file: loaded.file });
      const running = this.#pools.get(key);
      if (running?.fingerprint === fingerprint) continue;
      const owner = set.scaledObjects.find((object) => processPoolOf(object.object, set) === loaded);
      const replicas = running
        ? await running.target.getReplicas()
        : ((owner && persisted.get(keyOf(owner.object))?.replicas) ?? loaded.object.spec.replicas);
      if (running) await running.target.shutdown();
      const target = this.#startPool(loaded, env);
      this.#pools.set(key, { fingerprint, target, ref: { namespace: loaded.object.metadata.namespace ?? "default", name: loaded.object.metadata.name } });
      await target.setReplicas(replicas);
    }
    for (const [key, running] of this.#pools) {
      if (wanted.has(key)) continue;
      this.#pools.delete(key);
      await running.target.shutdown();
    }
  }

  #startPool(loaded: Loaded<ProcessPool>, env: Record<string, string>): ProcessPoolTarget {
    const { metadata } = loaded.object;
    const ref = { kind: "ProcessPool", namespace: metadata.namespace ?? "default", name: metadata.name };
    const target = new ProcessPoolTarget({ name: metadata.name, spec: loaded.object.spec, baseDir: dirname(loaded.file), env });
    const logger = this.#options.logger.child({ pool: metadata.name });
    target.onEvent((event) => {
      this.#options.events.record(ref, event.type, event.reason, event.message);
      if (event.reason === "BackOff") this.#options.metrics.workerRestarts.inc({ namespace: ref.namespace, pool: ref.name });
    });
    target.onOutput((line, source) => logger.info(line, { worker: source.worker, stream: source.stream }));
    return target;
  }

  async #applyScaledObjects(set: ManifestSet, persisted: Map<string, PersistedScaleState>): Promise<void> {
    const wanted = new Set<string>();
    for (const loaded of set.scaledObjects) {
      const key = keyOf(loaded.object);
      wanted.add(key);
      const pool = processPoolOf(loaded.object, set);
      const target = pool && this.#pools.get(keyOf(pool.object));
      if (target === undefined) continue;
      const environment = await targetEnvironment(loaded.object, set);
      const inputs = await Promise.all(loaded.object.spec.triggers.map((trigger) => standaloneTriggerInputs(loaded.object, trigger, set, environment)));
      const fingerprint = stableJson({ object: loaded.object, inputs, pool: target.fingerprint });
      const running = this.#objects.get(key);
      if (running?.fingerprint === fingerprint) continue;
      const previous = running?.loop.persisted() ?? persisted.get(key);
      if (running) await this.#stopObject(key, running);
      const state = previous ?? freshScaleState(this.#createdAt(loaded.object), await target.target.getReplicas());
      this.#startObject(key, loaded.object, inputs, target, state, fingerprint);
    }
    for (const [key, running] of this.#objects) {
      if (!wanted.has(key)) await this.#stopObject(key, running);
    }
  }

  #createdAt(object: ScaledObject): number {
    const created = Date.parse(object.metadata.creationTimestamp ?? "");
    return Number.isFinite(created) ? created : this.#now();
  }

  #startObject(
    key: string,
    object: ScaledObject,
    inputs: { authParams: Record<string, string>; resolvedEnv: Record<string, string> }[],
    pool: RunningPool,
    persisted: PersistedScaleState,
    fingerprint: string,
  ): void {
    const asMetricSource = usesFormula(object);
    const triggers: TriggerMeasurer[] = object.spec.triggers.map((trigger, index) => {
      const prepared = prepareTrigger(trigger, index, inputs[index] ?? { authParams: {}, resolvedEnv: {} }, { asMetricSource });
      return connectTrigger(prepared, {
        scalableObject: { kind: "ScaledObject", namespace: object.metadata.namespace ?? "default", name: object.metadata.name },
        metricType: prepared.metricSpec?.targetType ?? "AverageValue",
        asMetricSource,
        timeoutMs: this.#options.timeoutMs,
        pool: this.#pool,
      });
    });
    const loop = new ScaleLoop({
      object,
      triggers,
      target: pool.target,
      targetRef: { kind: "ProcessPool", name: pool.ref.name },
      persisted,
      now: this.#now,
      metrics: this.#options.metrics,
      events: this.#options.events,
      persist: (state) => this.#options.store.save(`scaledobject.${key}`, state),
    });
    const schedulerKey = `scaledobject.${key}`;
    const logger = this.#options.logger.child({ scaledObject: key });
    this.#options.scheduler.add({
      key: schedulerKey,
      intervalMs: loop.intervalMs,
      run: async () => {
        const trace = await loop.evaluate();
        logger.debug("evaluated", { replicas: trace.currentReplicas, desired: trace.desiredReplicas, summary: trace.summary });
      },
    });
    const stopWatching = triggers.flatMap((trigger) =>
      trigger.scaler.watch
        ? [
            trigger.scaler.watch(
              () => this.#options.scheduler.wake(schedulerKey),
              (error) => logger.warn("push trigger failed", { trigger: trigger.prepared.index, error: messageOf(error) }),
            ),
          ]
        : [],
    );
    this.#objects.set(key, { fingerprint, loop, stopWatching });
  }

  async #stopObject(key: string, running: RunningObject): Promise<void> {
    this.#options.scheduler.remove(`scaledobject.${key}`);
    for (const stop of running.stopWatching) stop();
    await running.loop.close();
    this.#objects.delete(key);
    const [namespace, name] = key.split("/") as [string, string];
    this.#options.metrics.forgetObject("scaledobject", namespace, name);
  }

  /** Stops every loop and every worker (gracefully: SIGTERM, then SIGKILL after the grace period). */
  async stop(): Promise<void> {
    for (const [key, running] of this.#objects) await this.#stopObject(key, running);
    await Promise.all([...this.#pools.values()].map((pool) => pool.target.shutdown()));
    this.#pools.clear();
  }

  scaledObjects(): ObjectSnapshot[] {
    return [...this.#objects.values()].map((running) => running.loop.snapshot());
  }

  scaledJobs(): ObjectSnapshot[] {
    return [];
  }

  trace(name: string, namespace?: string): DecisionTrace | undefined | "ambiguous" {
    const matches = [...this.#objects.values()].filter(
      (running) => running.loop.ref.name === name && (namespace === undefined || running.loop.ref.namespace === namespace),
    );
    if (matches.length > 1) return "ambiguous";
    return matches[0]?.loop.lastTrace();
  }

  events(kind: string, name: string, namespace?: string): RuntimeEvent[] {
    const namespaces = namespace ? [namespace] : [...new Set([...this.#objects.keys()].map((key) => key.split("/")[0] as string))];
    return namespaces.flatMap((candidate) => this.#options.events.recent({ kind, namespace: candidate, name }));
  }

  /** Pools and their workers, for the live view. */
  pools(): { namespace: string; name: string; workers: ReturnType<ProcessPoolTarget["workers"]> }[] {
    return [...this.#pools.values()].map((pool) => ({ ...pool.ref, workers: pool.target.workers() }));
  }
}
