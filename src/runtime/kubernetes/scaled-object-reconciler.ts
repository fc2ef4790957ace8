import { parseClusterObject } from "../../api/issues.ts";
import { KEDA_API_VERSION, KEDA_FINALIZER, SCALED_OBJECT_LABEL } from "../../api/names.ts";
import type { Condition } from "../../api/schema/primitives.ts";
import { scaledObject, type ScaledObject } from "../../api/schema/scaled-object.ts";
import type { ContainerEnvSpec } from "../../auth/container-env.ts";
import { MODE_ANNOTATION, parseControlAnnotations, pausesScaling } from "../../engine/annotations.ts";
import { readyCondition } from "../../engine/conditions.ts";
import { hpaName } from "../../engine/decide.ts";
import type { ResourceMetric } from "../../scalers/prepared-trigger.ts";
import { messageOf } from "../../util/errors.ts";
import { fingerprintOf, stableJson } from "../../util/stable-json.ts";
import { checkScaledObject } from "../../validation/object-checks.ts";
import type { LookupResult } from "../metrics-api/index.ts";
import type { DashboardObject } from "../status/source.ts";
import { ScaleLoop, type ConnectedTriggers, type PollOutcome } from "../scale-loop.ts";
import { mergeConditions } from "./conditions.ts";
import type { Discovery, ResolvedResource } from "./discovery.ts";
import { configMapForecastStore } from "./forecast-history.ts";
import { HpaOwner } from "./hpa-owner.ts";
import type { ObjectCache } from "./informer.ts";
import { isNotFound, resourcePath } from "./kube-api.ts";
import { lookupMetric } from "./metric-lookup.ts";
import type { ReconcilerDependencies } from "./reconciler-dependencies.ts";
import type { ReplicaSource } from "./watched-replicas.ts";
import { KubernetesScaleTarget } from "./scale-target.ts";
import {
  readyConditionUpdates,
  readyStatusFields,
  stateFromStatus,
  statusFromPoll,
} from "./scaled-object-status.ts";
import { envContainer, prepareClusterTriggers } from "./triggers.ts";

/** A ScaledObject as the API returns it (metadata Tidal needs, spec unchecked until parsed). */
export interface RawScaledObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: unknown;
  status?: ScaledObject["status"];
}

/** A ScaledObject being scaled: its loop, and what the reconcile needs to own its HPA. */
interface Scaled {
  fingerprint: string;
  loop: ScaleLoop;
  resolved: ResolvedResource;
  mode: "hpa" | "direct";
  resources: ResourceMetric[];
  /** Replicas the target had when the loop started (KEDA's status.originalReplicaCount). */
  replicas: number;
  /** The status last written by a poll, to write only changes. */
  lastStatus?: string;
  /** Stops the push triggers' streams (external-push). */
  unwatch: (() => void)[];
}

export interface ScaledObjectReconcilerOptions extends ReconcilerDependencies {
  informer: ObjectCache<RawScaledObject>;
  discovery: Discovery;
  /** Replica counts from a watch (Deployments, StatefulSets) instead of a GET of /scale per poll. */
  replicaSource?: ReplicaSource;
}

/**
 * Reconciles ScaledObjects the way KEDA's operator does: finalizer, pause annotations, target
 * resolution through /scale, the owned HPA (`keda-hpa-<name>`), status and events; runs each
 * object's scale loop (activation 0 ↔ 1, cooldown, or everything in direct mode) and answers the
 * external metrics API. Every replica keeps loops so it can answer metrics; only the leader writes.
 */
export class ScaledObjectReconciler {
  readonly #options: ScaledObjectReconcilerOptions;
  readonly #scaled = new Map<string, Scaled>();
  readonly #now: () => number;
  readonly #hpas: HpaOwner;

  constructor(options: ScaledObjectReconcilerOptions) {
    this.#options = options;
    this.#hpas = new HpaOwner(options.api, options.version);
    this.#now = options.now ?? Date.now;
  }

