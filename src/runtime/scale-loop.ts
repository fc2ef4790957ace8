import { usesFormula, type ScaledObject } from "../api/schema/scaled-object.ts";
import { decideDirect, initialState } from "../engine/decide.ts";
import type { DecisionTrace, ScaledObjectState, TriggerMetricSpec } from "../engine/types.ts";
import type { TidalMetrics } from "../observability/metrics.ts";
import type { TriggerMeasurer } from "../scalers/prepared-trigger.ts";
import type { ScaleTarget } from "../targets/types.ts";
import { messageOf } from "../util/errors.ts";
import type { EventRecorder, ObjectRef } from "./events.ts";
import { measureAll, recordComposite, recordReadings, type TimedSample } from "./readings.ts";
import { conditionIs, triggerSnapshots, type ObjectSnapshot } from "./snapshot.ts";
import { TriggerErrorReporter } from "./trigger-errors.ts";

/** What a scale loop keeps across restarts (in --state-dir). */
export interface PersistedScaleState {
  engine: ScaledObjectState;
  /** Replicas the target had when Tidal first took it over (for restoreToOriginalReplicaCount). */
  originalReplicas: number;
  /** Replicas Tidal last set, restored on restart so a restart never drops workers mid-cooldown. */
  replicas: number;
}

export interface ScaleLoopOptions {
  object: ScaledObject;
  triggers: readonly TriggerMeasurer[];
  /** Each trigger's metric, as its measurer described it (external scalers ask their source). */
  specs: readonly TriggerMetricSpec[];
  target: ScaleTarget;
  targetRef: { kind: string; name: string };
  persisted: PersistedScaleState;
  now: () => number;
  metrics: TidalMetrics;
  events: EventRecorder;
  persist: (state: PersistedScaleState) => Promise<void>;
}

/** Starting state for a ScaledObject Tidal has not seen before. */
export function freshScaleState(createdAt: number, replicas: number): PersistedScaleState {
  return { engine: initialState(createdAt), originalReplicas: replicas, replicas };
}

/**
 * One ScaledObject scaled directly: every poll reads the triggers, asks the engine what KEDA and
 * the HPA together would do, and sets the target's replicas. Used by the standalone runner.
 */
export class ScaleLoop {
  readonly ref: ObjectRef & { kind: "ScaledObject" };
  readonly #options: ScaleLoopOptions;
  readonly #specs: TriggerMetricSpec[];
  #persisted: PersistedScaleState;
  #trace: DecisionTrace | undefined;
  #samples: TimedSample[] = [];
  #lastEvaluation: number | undefined;
  #snapshot: Pick<
    ObjectSnapshot,
    "replicas" | "desiredReplicas" | "readyReplicas" | "conditions" | "active" | "fallback" | "paused"
  >;
  /** Trigger errors already reported, so a failing source yields one event, not one per poll. */
  readonly #triggerErrors: TriggerErrorReporter;

