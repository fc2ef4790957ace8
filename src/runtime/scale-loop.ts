import { usesFormula, type ScaledObject } from "../api/schema/scaled-object.ts";
import type { Condition } from "../api/schema/primitives.ts";
import { parseControlAnnotations, pausesScaling } from "../engine/annotations.ts";
import { pausedCondition } from "../engine/conditions.ts";
import { COMPOSITE_METRIC_NAME } from "../engine/scaling-modifiers.ts";
import { hpaStep, kedaPoll, pollTrace, type DirectInput, type KedaPollResult } from "../engine/decide.ts";
import type { DecisionRule, DecisionTrace, ScaledObjectState, TriggerMetricSpec } from "../engine/types.ts";
import type { ScheduledTask } from "../scheduler/scheduler.ts";
import type { TidalMetrics } from "../observability/metrics.ts";
import type { TriggerMeasurer } from "../scalers/prepared-trigger.ts";
import type { ScaleTarget } from "../targets/types.ts";
import { messageOf } from "../util/errors.ts";
import type { EventRecorder, ObjectRef } from "./events.ts";
import type { ScalingHistory } from "./history.ts";
import { measureAll, recordComposite, recordReadings, type TimedSample } from "./readings.ts";
import { conditionIs, triggerSnapshots, type ObjectSnapshot } from "./snapshot.ts";
import { TriggerErrorReporter } from "./trigger-errors.ts";
import { TriggerForecasting, type ForecastHistoryStore } from "./forecasting.ts";

/**
 * Who scales between 1 and N. Either way the loop runs KEDA's scale loop (kedaPoll) every
 * pollingInterval, moving the target between 0 and 1 (or idle and min).
 * - `hpa`: a Kubernetes HPA reading the metrics API does 1 ↔ N.
 * - `direct`: there is no HPA; the loop also runs the HPA's sync itself every HPA sync period,
 *   on the values KEDA's metrics server would serve then (fresh reads, or the last poll's value
 *   for `useCachedMetrics` triggers), so the timeline is the one KEDA and the HPA would give.
 */
export type ScalingStrategy = "hpa" | "direct";

/** kube-controller-manager's --horizontal-pod-autoscaler-sync-period default. */
export const HPA_SYNC_PERIOD_MS = 15_000;

/** An object's connected triggers and the metric each one serves. */
export interface ConnectedTriggers {
  measurers: readonly TriggerMeasurer[];
  specs: readonly TriggerMetricSpec[];
  /** When a parameter from a secret store (a service account token) must be fetched again. */
  refreshAt?: number;
}

/** What one poll found and decided, for the runtime to persist or write to status. */
export interface PollOutcome {
  poll: KedaPollResult;
  /** The object's conditions after this poll (the poll's, with KEDA's Paused reasons). */
  conditions: Condition[];
  currentReplicas: number;
  desiredReplicas: number;
  /** The replicas the target has after this poll (desired, unless the target refused). */
  replicas: number;
  /** `autoscaling.keda.sh/paused-replicas`, when the object is paused at a count. */
  pausedReplicas?: number;
  state: ScaledObjectState;
  trace: DecisionTrace;
}

export interface ScaleLoopOptions {
  object: ScaledObject;
  triggers: ConnectedTriggers;
  strategy: ScalingStrategy;
  /** How often the loop syncs like the HPA in direct mode (default 15 s, as the HPA controller). */
  hpaSyncPeriodMs?: number;
  target: ScaleTarget;
  /** The target as status and events name it (kind as KEDA's status.scaleTargetKind shows it). */
  targetRef: { kind: string; name: string };
  /** Engine state to continue from (a restart, an operator taking over, a changed object). */
  state: ScaledObjectState;
  /** The object's Paused condition before this loop (so the first poll reports no change). */
  pausedCondition?: Condition;
  now: () => number;
  metrics: TidalMetrics;
  events: EventRecorder;
  /** Where every poll and HPA sync leaves a point (the dashboard's charts). */
  history?: ScalingHistory;
  /** After every KEDA poll: the operator writes status. */
  onPolled?: (outcome: PollOutcome) => Promise<void>;
  /** After every poll and HPA sync: the standalone runner keeps state across restarts. */
  persist?: (state: { engine: ScaledObjectState; replicas: number }) => Promise<void>;
  /**
   * After a poll in which a trigger failed, KEDA drops the object's scalers and builds them again,
   * re-reading secrets (a rotated password is picked up). Returns undefined when they cannot be
   * built; the old ones then stay and keep failing.
   */
  rebuildTriggers?: () => Promise<ConnectedTriggers | undefined>;
  /**
   * Where the history of the `autoscaling.tidal.dev/forecast` annotation is kept across restarts
   * (the state folder, a ConfigMap); without one it lives as long as the loop.
   */
  forecastStore?: ForecastHistoryStore;
}

