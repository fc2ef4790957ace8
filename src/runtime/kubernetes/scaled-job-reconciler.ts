import { parseClusterObject } from "../../api/issues.ts";
import type { Condition } from "../../api/schema/primitives.ts";
import { scaledJob, type ScaledJob } from "../../api/schema/scaled-job.ts";
import { checkScaledJob } from "../../validation/object-checks.ts";
import { parseControlAnnotations } from "../../engine/annotations.ts";
import { pausedCondition, readyCondition } from "../../engine/conditions.ts";
import { fingerprintOf, stableJson } from "../../util/stable-json.ts";
import type { DashboardObject } from "../status/source.ts";
import { JobLoop } from "../job-loop.ts";
import { mergeConditions } from "./conditions.ts";
import type { ObjectCache } from "./informer.ts";
import { kubernetesTime, triggerSummary } from "./scaled-object-status.ts";
import type { ReconcilerDependencies } from "./reconciler-dependencies.ts";
import { resourcePath } from "./kube-api.ts";
import { KubernetesJobTarget } from "./job-target.ts";
import { type RawScaledObject } from "./scaled-object-reconciler.ts";
import { envContainer, prepareClusterTriggers } from "./triggers.ts";
import { KEDA_API_VERSION, KEDA_FINALIZER } from "../../api/names.ts";

/** A ScaledJob as the API returns it. */
export type RawScaledJob = Omit<RawScaledObject, "status"> & { status?: ScaledJob["status"] };

export interface ScaledJobReconcilerOptions extends ReconcilerDependencies {
  informer: ObjectCache<RawScaledJob>;
}

interface JobRuntime {
  fingerprint: string;
  loop: JobLoop;
  lastStatus?: string;
  /** When a store's value (a service account token) is due for renewal: prepare the triggers again. */
  refreshAt?: number;
}

/**
 * Reconciles ScaledJobs as KEDA does: finalizer, validation, triggers resolved from the cluster,
 * and a job loop per object that creates batch/v1 Jobs (leader only) and keeps status current.
 */
export class ScaledJobReconciler {
  readonly #options: ScaledJobReconcilerOptions;
  readonly #runtimes = new Map<string, JobRuntime>();

  constructor(options: ScaledJobReconcilerOptions) {
    this.#options = options;
  }

