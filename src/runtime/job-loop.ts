import type { ScaledJob } from "../api/schema/scaled-job.ts";
import { decideScaledJob } from "../engine/scaled-job.ts";
import type { DecisionTrace, TriggerMetricSpec } from "../engine/types.ts";
import type { TidalMetrics } from "../observability/metrics.ts";
import type { TriggerMeasurer } from "../scalers/prepared-trigger.ts";
import { messageOf } from "../util/errors.ts";
import type { EventRecorder, ObjectRef } from "./events.ts";
import type { ScalingHistory } from "./history.ts";
import { measureAll, recordReadings, type TimedSample } from "./readings.ts";
import { conditionIs, triggerSnapshots, type ObjectSnapshot } from "./snapshot.ts";
import { TriggerErrorReporter } from "./trigger-errors.ts";

/** Where a ScaledJob's jobs run: local processes, or batch/v1 Jobs. */
export interface JobTarget {
  /** KEDA's counts: running = not Complete/Failed; pending = running with no pod Running or Succeeded. */
  counts(): Promise<{ running: number; pending: number }>;
  createJobs(count: number): Promise<string[]>;
  /** Deletes finished jobs beyond the history limits. */
  cleanupHistory?(): Promise<void>;
}

export interface JobLoopOptions {
  object: ScaledJob;
  triggers: readonly TriggerMeasurer[];
  /** Each trigger's metric, as its measurer described it. */
  specs: readonly TriggerMetricSpec[];
  target: JobTarget;
  targetRef: { kind: string; name: string };
  now: () => number;
  metrics: TidalMetrics;
  events: EventRecorder;
  /** Where every poll leaves a point (the dashboard's charts). */
  history?: ScalingHistory;
}

/** One ScaledJob: every poll reads the triggers, asks the engine how many jobs to create, creates them. */
export class JobLoop {
  readonly ref: ObjectRef & { kind: "ScaledJob" };
  readonly #options: JobLoopOptions;
  readonly #specs: TriggerMetricSpec[];
  readonly #triggerErrors: TriggerErrorReporter;
  #samples: TimedSample[] = [];
  #trace: DecisionTrace | undefined;
  #lastActiveTime: number | undefined;
  #lastEvaluation: number | undefined;
  #running = 0;
  #active = false;
  #conditions: ObjectSnapshot["conditions"] = [
    { type: "Ready", status: "Unknown" },
    { type: "Active", status: "Unknown" },
    { type: "Paused", status: "False" },
  ];

  constructor(options: JobLoopOptions) {
    this.#options = options;
    const { metadata } = options.object;
    this.ref = { kind: "ScaledJob", namespace: metadata.namespace ?? "default", name: metadata.name };
    this.#specs = [...options.specs];
    this.#triggerErrors = new TriggerErrorReporter(this.ref, options.events);
    options.metrics.registerObject(
      "scaledjob",
      this.ref.namespace,
      this.ref.name,
      options.object.spec.triggers.map((trigger) => trigger.type),
    );
  }

  get intervalMs(): number {
    return this.#options.object.spec.pollingInterval * 1000;
  }

  async evaluate(): Promise<DecisionTrace> {
    const { target, metrics, events, object } = this.#options;
    metrics.recordLoopStart(
      "scaledjob",
      this.ref.namespace,
      this.ref.name,
      this.intervalMs,
      this.#options.now(),
    );
    const samples = await measureAll(this.#options.triggers);
    this.#samples = samples;
    recordReadings(metrics, this.ref, this.#specs, samples);
    this.#triggerErrors.report(this.#specs, samples);
    const { running, pending } = await target.counts();
    const decision = decideScaledJob({
      scaledJob: object,
      metricSpecs: this.#specs,
      samples,
      runningJobs: running,
      pendingJobs: pending,
      now: this.#options.now(),
    });
    if (decision.jobsToCreate > 0) {
      try {
        const names = await target.createJobs(decision.jobsToCreate);
        events.record(this.ref, "Normal", "KEDAJobsCreated", `Created ${names.length} jobs`);
      } catch (error) {
        events.record(
          this.ref,
          "Warning",
          "KEDAJobCreateFailed",
          `Failed to create jobs: ${messageOf(error)}`,
        );
      }
    }
    if (decision.active !== this.#active) {
      events.record(
        this.ref,
        "Normal",
        decision.active ? "ScaledJobActive" : "ScaledJobInactive",
        decision.active ? "ScaledJob is active" : "ScaledJob is inactive",
      );
    }
    await target.cleanupHistory?.();
    this.#active = decision.active;
    this.#running = running + decision.jobsToCreate;
    this.#conditions = decision.conditions;
    if (decision.lastActiveTime !== undefined) this.#lastActiveTime = decision.lastActiveTime;
    this.#lastEvaluation = this.#options.now();
    this.#trace = decision.trace;
    this.#options.history?.record(this.ref, {
      at: this.#lastEvaluation,
      replicas: this.#running,
      desiredReplicas: this.#running,
      active: decision.active,
      fallback: false,
      specs: this.#specs,
      values: samples.map((sample) => (sample.error === undefined ? sample.value : null)),
      forecasts: samples.map((sample) => sample.forecast ?? null),
    });
    metrics.desiredReplicas.set(
      { namespace: this.ref.namespace, kind: "ScaledJob", name: this.ref.name },
      this.#running,
    );
    if (decision.isError)
      metrics.scaledJobErrors.inc({ namespace: this.ref.namespace, scaledJob: this.ref.name });
    return decision.trace;
  }

  lastTrace(): DecisionTrace | undefined {
    return this.#trace;
  }

  snapshot(): ObjectSnapshot {
    return {
      name: this.ref.name,
      namespace: this.ref.namespace,
      target: this.#options.targetRef,
      replicas: this.#running,
      desiredReplicas: this.#running,
      readyReplicas: this.#running,
      minReplicas: this.#options.object.spec.minReplicaCount,
      maxReplicas: this.#options.object.spec.maxReplicaCount,
      ready: conditionIs(this.#conditions, "Ready", "True"),
      active: this.#active,
      fallback: false,
      paused: conditionIs(this.#conditions, "Paused", "True"),
      lastActiveTime:
        this.#lastActiveTime === undefined ? null : new Date(this.#lastActiveTime).toISOString(),
      lastEvaluationTime:
        this.#lastEvaluation === undefined ? null : new Date(this.#lastEvaluation).toISOString(),
      conditions: this.#conditions,
      triggers: triggerSnapshots(this.#specs, this.#samples),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#options.triggers.map((trigger) => trigger.close()));
  }
}