/**
 * One ScaledObject, in either runtime: every poll reads the triggers (none while paused), asks the
 * engine what KEDA (and, in direct mode, the HPA) would do, sets the target's replicas, and
 * reports it once — KEDA's events and metrics, a snapshot for the status API, and an outcome the
 * runtime persists or writes to the object's status.
 */
export class ScaleLoop {
  readonly ref: ObjectRef & { kind: "ScaledObject" };
  readonly #options: ScaleLoopOptions;
  readonly #triggerErrors: TriggerErrorReporter;
  #triggers: ConnectedTriggers;
  #state: ScaledObjectState;
  /** KEDA keeps the reason of the last pause or unpause in the Paused condition until the next one. */
  #pausedCondition: Condition;
  #rebuildBeforeNextPoll = false;
  #running: Promise<void> = Promise.resolve();
  #rebuilding: Promise<void> | undefined;
  /** The forecast annotation's stage, which every reading of a forecast trigger goes through. */
  readonly #forecasting: TriggerForecasting | undefined;
  #samples: TimedSample[] = [];
  #trace: DecisionTrace | undefined;
  #lastEvaluation: number | undefined;
  #snapshot: Pick<
    ObjectSnapshot,
    "replicas" | "desiredReplicas" | "readyReplicas" | "conditions" | "active" | "fallback" | "paused"
  >;

