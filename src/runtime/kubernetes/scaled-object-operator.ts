import { describeIssues } from "../../api/issues.ts";
import { MODE_ANNOTATION } from "../../engine/annotations.ts";
import type { Condition } from "../../api/schema/primitives.ts";
import { scaledObject, usesFormula, type ScaledObject } from "../../api/schema/scaled-object.ts";
import { checkScaledObject } from "../../validation/object-checks.ts";
import { parseControlAnnotations } from "../../engine/annotations.ts";
import { pausedCondition, readyCondition } from "../../engine/conditions.ts";
import { decideDirect, hpaName, kedaPoll } from "../../engine/decide.ts";
import type { ScaledObjectState, TriggerMetricSpec } from "../../engine/types.ts";
import type { ResourceMetric, TriggerMeasurer } from "../../scalers/prepared-trigger.ts";
import { messageOf } from "../../util/errors.ts";
import { fingerprintOf, stableJson } from "../../util/stable-json.ts";
import { measureAll, recordComposite, recordReadings, type TimedSample } from "../readings.ts";
import { TriggerErrorReporter } from "../trigger-errors.ts";
import type { Discovery, ResolvedResource } from "./discovery.ts";
import type { LookupResult } from "../metrics-api/index.ts";
import { mergeConditions } from "./conditions.ts";
import { HpaOwner } from "./hpa-owner.ts";
import type { Informer } from "./informer.ts";
import { lookupMetric } from "./metric-lookup.ts";
import { readyConditionUpdates, readyStatusFields, stateFromStatus } from "./scaled-object-status.ts";
import type { ReconcilerDependencies } from "./reconciler-dependencies.ts";
import { isNotFound, resourcePath } from "./kube-api.ts";
import { KubernetesScaleTarget } from "./scale-target.ts";
import { envContainer, prepareClusterTriggers } from "./triggers.ts";
import type { ContainerEnvSpec } from "../../auth/container-env.ts";
import { KEDA_API_VERSION, KEDA_FINALIZER, SCALED_OBJECT_LABEL } from "../../api/names.ts";

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

interface ScaleLoopRuntime {
  object: ScaledObject;
  uid: string;
  fingerprint: string;
  resolved: ResolvedResource;
  target: KubernetesScaleTarget;
  mode: "hpa" | "direct";
  measurers: TriggerMeasurer[];
  specs: TriggerMetricSpec[];
  resources: ResourceMetric[];
  state: ScaledObjectState;
  lastSamples?: TimedSample[];
  replicas: number;
  /** A trigger failed: re-resolve secrets and reconnect before the next poll, as KEDA does. */
  stale: boolean;
  /** When a store's value (a service account token) is due for renewal: rebuild the triggers then. */
  refreshAt?: number;
  /** A rebuild under way, which polls and metric reads wait for. */
  rebuilding?: Promise<void>;
  /** The scale target's container whose env `…FromEnv` reads, for rebuilding triggers. */
  container: ContainerEnvSpec | undefined;
  triggerErrors: TriggerErrorReporter;
  lastStatus?: string;
}

export interface ScaledObjectOperatorOptions extends ReconcilerDependencies {
  informer: Informer<RawScaledObject>;
  discovery: Discovery;
}

/**
 * Reconciles ScaledObjects the way KEDA's operator does: finalizer, pause annotations, target
 * resolution through /scale, the owned HPA (`keda-hpa-<name>`), status and events; runs each
 * object's scale loop (activation 0 ↔ 1, cooldown) and answers the external metrics API.
 * Every replica keeps runtimes so it can answer metrics; only the leader writes.
 */
export class ScaledObjectOperator {
  readonly #options: ScaledObjectOperatorOptions;
  readonly #runtimes = new Map<string, ScaleLoopRuntime>();
  readonly #now: () => number;
  readonly #hpas: HpaOwner;