  constructor(options: ScaleLoopOptions) {
    this.#options = options;
    this.#persisted = options.persisted;
    const { metadata } = options.object;
    this.ref = { kind: "ScaledObject", namespace: metadata.namespace ?? "default", name: metadata.name };
    this.#specs = [...options.specs];
    this.#triggerErrors = new TriggerErrorReporter(this.ref, options.events);
    this.#snapshot = {
      replicas: options.persisted.replicas,
      desiredReplicas: options.persisted.replicas,
      readyReplicas: 0,
      conditions: [
        { type: "Ready", status: "Unknown" },
        { type: "Active", status: "Unknown" },
        { type: "Fallback", status: "Unknown" },
        { type: "Paused", status: "False" },
      ],
      active: false,
      fallback: false,
      paused: false,
    };
  }

  get object(): ScaledObject {
    return this.#options.object;
  }

  get intervalMs(): number {
    return this.#options.object.spec.pollingInterval * 1000;
  }

  /** One poll. Never throws: failures become conditions, events and metrics. */
  async evaluate(): Promise<DecisionTrace> {
    const { target, metrics, object } = this.#options;
    const samples = await measureAll(this.#options.triggers);
    const now = this.#options.now();
    this.#samples = samples;
    const recorded = { ...this.ref, usesFormula: usesFormula(object) };
    recordReadings(metrics, recorded, this.#specs, samples);
    this.#triggerErrors.report(this.#specs, samples);
    const current = await target.getReplicas();
    const observed = await target.observedReplicas();
    const decision = decideDirect({
      scaledObject: object,
      metricSpecs: this.#specs,
      samples,
      currentReplicas: current,
      readyPods: observed.ready,
      statusReplicas: observed.existing,
      now,
      state: this.#persisted.engine,
    });
    recordComposite(metrics, recorded, decision.poll);
    const desired = decision.desiredReplicas;
    const scaled = desired === current || (await this.#scale(current, desired, decision.trace));
    this.#persisted = { ...this.#persisted, engine: decision.state, replicas: scaled ? desired : current };
    await this.#options.persist(this.#persisted);
    this.#trace = decision.trace;
    this.#lastEvaluation = now;
    this.#snapshot = {
      replicas: current,
      desiredReplicas: desired,
      readyReplicas: observed.ready,
      conditions: decision.poll.conditions,
      active: decision.poll.active,
      fallback: decision.poll.fallback,
      paused: decision.poll.paused,
    };
    const labels = { namespace: this.ref.namespace, kind: "ScaledObject", name: this.ref.name };
    metrics.desiredReplicas.set(labels, desired);
    metrics.currentReplicas.set(labels, current);
    metrics.scaledObjectPaused.set(
      { namespace: this.ref.namespace, scaledObject: this.ref.name },
      decision.poll.paused ? 1 : 0,
    );
    if (decision.poll.isError)
      metrics.scaledObjectErrors.inc({ namespace: this.ref.namespace, scaledObject: this.ref.name });
    return decision.trace;
  }

  /** Sets the target's replicas and reports it; false when the target refused. */
  async #scale(from: number, to: number, trace: DecisionTrace): Promise<boolean> {
    const { events, target, targetRef } = this.#options;
    try {
      await target.setReplicas(to);
    } catch (error) {
      events.record(
        this.ref,
        "Warning",
        "KEDAScaleTargetActivationFailed",
        `Failed to scale ${targetRef.kind} ${targetRef.name} to ${to}: ${messageOf(error)}`,
      );
      return false;
    }
    const where = `${targetRef.kind} ${this.ref.namespace}/${targetRef.name}`;
    if (from === 0) {
      events.record(
        this.ref,
        "Normal",
        "KEDAScaleTargetActivated",
        `Scaled ${where} from ${from} to ${to}, triggered by ${activeTriggers(trace)}`,
      );
    } else if (
      to === 0 ||
      (this.#options.object.spec.idleReplicaCount !== undefined &&
        to === this.#options.object.spec.idleReplicaCount)
    ) {
      events.record(
        this.ref,
        "Normal",
        "KEDAScaleTargetDeactivated",
        `Deactivated ${where} from ${from} to ${to}`,
      );
    } else {
      events.record(this.ref, "Normal", "SuccessfulRescale", `New size: ${to}; reason: ${trace.summary}`);
    }
    return true;
  }

  lastTrace(): DecisionTrace | undefined {
    return this.#trace;
  }

  persisted(): PersistedScaleState {
    return this.#persisted;
  }

  snapshot(): ObjectSnapshot {
    const { engine } = this.#persisted;
    return {
      name: this.ref.name,
      namespace: this.ref.namespace,
      target: this.#options.targetRef,
      ...this.#snapshot,
      ready: conditionIs(this.#snapshot.conditions, "Ready", "True"),
      lastActiveTime:
        engine.lastActiveTime === undefined ? null : new Date(engine.lastActiveTime).toISOString(),
      lastEvaluationTime:
        this.#lastEvaluation === undefined ? null : new Date(this.#lastEvaluation).toISOString(),
      triggers: triggerSnapshots(this.#specs, this.#samples),
    };
  }

  async close(): Promise<void> {
    await Promise.all(this.#options.triggers.map((trigger) => trigger.close()));
  }
}

function activeTriggers(trace: DecisionTrace): string {
  const active = trace.triggers.filter((trigger) => trigger.active).map((trigger) => trigger.metricName);
  return active.length > 0 ? active.join(", ") : "force-activation";
}