  constructor(options: ScaleLoopOptions) {
    this.#options = options;
    this.#forecasting = TriggerForecasting.of(options.object, options.now, options.forecastStore);
    this.#triggers = this.#forecasting?.wrap(options.triggers) ?? options.triggers;
    this.#state = options.state;
    this.#pausedCondition = options.pausedCondition ?? pausedCondition("ScaledObject", false);
    const { metadata } = options.object;
    this.ref = { kind: "ScaledObject", namespace: metadata.namespace ?? "default", name: metadata.name };
    this.#triggerErrors = new TriggerErrorReporter(this.ref, options.events);
    options.metrics.registerObject(
      "scaledobject",
      this.ref.namespace,
      this.ref.name,
      options.object.spec.triggers.map((trigger) => trigger.type),
    );
    this.#snapshot = {
      replicas: 0,
      desiredReplicas: 0,
      readyReplicas: 0,
      conditions: [
        { type: "Ready", status: "Unknown" },
        { type: "Active", status: "Unknown" },
        { type: "Fallback", status: "Unknown" },
        this.#pausedCondition,
      ],
      active: false,
      fallback: false,
      paused: this.paused,
    };
  }

  get object(): ScaledObject {
    return this.#options.object;
  }

  get intervalMs(): number {
    return this.#options.object.spec.pollingInterval * 1000;
  }

  get specs(): readonly TriggerMetricSpec[] {
    return this.#triggers.specs;
  }

  get state(): ScaledObjectState {
    return this.#state;
  }

  get paused(): boolean {
    return this.#pausedCondition.status === "True";
  }

  get pausedCondition(): Condition {
    return this.#pausedCondition;
  }

  /** The scheduler's tasks for this loop: KEDA's poll, and in direct mode the HPA's sync. */
  tasks(key: string): ScheduledTask[] {
    const poll = { key, intervalMs: this.intervalMs, run: () => this.evaluate().then(() => undefined) };
    if (this.#options.strategy !== "direct") return [poll];
    const intervalMs = this.#options.hpaSyncPeriodMs ?? HPA_SYNC_PERIOD_MS;
    return [poll, { key: `${key}/hpa`, intervalMs, run: () => this.syncHpa().then(() => undefined) }];
  }

  /**
   * One pass of KEDA's scale loop. Never throws for a failing trigger or target: those become
   * conditions, events and metrics.
   */
  evaluate(): Promise<DecisionTrace> {
    const { metrics, now } = this.#options;
    metrics.recordLoopStart("scaledobject", this.ref.namespace, this.ref.name, this.intervalMs, now());
    return this.#exclusive(() => this.#poll());
  }

  /**
   * One sync of the HPA KEDA would own (direct mode): nothing while paused or at 0 replicas,
   * as the HPA does nothing then. Returns the trace, or undefined when it did not run.
   */
  syncHpa(): Promise<DecisionTrace | undefined> {
    return this.#exclusive(() => this.#sync());
  }

  /** Polls and syncs of one object never overlap: each sees the state the other left. */
  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#running.then(work, work);
    this.#running = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #poll(): Promise<DecisionTrace> {
    const { object, target, metrics } = this.#options;
    const annotations = parseControlAnnotations(object.metadata.annotations);
    // Paused (with or without a count), KEDA stops reading the triggers.
    const readsTriggers = !pausesScaling(annotations);
    if (readsTriggers) await this.freshTriggers();
    const { measurers, specs } = this.#triggers;
    const samples = readsTriggers ? await measureAll(measurers) : [];
    const now = this.#options.now();
    if (readsTriggers) {
      recordReadings(metrics, this.#recorded(), specs, samples);
      this.#triggerErrors.report(specs, samples);
    }
    const current = await target.getReplicas();
    // Ready pods matter to fallback on Value metrics; reading them costs an API call.
    const observed = object.spec.fallback
      ? await target.observedReplicas()
      : { existing: current, ready: current };
    const input = this.#input(samples, current, observed, now);
    const poll = kedaPoll(input);
    const trace = pollTrace(object, input, poll);
    if (readsTriggers) recordComposite(metrics, this.#recorded(), poll);
    const desired = poll.scaleTo ?? current;
    // As KEDA's reconcile does, a change of pause is reported before the target moves.
    this.#reportPause(poll);
    const conditions = poll.conditions.map((condition) =>
      condition.type === "Paused" ? this.#pausedCondition : condition,
    );
    const scaled = desired === current || (await this.#scale(current, desired, poll.boundedBy, trace));
    const replicas = scaled ? desired : current;
    this.#rebuildBeforeNextPoll = poll.isError;
    this.#samples = samples;
    this.#snapshot = {
      replicas: current,
      desiredReplicas: desired,
      readyReplicas: observed.ready,
      conditions,
      active: poll.active,
      fallback: poll.fallback,
      paused: this.paused,
    };
    metrics.scaledObjectPaused.set(
      { namespace: this.ref.namespace, scaledObject: this.ref.name },
      this.paused ? 1 : 0,
    );
    if (poll.isError)
      metrics.scaledObjectErrors.inc({ namespace: this.ref.namespace, scaledObject: this.ref.name });
    await this.#settle(poll.state, trace, current, desired, replicas, now, samples);
    await this.#forecasting?.saveIfDue();
    const pausedReplicas = annotations.pausedReplicas;
    await this.#options.onPolled?.({
      poll,
      conditions,
      currentReplicas: current,
      desiredReplicas: desired,
      replicas,
      ...(pausedReplicas && "replicas" in pausedReplicas ? { pausedReplicas: pausedReplicas.replicas } : {}),
      state: this.#state,
      trace,
    });
    return trace;
  }

  async #sync(): Promise<DecisionTrace | undefined> {
    const { object, target, metrics } = this.#options;
    if (pausesScaling(parseControlAnnotations(object.metadata.annotations))) return undefined;
    const current = await target.getReplicas();
    if (current === 0) return undefined;
    await this.freshTriggers();
    const { measurers, specs } = this.#triggers;
    // What KEDA's metrics server answers: a fresh read, or the last poll's for useCachedMetrics.
    const cached = (index: number) =>
      object.spec.triggers[specs[index]?.index ?? -1]?.useCachedMetrics ? this.#samples[index] : undefined;
    const samples = await Promise.all(
      measurers.map((measurer, index) => cached(index) ?? measurer.measure()),
    );
    const fresh = samples.map((sample, index) => (cached(index) === undefined ? sample : undefined));
    recordReadings(metrics, this.#recorded(), specs, fresh);
    this.#triggerErrors.report(specs, samples);
    const observed = await target.observedReplicas();
    const now = this.#options.now();
    const step = hpaStep(this.#input(samples, current, observed, now));
    if (step === undefined) return undefined;
    const desired = step.desiredReplicas;
    const scaled = desired === current || (await this.#scale(current, desired, "hpa", step.trace));
    this.#snapshot = {
      ...this.#snapshot,
      replicas: current,
      desiredReplicas: desired,
      readyReplicas: observed.ready,
    };
    await this.#settle(step.state, step.trace, current, desired, scaled ? desired : current, now, samples);
    return step.trace;
  }

  #recorded() {
    return { ...this.ref, usesFormula: usesFormula(this.#options.object) };
  }

  #input(
    samples: readonly TimedSample[],
    current: number,
    observed: { existing: number; ready: number },
    now: number,
  ): DirectInput {
    return {
      scaledObject: this.#options.object,
      metricSpecs: this.#triggers.specs,
      samples,
      currentReplicas: current,
      readyPods: observed.ready,
      statusReplicas: observed.existing,
      now,
      state: this.#state,
    };
  }

  /** Keeps what an evaluation decided and reports the replica counts. */
  async #settle(
    state: ScaledObjectState,
    trace: DecisionTrace,
    current: number,
    desired: number,
    replicas: number,
    now: number,
    samples: readonly TimedSample[],
  ): Promise<void> {
    this.#state = state;
    this.#trace = trace;
    this.#lastEvaluation = now;
    this.#options.history?.record(this.ref, {
      at: now,
      replicas: current,
      desiredReplicas: desired,
      active: this.#snapshot.active,
      fallback: this.#snapshot.fallback,
      specs: this.#triggers.specs,
      values: samples.map((sample) => (sample.error === undefined ? sample.value : null)),
      forecasts: samples.map((sample) => sample.forecast ?? null),
    });
    const labels = { namespace: this.ref.namespace, kind: "ScaledObject", name: this.ref.name };
    this.#options.metrics.desiredReplicas.set(labels, desired);
    this.#options.metrics.currentReplicas.set(labels, current);
    await this.#options.persist?.({ engine: state, replicas });
  }

  /**
   * The triggers to read with: rebuilt first after a failed poll (as KEDA does, re-reading
   * secrets) or when a value from a secret store is due for renewal. The metrics API calls this
   * too, so it never reads with an expired token; concurrent callers share one rebuild.
   */
  freshTriggers(): Promise<void> {
    const due = this.#triggers.refreshAt !== undefined && this.#options.now() >= this.#triggers.refreshAt;
    if (this.#rebuilding === undefined && (this.#rebuildBeforeNextPoll || due)) {
      this.#rebuilding = this.#rebuildTriggers().finally(() => {
        this.#rebuilding = undefined;
      });
    }
    return this.#rebuilding ?? Promise.resolve();
  }

  async #rebuildTriggers(): Promise<void> {
    const rebuilt = await this.#options.rebuildTriggers?.();
    if (rebuilt === undefined) return;
    const previous = this.#triggers;
    this.#triggers = this.#forecasting?.wrap(rebuilt) ?? rebuilt;
    this.#rebuildBeforeNextPoll = false;
    await Promise.all(previous.measurers.map((measurer) => measurer.close()));
  }

  /**
   * Sets the target's replicas and reports it with KEDA's events: activation and deactivation as
   * KEDA's executor names them, any other change (the HPA's work in direct mode) as the HPA does.
   * Returns false when the target refused.
   */
  async #scale(from: number, to: number, rule: DecisionRule | "hpa", trace: DecisionTrace): Promise<boolean> {
    const { events, target, targetRef } = this.#options;
    const where = `${targetRef.kind} ${this.ref.namespace}/${targetRef.name}`;
    const activation = rule === "activation" || rule === "force-activation";
    const deactivation = rule === "deactivation" || rule === "idle";
    try {
      await target.setReplicas(to);
    } catch (error) {
      const cause = messageOf(error);
      if (activation)
        events.record(
          this.ref,
          "Warning",
          "KEDAScaleTargetActivationFailed",
          `Failed to scale ${where} from ${from} to ${to}: ${cause}`,
        );
      else if (deactivation)
        events.record(
          this.ref,
          "Warning",
          "KEDAScaleTargetDeactivationFailed",
          `Failed to deactivate ${where} from ${from} to ${to}: ${cause}`,
        );
      else
        events.record(
          this.ref,
          "Warning",
          "FailedRescale",
          `New size: ${to}; reason: ${trace.summary}; error: ${cause}`,
        );
      return false;
    }
    if (activation) {
      const cause =
        rule === "force-activation"
          ? "caused by forced activation annotation"
          : `triggered by ${activeMetricNames(trace)}`;
      events.record(
        this.ref,
        "Normal",
        "KEDAScaleTargetActivated",
        `Scaled ${where} from ${from} to ${to}, ${cause}`,
      );
    } else if (deactivation) {
      events.record(
        this.ref,
        "Normal",
        "KEDAScaleTargetDeactivated",
        `Deactivated ${where} from ${from} to ${to}`,
      );
    } else if (rule === "hpa") {
      events.record(this.ref, "Normal", "SuccessfulRescale", `New size: ${to}; reason: ${trace.summary}`);
    }
    // KEDA only logs setting minReplicaCount and the paused count; so does Tidal (no event).
    return true;
  }

  /** KEDA's ScaledObjectPaused / ScaledObjectUnpaused events and condition when pausing changes. */
  #reportPause(poll: KedaPollResult): void {
    const paused = conditionIs(poll.conditions, "Paused", "True");
    if (paused === this.paused) return;
    if (paused) {
      this.#pausedCondition = pausedCondition("ScaledObject", true);
      this.#options.events.record(this.ref, "Normal", "ScaledObjectPaused", "ScaledObject is paused");
      return;
    }
    const message = "pause annotation removed for ScaledObject";
    this.#pausedCondition = { type: "Paused", status: "False", reason: "ScaledObjectUnpaused", message };
    this.#options.events.record(this.ref, "Normal", "ScaledObjectUnpaused", message);
  }

  lastTrace(): DecisionTrace | undefined {
    return this.#trace;
  }

  /** What the external metrics API needs to answer the HPA for this object. */
  metricSource() {
    return {
      object: this.#options.object,
      specs: this.#triggers.specs,
      measurers: this.#triggers.measurers,
      lastSamples: this.#samples,
      replicas: this.#snapshot.replicas,
      state: this.#state,
    };
  }

  snapshot(): ObjectSnapshot {
    return {
      name: this.ref.name,
      namespace: this.ref.namespace,
      target: this.#options.targetRef,
      ...this.#snapshot,
      minReplicas: this.#options.object.spec.minReplicaCount,
      maxReplicas: this.#options.object.spec.maxReplicaCount,
      ready: conditionIs(this.#snapshot.conditions, "Ready", "True"),
      lastActiveTime:
        this.#state.lastActiveTime === undefined ? null : new Date(this.#state.lastActiveTime).toISOString(),
      lastEvaluationTime:
        this.#lastEvaluation === undefined ? null : new Date(this.#lastEvaluation).toISOString(),
      triggers: triggerSnapshots(this.#triggers.specs, this.#samples),
    };
  }

  async close(): Promise<void> {
    await this.#forecasting?.save();
    await Promise.all(this.#triggers.measurers.map((measurer) => measurer.close()));
  }
}

/** KEDA names the active triggers by metric name, separated by semicolons; a formula as its composite metric. */
function activeMetricNames(trace: DecisionTrace): string {
  if (trace.formula) return COMPOSITE_METRIC_NAME;
  return trace.triggers
    .filter((trigger) => trigger.active)
    .map((trigger) => trigger.metricName)
    .join(";");
}