  constructor(options: ScaledObjectOperatorOptions) {
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
    const parsed = scaledObject.safeParse({
      ...raw,
      apiVersion: KEDA_API_VERSION,
      kind: "ScaledObject",
      status: undefined,
    });
    if (!parsed.success) {
      const problems = describeIssues(scaledObject, raw, parsed.error.issues).map(
        (problem) => `${problem.path}: ${problem.message}`,
      );
      await this.#checkFailed(key, raw, problems.join("; "));
      return;
    }
    const object = parsed.data;
    const problems: string[] = [];
    checkScaledObject(object, (path, message, severity) => {
      if (severity !== "warning") problems.push(`${path}: ${message}`);
    });
    if (problems.length > 0) {
      await this.#checkFailed(key, raw, problems.join("; "));
      return;
    }
    const annotations = parseControlAnnotations(object.metadata.annotations);
    if (annotations.paused || annotations.pausedReplicas) {
      await this.#pause(
        key,
        raw,
        object,
        annotations.pausedReplicas && "replicas" in annotations.pausedReplicas
          ? annotations.pausedReplicas.replicas
          : undefined,
      );
      return;
    }
    const runtime = await this.#runtimeFor(key, raw, object);
    if (runtime === undefined) return;
    if (leader) {
      await this.#hpas.ensure({
        object: runtime.object,
        uid: raw.metadata.uid,
        previousName: raw.status?.hpaName,
        direct: runtime.mode === "direct",
        specs: runtime.specs,
        resources: runtime.resources,
        target: runtime.resolved,
      });
      await this.#markReady(raw, runtime);
    }
  }

  /** Builds (or keeps) the scale loop runtime; reports why when the object cannot be scaled. */
  async #runtimeFor(
    key: string,
    raw: RawScaledObject,
    object: ScaledObject,
  ): Promise<ScaleLoopRuntime | undefined> {
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
    const target = new KubernetesScaleTarget(api, resolved, namespace, ref.name);
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
    const existing = this.#runtimes.get(key);
    if (existing && existing.fingerprint === fingerprint) {
      existing.object = object;
      return existing;
    }
    const container = envContainer(workload as never, ref.envSourceContainerName);
    const prepared = await this.#prepareTriggers(object, container);
    if (!prepared.ok) {
      await this.#checkFailed(key, raw, prepared.problems.join("; "));
      return undefined;
    }
    if (existing) await Promise.all(existing.measurers.map((measurer) => measurer.close()));
    const runtime: ScaleLoopRuntime = {
      object,
      uid: raw.metadata.uid ?? "",
      fingerprint,
      resolved,
      target,
      mode,
      measurers: prepared.measurers,
      specs: prepared.specs,
      resources: prepared.resources,
      state: existing?.state ?? stateFromStatus(raw, this.#now()),
      replicas,
      stale: false,
      ...(prepared.refreshAt === undefined ? {} : { refreshAt: prepared.refreshAt }),
      container,
      triggerErrors:
        existing?.triggerErrors ??
        new TriggerErrorReporter(
          { kind: "ScaledObject", namespace, name: object.metadata.name },
          this.#options.events,
        ),
    };
    this.#runtimes.set(key, runtime);
    this.#options.scheduler.add({
      key: `scaledobject.${key}`,
      intervalMs: object.spec.pollingInterval * 1000,
      run: () => this.poll(key),
    });
    return runtime;
  }

  #prepareTriggers(object: ScaledObject, container: ContainerEnvSpec | undefined) {
    return prepareClusterTriggers(object, container, this.#options.authSources, {
      clusterObjectNamespace: this.#options.clusterObjectNamespace,
      pool: this.#options.pool,
      timeoutMs: this.#options.timeoutMs,
    });
  }

  /**
   * After a failed poll KEDA drops the object's scalers and builds them again, re-reading secrets:
   * a rotated password is picked up. When they cannot be built, the old ones stay (and keep failing).
   */
  #rebuildTriggers(runtime: ScaleLoopRuntime): Promise<void> {
    runtime.rebuilding ??= (async () => {
      const prepared = await this.#prepareTriggers(runtime.object, runtime.container);
      if (!prepared.ok) return;
      await Promise.all(runtime.measurers.map((measurer) => measurer.close()));
      runtime.measurers = prepared.measurers;
      runtime.specs = prepared.specs;
      runtime.resources = prepared.resources;
      runtime.stale = false;
      runtime.refreshAt = prepared.refreshAt;
    })().finally(() => {
      runtime.rebuilding = undefined;
    });
    return runtime.rebuilding;
  }

  /**
   * Rebuilds the triggers before a value from a secret store expires (a service account token is
   * renewed at 80% of its lifetime), on every replica: the metrics API reads with them too.
   */
  async #renewIfDue(runtime: ScaleLoopRuntime): Promise<void> {
    if (runtime.rebuilding) await runtime.rebuilding;
    else if (runtime.refreshAt !== undefined && this.#now() >= runtime.refreshAt)
      await this.#rebuildTriggers(runtime);
  }

  /** One poll of KEDA's scale loop (leader only). */
  async poll(key: string): Promise<void> {
    const runtime = this.#runtimes.get(key);
    if (runtime === undefined || !this.#options.isLeader()) return;
    if (runtime.stale) await this.#rebuildTriggers(runtime);
    else await this.#renewIfDue(runtime);
    const { object } = runtime;
    const namespace = object.metadata.namespace ?? "default";
    const samples = await measureAll(runtime.measurers);
    const recorded = {
      kind: "ScaledObject" as const,
      namespace,
      name: object.metadata.name,
      usesFormula: usesFormula(object),
    };
    recordReadings(this.#options.metrics, recorded, runtime.specs, samples);
    runtime.triggerErrors.report(runtime.specs, samples);
    const current = await runtime.target.getReplicas();
    const readyPods = object.spec.fallback ? (await runtime.target.observedReplicas()).ready : current;
    const input = {
      scaledObject: object,
      metricSpecs: runtime.specs,
      samples,
      currentReplicas: current,
      readyPods,
      now: this.#now(),
      state: runtime.state,
    };
    const direct = runtime.mode === "direct" ? decideDirect(input) : undefined;
    const poll = direct?.poll ?? kedaPoll(input);
    recordComposite(this.#options.metrics, recorded, poll);
    const desired = direct ? direct.desiredReplicas : (poll.scaleTo ?? current);
    if (desired !== current) await this.#scale(runtime, current, desired, direct?.trace.summary);
    runtime.state = direct?.state ?? poll.state;
    runtime.lastSamples = samples;
    runtime.replicas = desired;
    runtime.stale = poll.isError;
    const ref = { namespace, name: object.metadata.name };
    this.#options.metrics.desiredReplicas.set({ ...ref, kind: "ScaledObject" }, desired);
    this.#options.metrics.currentReplicas.set({ ...ref, kind: "ScaledObject" }, current);
    if (poll.isError)
      this.#options.metrics.scaledObjectErrors.inc({ namespace, scaledObject: object.metadata.name });
    const status: Record<string, unknown> = {
      conditions: poll.conditions,
      ...(poll.lastActiveTime === undefined
        ? {}
        : { lastActiveTime: new Date(poll.lastActiveTime).toISOString() }),
      triggersActivity: Object.fromEntries(
        poll.triggers.map((trigger) => [trigger.metricName, { isActive: trigger.active }]),
      ),
      ...(object.spec.fallback ? { health: poll.health } : {}),
    };
    const text = stableJson(status);
    if (text !== runtime.lastStatus) {
      await this.#patchStatus(namespace, object.metadata.name, {
        ...status,
        conditions: this.#mergeConditions(key, poll.conditions),
      });
      runtime.lastStatus = text;
    }
  }

  async #scale(
    runtime: ScaleLoopRuntime,
    from: number,
    to: number,
    reason: string | undefined,
  ): Promise<void> {
    const { object, resolved } = runtime;
    const ref = {
      kind: "ScaledObject",
      namespace: object.metadata.namespace ?? "default",
      name: object.metadata.name,
    };
    const where = `${resolved.kind} ${ref.namespace}/${object.spec.scaleTargetRef.name}`;
    try {
      await runtime.target.setReplicas(to);
    } catch (error) {
      const failure = from === 0 ? "KEDAScaleTargetActivationFailed" : "KEDAScaleTargetDeactivationFailed";
      this.#options.events.record(
        ref,
        "Warning",
        failure,
        `Failed to scale ${where} from ${from} to ${to}: ${messageOf(error)}`,
      );
      throw error;
    }
    if (from === 0)
      this.#options.events.record(
        ref,
        "Normal",
        "KEDAScaleTargetActivated",
        `Scaled ${where} from ${from} to ${to}`,
      );
    else if (reason !== undefined && to !== 0)
      this.#options.events.record(ref, "Normal", "SuccessfulRescale", `New size: ${to}; reason: ${reason}`);
    else
      this.#options.events.record(
        ref,
        "Normal",
        "KEDAScaleTargetDeactivated",
        `Deactivated ${where} from ${from} to ${to}`,
      );
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

  async #pause(
    key: string,
    raw: RawScaledObject,
    object: ScaledObject,
    replicas: number | undefined,
  ): Promise<void> {
    await this.#drop(key);
    if (!this.#options.isLeader()) return;
    const namespace = object.metadata.namespace ?? "default";
    await this.#hpas.delete(namespace, hpaName(object), raw.metadata.uid);
    if (replicas !== undefined) {
      const ref = object.spec.scaleTargetRef;
      try {
        const resolved = await this.#options.discovery.resolveScalable(
          ref.apiVersion ?? "apps/v1",
          ref.kind ?? "Deployment",
        );
        await new KubernetesScaleTarget(this.#options.api, resolved, namespace, ref.name).setReplicas(
          replicas,
        );
      } catch (error) {
        await this.#checkFailed(
          key,
          raw,
          `failed to scale the paused target to ${replicas}: ${messageOf(error)}`,
        );
        return;
      }
    }
    const wasPaused = raw.status?.conditions?.some(
      (condition) => condition.type === "Paused" && condition.status === "True",
    );
    await this.#patchStatus(namespace, object.metadata.name, {
      conditions: this.#mergeConditions(key, [pausedCondition("ScaledObject", true)]),
      pausedReplicaCount: replicas ?? null,
    });
    if (!wasPaused)
      this.#options.events.record(
        { kind: "ScaledObject", namespace, name: object.metadata.name },
        "Normal",
        "ScaledObjectPaused",
        "ScaledObject is paused",
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

  async #markReady(raw: RawScaledObject, runtime: ScaleLoopRuntime): Promise<void> {
    const { object } = runtime;
    const namespace = object.metadata.namespace ?? "default";
    const ref = { kind: "ScaledObject", namespace, name: object.metadata.name };
    const status = raw.status ?? {};
    const conditions = status.conditions ?? [];
    const wanted = readyStatusFields({
      object,
      target: runtime.resolved,
      specs: runtime.specs,
      resources: runtime.resources,
      direct: runtime.mode === "direct",
      originalReplicaCount: status.originalReplicaCount ?? runtime.replicas,
    });
    const updates = readyConditionUpdates(conditions, object.spec.fallback !== undefined);
    const current = Object.fromEntries(
      Object.keys(wanted).map((field) => [field, (status as Record<string, unknown>)[field] ?? null]),
    );
    if (stableJson(current) === stableJson(wanted) && updates.length === 0) return;
    // The poll's status cache no longer matches what the object shows.
    runtime.lastStatus = undefined;
    await this.#patchStatus(namespace, object.metadata.name, {
      ...wanted,
      ...(updates.length > 0 ? { conditions: mergeConditions(conditions, updates) } : {}),
    });
    const was = (type: string) => conditions.find((condition) => condition.type === type)?.status;
    if (was("Ready") !== "True")
      this.#options.events.record(ref, "Normal", "ScaledObjectReady", "ScaledObject is ready for scaling");
    if (was("Paused") === "True")
      this.#options.events.record(ref, "Normal", "ScaledObjectUnpaused", "ScaledObject was unpaused");
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

  async #drop(key: string): Promise<void> {
    const runtime = this.#runtimes.get(key);
    this.#options.scheduler.remove(`scaledobject.${key}`);
    if (runtime === undefined) return;
    this.#runtimes.delete(key);
    await Promise.all(runtime.measurers.map((measurer) => measurer.close()));
    const [namespace, name] = key.split("/") as [string, string];
    this.#options.metrics.forgetObject("scaledobject", namespace, name);
  }

  /** The value of one external metric for the HPA (see metric-lookup.ts). */
  async lookupMetric(
    namespace: string,
    metricName: string,
    selector: Record<string, string>,
  ): Promise<LookupResult> {
    const name = selector[SCALED_OBJECT_LABEL];
    if (!name) return { error: { status: 400, message: "scaledObject name is not specified" } };
    const runtime = this.#runtimes.get(ScaledObjectOperator.key(namespace, name));
    if (runtime === undefined) {
      return { error: { status: 404, message: `ScaledObject ${namespace}/${name} not found or not ready` } };
    }
    await this.#renewIfDue(runtime);
    return lookupMetric(runtime, metricName, this.#now());
  }

  /** Snapshot for tests and debugging: keys with a running scale loop. */
  activeKeys(): string[] {
    return [...this.#runtimes.keys()];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#runtimes.keys()].map((key) => this.#drop(key)));
  }
}