  static key(namespace: string, name: string): string {
    return `${namespace}/${name}`;
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split("/") as [string, string];
    const raw = this.#options.informer.get(name, namespace);
    if (raw === undefined) {
      await this.#drop(key);
      return;
    }
    const leader = this.#options.isLeader();
    if (raw.metadata.deletionTimestamp) {
      if (leader) await this.#finalize(raw);
      await this.#drop(key);
      return;
    }
    if (leader && (await this.#ensureFinalizerAndLabel(raw))) return;
    this.#options.events.track({
      kind: "ScaledObject",
      namespace,
      name,
      apiVersion: KEDA_API_VERSION,
      ...(raw.metadata.uid ? { uid: raw.metadata.uid } : {}),
    });
    const object = this.#parse(raw);
    if (typeof object === "string") {
      await this.#checkFailed(key, raw, object);
      return;
    }
    const scaled = await this.#scaledFor(key, raw, object);
    if (scaled === undefined || !leader) return;
    if (pausesScaling(parseControlAnnotations(object.metadata.annotations))) {
      // Paused (with or without a count), KEDA deletes the HPA; the loop applies the paused count.
      await this.#hpas.delete(namespace, hpaName(object), raw.metadata.uid);
      return;
    }
    await this.#hpas.ensure({
      object,
      uid: raw.metadata.uid,
      previousName: raw.status?.hpaName,
      direct: scaled.mode === "direct",
      specs: scaled.loop.specs,
      resources: scaled.resources,
      target: scaled.resolved,
    });
    await this.#markReady(raw, object, scaled);
  }

  /** The object as Tidal reads it, or why it cannot be scaled. */
  #parse(raw: RawScaledObject): ScaledObject | string {
    const parsed = parseClusterObject(scaledObject, raw, KEDA_API_VERSION, "ScaledObject");
    if ("error" in parsed) return parsed.error;
    const problems: string[] = [];
    checkScaledObject(parsed.data, (path, message, severity) => {
      if (severity !== "warning") problems.push(`${path}: ${message}`);
    });
    return problems.length > 0 ? problems.join("; ") : parsed.data;
  }

  /** Starts (or keeps) the object's scale loop; reports why when the object cannot be scaled. */
  async #scaledFor(key: string, raw: RawScaledObject, object: ScaledObject): Promise<Scaled | undefined> {
    const { api, discovery } = this.#options;
    const namespace = object.metadata.namespace ?? "default";
    const ref = object.spec.scaleTargetRef;
    let resolved: ResolvedResource;
    try {
      resolved = await discovery.resolveScalable(ref.apiVersion ?? "apps/v1", ref.kind ?? "Deployment");
    } catch (error) {
      await this.#checkFailed(
        key,
        raw,
        `ScaledObject doesn't have correct scaleTargetRef specification: ${messageOf(error)}`,
      );
      return undefined;
    }
    const target = new KubernetesScaleTarget(api, resolved, namespace, ref.name, this.#options.replicaSource);
    let replicas: number;
    let workload: unknown;
    try {
      replicas = await target.getReplicas();
      workload = await api.get(resourcePath(resolved.apiVersion, resolved.resource, namespace, ref.name));
    } catch (error) {
      const message = isNotFound(error)
        ? `${resolved.kind} "${ref.name}" not found in namespace "${namespace}"`
        : messageOf(error);
      await this.#checkFailed(key, raw, `failed to get the scale target: ${message}`);
      return undefined;
    }
    const mode = object.metadata.annotations?.[MODE_ANNOTATION] === "direct" ? "direct" : "hpa";
    const fingerprint = fingerprintOf({
      spec: raw.spec,
      annotations: raw.metadata.annotations,
      uid: raw.metadata.uid,
      workload: (workload as RawScaledObject).metadata?.uid,
    });
    const existing = this.#scaled.get(key);
    if (existing && existing.fingerprint === fingerprint) return existing;
    const container = envContainer(workload as never, ref.envSourceContainerName);
    // Paused, KEDA builds no scalers: there is nothing to read until the pause ends.
    const prepared = pausesScaling(parseControlAnnotations(object.metadata.annotations))
      ? { ok: true as const, measurers: [], specs: [], resources: [] }
      : await this.#prepareTriggers(object, container);
    if (!prepared.ok) {
      await this.#checkFailed(key, raw, prepared.problems.join("; "));
      return undefined;
    }
    if (existing) await this.#stopLoop(key, existing);
    const scaled: Scaled = {
      fingerprint,
      resolved,
      mode,
      resources: prepared.resources,
      replicas,
      unwatch: [],
      loop: new ScaleLoop({
        object,
        triggers: prepared,
        strategy: mode,
        hpaSyncPeriodMs: this.#options.hpaSyncPeriodMs,
        target,
        targetRef: { kind: `${resolved.apiVersion}.${resolved.kind}`, name: ref.name },
        state: existing?.loop.state ?? stateFromStatus(raw, this.#now()),
        pausedCondition: existing?.loop.pausedCondition ?? pausedConditionOf(raw),
        now: this.#now,
        metrics: this.#options.metrics,
        events: this.#options.events,
        ...(this.#options.history ? { history: this.#options.history } : {}),
        onPolled: (outcome) => this.#writeStatus(key, outcome),
        // Rebuilt triggers (after a failed poll) get their push streams anew.
        rebuildTriggers: async () => {
          const rebuilt = await this.#rebuildTriggers(object, container);
          if (rebuilt !== undefined) this.#watchPush(key, scaled, rebuilt.measurers);
          return rebuilt;
        },
        forecastStore: configMapForecastStore(
          api,
          { namespace, name: object.metadata.name, uid: raw.metadata.uid },
          this.#options.isLeader,
        ),
      }),
    };
    this.#scaled.set(key, scaled);
    const tasks = scaled.loop.tasks(`scaledobject.${key}`);
    for (const task of tasks) {
      // Every replica keeps the loop to answer the metrics API; only the leader polls and scales.
      this.#options.scheduler.add({
        ...task,
        run: () => (this.#options.isLeader() ? task.run() : Promise.resolve()),
      });
    }
    this.#watchPush(key, scaled, prepared.measurers);
    return scaled;
  }

  /** Push triggers (external-push) poll at once when their scaler reports activity, as in KEDA. */
  #watchPush(key: string, scaled: Scaled, measurers: ConnectedTriggers["measurers"]): void {
    for (const unwatch of scaled.unwatch.splice(0)) unwatch();
    const tasks = scaled.loop.tasks(`scaledobject.${key}`);
    const wake = () => {
      for (const task of tasks) this.#options.scheduler.wake(task.key);
    };
    for (const trigger of measurers) {
      if (!trigger.scaler.watch) continue;
      scaled.unwatch.push(
        trigger.scaler.watch(wake, (error) =>
          this.#options.logger.warn("push trigger failed", {
            scaledObject: key,
            trigger: trigger.prepared.index,
            error: trigger.prepared.redact(messageOf(error)),
          }),
        ),
      );
    }
  }

  #prepareTriggers(object: ScaledObject, container: ContainerEnvSpec | undefined) {
    return prepareClusterTriggers(object, container, this.#options.authSources, {
      clusterObjectNamespace: this.#options.clusterObjectNamespace,
      pool: this.#options.pool,
      timeoutMs: this.#options.timeoutMs,
      processEnvironment: this.#options.processEnvironment,
      api: this.#options.api,
    });
  }

  async #rebuildTriggers(
    object: ScaledObject,
    container: ContainerEnvSpec | undefined,
  ): Promise<ConnectedTriggers | undefined> {
    const prepared = await this.#prepareTriggers(object, container);
    return prepared.ok ? prepared : undefined;
  }

  /** One poll of the object's scale loop (leader only), as its scheduled task runs it. */
  async poll(key: string): Promise<void> {
    const scaled = this.#scaled.get(key);
    if (scaled === undefined || !this.#options.isLeader()) return;
    await scaled.loop.evaluate();
  }

  /** One HPA sync of the object's loop in direct mode (leader only), as its scheduled task runs it. */
  async syncHpa(key: string): Promise<void> {
    const scaled = this.#scaled.get(key);
    if (scaled === undefined || !this.#options.isLeader()) return;
    await scaled.loop.syncHpa();
  }

  /** Writes what a poll changed in the object's status. */
  async #writeStatus(key: string, outcome: PollOutcome): Promise<void> {
    const scaled = this.#scaled.get(key);
    if (scaled === undefined) return;
    const status = statusFromPoll(scaled.loop.object, outcome);
    // statusFromPoll builds its keys in one order every poll: plain JSON compares (and costs less).
    const text = JSON.stringify(status);
    if (text === scaled.lastStatus) return;
    const [namespace, name] = key.split("/") as [string, string];
    await this.#patchStatus(namespace, name, {
      ...status,
      conditions: this.#mergeConditions(key, outcome.conditions),
    });
    scaled.lastStatus = text;
  }

  /** Conditions from a poll, keeping any other condition types the object already has. */
  #mergeConditions(key: string, conditions: readonly Condition[]): Condition[] {
    const [namespace, name] = key.split("/") as [string, string];
    return mergeConditions(this.#options.informer.get(name, namespace)?.status?.conditions, conditions);
  }

  async #ensureFinalizerAndLabel(raw: RawScaledObject): Promise<boolean> {
    const finalizers = raw.metadata.finalizers ?? [];
    const hasLabel = raw.metadata.labels?.[SCALED_OBJECT_LABEL] === raw.metadata.name;
    if (finalizers.includes(KEDA_FINALIZER) && hasLabel) return false;
    await this.#options.api.patch(this.#path(raw), {
      metadata: {
        resourceVersion: raw.metadata.resourceVersion,
        finalizers: finalizers.includes(KEDA_FINALIZER) ? finalizers : [...finalizers, KEDA_FINALIZER],
        labels: { ...raw.metadata.labels, [SCALED_OBJECT_LABEL]: raw.metadata.name },
      },
    });
    // The update comes back through the watch and is reconciled then.
    return true;
  }

  async #finalize(raw: RawScaledObject): Promise<void> {
    const finalizers = raw.metadata.finalizers ?? [];
    if (!finalizers.includes(KEDA_FINALIZER)) return;
    const namespace = raw.metadata.namespace ?? "default";
    const parsed = scaledObject.safeParse({
      ...raw,
      apiVersion: KEDA_API_VERSION,
      kind: "ScaledObject",
      status: undefined,
    });
    const original = raw.status?.originalReplicaCount;
    if (
      parsed.success &&
      parsed.data.spec.advanced?.restoreToOriginalReplicaCount &&
      original !== undefined
    ) {
      const ref = parsed.data.spec.scaleTargetRef;
      try {
        const resolved = await this.#options.discovery.resolveScalable(
          ref.apiVersion ?? "apps/v1",
          ref.kind ?? "Deployment",
        );
        await new KubernetesScaleTarget(this.#options.api, resolved, namespace, ref.name).setReplicas(
          original,
        );
      } catch (error) {
        this.#options.logger.warn("could not restore the original replica count", {
          scaledObject: raw.metadata.name,
          error: messageOf(error),
        });
      }
    }
    if (parsed.success) await this.#hpas.delete(namespace, hpaName(parsed.data), raw.metadata.uid);
    await this.#options.api.patch(this.#path(raw), {
      metadata: {
        resourceVersion: raw.metadata.resourceVersion,
        finalizers: finalizers.filter((finalizer) => finalizer !== KEDA_FINALIZER),
      },
    });
    this.#options.events.record(
      { kind: "ScaledObject", namespace, name: raw.metadata.name },
      "Normal",
      "ScaledObjectDeleted",
      "ScaledObject was deleted",
    );
  }

  async #checkFailed(key: string, raw: RawScaledObject, message: string): Promise<void> {
    await this.#drop(key);
    if (!this.#options.isLeader()) return;
    const namespace = raw.metadata.namespace ?? "default";
    const ready = raw.status?.conditions?.find((condition) => condition.type === "Ready");
    if (ready?.status === "False" && ready.message === message) return;
    await this.#patchStatus(namespace, raw.metadata.name, {
      conditions: this.#mergeConditions(key, [
        readyCondition.checkFailed("ScaledObject", message),
        { type: "Active", status: "Unknown", reason: "UnknownState", message: "ScaledObject check failed" },
      ]),
    });
    this.#options.events.record(
      { kind: "ScaledObject", namespace, name: raw.metadata.name },
      "Warning",
      "ScaledObjectCheckFailed",
      message,
    );
  }

  async #markReady(raw: RawScaledObject, object: ScaledObject, scaled: Scaled): Promise<void> {
    const namespace = object.metadata.namespace ?? "default";
    const ref = { kind: "ScaledObject", namespace, name: object.metadata.name };
    const status = raw.status ?? {};
    const conditions = status.conditions ?? [];
    const wanted = readyStatusFields({
      object,
      target: scaled.resolved,
      specs: scaled.loop.specs,
      resources: scaled.resources,
      direct: scaled.mode === "direct",
      originalReplicaCount: status.originalReplicaCount ?? scaled.replicas,
    });
    const updates = readyConditionUpdates(conditions, object.spec.fallback !== undefined);
    const current = Object.fromEntries(
      Object.keys(wanted).map((field) => [field, (status as Record<string, unknown>)[field] ?? null]),
    );
    if (stableJson(current) === stableJson(wanted) && updates.length === 0) return;
    // The poll's status cache no longer matches what the object shows.
    scaled.lastStatus = undefined;
    await this.#patchStatus(namespace, object.metadata.name, {
      ...wanted,
      ...(updates.length > 0 ? { conditions: mergeConditions(conditions, updates) } : {}),
    });
    if (!conditionTrue(conditions, "Ready"))
      this.#options.events.record(ref, "Normal", "ScaledObjectReady", "ScaledObject is ready for scaling");
  }

  async #patchStatus(namespace: string, name: string, status: Record<string, unknown>): Promise<void> {
    await this.#options.api.patch(
      resourcePath(KEDA_API_VERSION, "scaledobjects", namespace, name, "status"),
      {
        status,
      },
    );
  }

  #path(raw: RawScaledObject): string {
    return resourcePath(
      KEDA_API_VERSION,
      "scaledobjects",
      raw.metadata.namespace ?? "default",
      raw.metadata.name,
    );
  }

  async #stopLoop(key: string, scaled: Scaled): Promise<void> {
    for (const unwatch of scaled.unwatch.splice(0)) unwatch();
    for (const task of scaled.loop.tasks(`scaledobject.${key}`)) this.#options.scheduler.remove(task.key);
    this.#scaled.delete(key);
    await scaled.loop.close();
  }

  async #drop(key: string): Promise<void> {
    const scaled = this.#scaled.get(key);
    if (scaled === undefined) return;
    await this.#stopLoop(key, scaled);
    const [namespace, name] = key.split("/") as [string, string];
    this.#options.metrics.forgetObject("scaledobject", namespace, name);
    this.#options.history?.forget(scaled.loop.ref);
  }

  /** The value of one external metric for the HPA (see metric-lookup.ts). */
  async lookupMetric(
    namespace: string,
    metricName: string,
    selector: Record<string, string>,
  ): Promise<LookupResult> {
    const name = selector[SCALED_OBJECT_LABEL];
    if (!name) return { error: { status: 400, message: "scaledObject name is not specified" } };
    const scaled = this.#scaled.get(ScaledObjectReconciler.key(namespace, name));
    if (scaled === undefined) {
      return { error: { status: 404, message: `ScaledObject ${namespace}/${name} not found or not ready` } };
    }
    await scaled.loop.freshTriggers();
    return lookupMetric(scaled.loop.metricSource(), metricName, this.#now());
  }

  /** The objects with a scale loop, as the dashboard and status API show them. */
  dashboardObjects(): DashboardObject[] {
    return [...this.#scaled.values()].map(({ loop, resolved }) => ({
      ref: loop.ref,
      shownKind: "ScaledObject",
      snapshot: () => loop.snapshot(),
      trace: () => loop.lastTrace(),
      related: [
        { kind: resolved.kind, name: loop.object.spec.scaleTargetRef.name },
        { kind: "HorizontalPodAutoscaler", name: hpaName(loop.object) },
      ],
    }));
  }

  /** Keys with a running scale loop, for tests and debugging. */
  activeKeys(): string[] {
    return [...this.#scaled.keys()];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#scaled.keys()].map((key) => this.#drop(key)));
  }
}

function conditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return conditions?.some((condition) => condition.type === type && condition.status === "True") ?? false;
}

function pausedConditionOf(raw: RawScaledObject): Condition | undefined {
  return raw.status?.conditions?.find((condition) => condition.type === "Paused");
}