  async reconcile(key: string): Promise<void> {
    const [namespace, name] = key.split("/") as [string, string];
    const raw = this.#options.informer.get(name, namespace);
    const leader = this.#options.isLeader();
    if (raw === undefined || raw.metadata.deletionTimestamp) {
      if (raw && leader) await this.#removeFinalizer(raw);
      await this.#drop(key);
      return;
    }
    if (leader && !(raw.metadata.finalizers ?? []).includes(KEDA_FINALIZER)) {
      await this.#options.api.patch(this.#path(raw), {
        metadata: {
          resourceVersion: raw.metadata.resourceVersion,
          finalizers: [...(raw.metadata.finalizers ?? []), KEDA_FINALIZER],
        },
      });
      return;
    }
    this.#options.events.track({
      kind: "ScaledJob",
      namespace,
      name,
      apiVersion: KEDA_API_VERSION,
      ...(raw.metadata.uid ? { uid: raw.metadata.uid } : {}),
    });
    const parsed = parseClusterObject(scaledJob, raw, KEDA_API_VERSION, "ScaledJob");
    if ("error" in parsed) {
      await this.#checkFailed(key, raw, parsed.error);
      return;
    }
    const object = parsed.data as ScaledJob & { metadata: { uid?: string; generation?: number } };
    const problems: string[] = [];
    checkScaledJob(object, (path, message, severity) => {
      if (severity !== "warning") problems.push(`${path}: ${message}`);
    });
    if (problems.length > 0) {
      await this.#checkFailed(key, raw, problems.join("; "));
      return;
    }
    if (parseControlAnnotations(object.metadata.annotations).paused) {
      await this.#drop(key);
      if (leader) await this.#setConditions(raw, [pausedCondition("ScaledJob", true)]);
      return;
    }
    const fingerprint = fingerprintOf({
      spec: raw.spec,
      annotations: raw.metadata.annotations,
      generation: raw.metadata.generation,
    });
    if (this.#runtimes.get(key)?.fingerprint !== fingerprint) {
      const container = envContainer(
        { spec: { template: object.spec.jobTargetRef.template as never } },
        object.spec.envSourceContainerName,
      );
      const prepared = await prepareClusterTriggers(object, container, this.#options.authSources, {
        clusterObjectNamespace: this.#options.clusterObjectNamespace,
        pool: this.#options.pool,
        timeoutMs: this.#options.timeoutMs,
        processEnvironment: this.#options.processEnvironment,
        api: this.#options.api,
      });
      if (!prepared.ok || prepared.resources.length > 0) {
        const problems = prepared.ok
          ? ["cpu and memory triggers are not supported for ScaledJob"]
          : prepared.problems;
        await this.#checkFailed(key, raw, problems.join("; "));
        return;
      }
      await this.#drop(key);
      const loop = new JobLoop({
        object,
        triggers: prepared.measurers,
        specs: prepared.specs,
        target: new KubernetesJobTarget(
          this.#options.api,
          {
            ...object,
            metadata: { ...object.metadata, uid: raw.metadata.uid, generation: raw.metadata.generation },
          },
          this.#options.version,
        ),
        targetRef: { kind: "Job", name },
        now: this.#options.now ?? Date.now,
        metrics: this.#options.metrics,
        events: this.#options.events,
        ...(this.#options.history ? { history: this.#options.history } : {}),
      });
      this.#runtimes.set(key, {
        fingerprint,
        loop,
        ...(prepared.refreshAt === undefined ? {} : { refreshAt: prepared.refreshAt }),
      });
      this.#options.scheduler.add({
        key: `scaledjob.${key}`,
        intervalMs: loop.intervalMs,
        run: () => this.poll(key),
      });
    }
    if (leader) {
      const ready = raw.status?.conditions?.find((condition) => condition.type === "Ready");
      const status = triggerSummary(object.spec.triggers);
      if (ready?.status !== "True" || raw.status?.triggersTypes !== status.triggersTypes) {
        await this.#patchStatus(raw, {
          ...status,
          conditions: this.#merge(raw, [readyCondition.ok("ScaledJob"), pausedCondition("ScaledJob", false)]),
        });
        if (ready?.status !== "True")
          this.#options.events.record(
            { kind: "ScaledJob", namespace, name },
            "Normal",
            "ScaledJobReady",
            "ScaledJob is ready for scaling",
          );
      }
    }
  }

  async poll(key: string): Promise<void> {
    let runtime = this.#runtimes.get(key);
    if (runtime === undefined || !this.#options.isLeader()) return;
    if (runtime.refreshAt !== undefined && (this.#options.now ?? Date.now)() >= runtime.refreshAt) {
      // A value from a secret store (a service account token) is due for renewal: prepare again.
      runtime.fingerprint = "";
      await this.reconcile(key);
      runtime = this.#runtimes.get(key);
      if (runtime === undefined) return;
    }
    await runtime.loop.evaluate();
    const snapshot = runtime.loop.snapshot();
    const [namespace, name] = key.split("/") as [string, string];
    const raw = this.#options.informer.get(name, namespace);
    if (raw === undefined) return;
    const status = {
      conditions: this.#merge(raw, snapshot.conditions),
      ...(snapshot.lastActiveTime
        ? { lastActiveTime: kubernetesTime(Date.parse(snapshot.lastActiveTime)) }
        : {}),
      externalMetricNames: snapshot.triggers.map((trigger) => trigger.metricName),
    };
    const text = stableJson(status);
    if (text === runtime.lastStatus) return;
    await this.#patchStatus(raw, status);
    runtime.lastStatus = text;
  }

  #merge(raw: RawScaledJob, conditions: readonly Condition[]): Condition[] {
    return mergeConditions(raw.status?.conditions, conditions);
  }

  async #setConditions(raw: RawScaledJob, conditions: Condition[]): Promise<void> {
    const merged = this.#merge(raw, conditions);
    if (stableJson(merged) === stableJson(raw.status?.conditions ?? [])) return;
    await this.#patchStatus(raw, { conditions: merged });
  }

  async #checkFailed(key: string, raw: RawScaledJob, message: string): Promise<void> {
    await this.#drop(key);
    if (!this.#options.isLeader()) return;
    const ready = raw.status?.conditions?.find((condition) => condition.type === "Ready");
    if (ready?.status === "False" && ready.message === message) return;
    await this.#setConditions(raw, [readyCondition.checkFailed("ScaledJob", message)]);
    this.#options.events.record(
      { kind: "ScaledJob", namespace: raw.metadata.namespace ?? "default", name: raw.metadata.name },
      "Warning",
      "ScaledJobCheckFailed",
      message,
    );
  }

  async #removeFinalizer(raw: RawScaledJob): Promise<void> {
    const finalizers = raw.metadata.finalizers ?? [];
    if (!finalizers.includes(KEDA_FINALIZER)) return;
    await this.#options.api.patch(this.#path(raw), {
      metadata: {
        resourceVersion: raw.metadata.resourceVersion,
        finalizers: finalizers.filter((finalizer) => finalizer !== KEDA_FINALIZER),
      },
    });
    this.#options.events.record(
      { kind: "ScaledJob", namespace: raw.metadata.namespace ?? "default", name: raw.metadata.name },
      "Normal",
      "ScaledJobDeleted",
      "ScaledJob was deleted",
    );
  }

  async #patchStatus(raw: RawScaledJob, status: Record<string, unknown>): Promise<void> {
    await this.#options.api.patch(`${this.#path(raw)}/status`, { status });
  }

  #path(raw: RawScaledJob): string {
    return resourcePath(
      KEDA_API_VERSION,
      "scaledjobs",
      raw.metadata.namespace ?? "default",
      raw.metadata.name,
    );
  }

  async #drop(key: string): Promise<void> {
    const runtime = this.#runtimes.get(key);
    this.#options.scheduler.remove(`scaledjob.${key}`);
    if (runtime === undefined) return;
    this.#runtimes.delete(key);
    await runtime.loop.close();
    const [namespace, name] = key.split("/") as [string, string];
    this.#options.metrics.forgetObject("scaledjob", namespace, name);
    this.#options.history?.forget(runtime.loop.ref);
  }

  /** The objects with a job loop, as the dashboard and status API show them. */
  dashboardObjects(): DashboardObject[] {
    return [...this.#runtimes.values()].map(({ loop }) => ({
      ref: loop.ref,
      shownKind: "ScaledJob",
      snapshot: () => loop.snapshot(),
      trace: () => loop.lastTrace(),
    }));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#runtimes.keys()].map((key) => this.#drop(key)));
  }
}
