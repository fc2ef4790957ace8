/**
 * simulateWorkload: the autoscaler in a closed loop with a queue. Items arrive at a piecewise-constant
 * rate; every ready replica drains `serviceRatePerReplica` items per second; a replica becomes ready
 * `startupDelaySeconds` after it is requested; scale-in removes replicas at once, not-yet-ready ones
 * first. The first trigger reads the queue length; other triggers read 0. Evaluations run at the
 * start of the tick their instant falls in; each step's `metrics` holds the queue as `backlog`.
 *
 * The queue is a fluid: per tick, arrivals and departures are amounts, not items. Waits are read off
 * the cumulative arrival and departure curves (FIFO): the items arriving in a tick are represented by
 * their middle one, which leaves when the departures curve reaches it. Items still queued at the end
 * count as waiting until the end, so waitP95Seconds is a lower bound when the queue never drains.
 */
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { initialState } from "../engine/decide.ts";
import type { TriggerMetricSpec, TriggerSample } from "../engine/types.ts";
import { SIMULATION_EPOCH, type SimulationMode, evaluate, evaluationSchedule } from "./autoscaler.ts";
import type { SimulationStep } from "./simulate.ts";
import { readyCount, rescalePool, startingPool } from "./replica-pool.ts";
import { type ReplicaSummary, summarizeReplicas, weightedPercentile } from "./summary.ts";

export interface WorkloadOptions {
  scaledObject: ScaledObject;
  metricSpecs: TriggerMetricSpec[];
  /** Items per second from each `t` until the next entry. */
  arrivals: { t: number; rate: number }[];
  serviceRatePerReplica: number;
  startupDelaySeconds: number;
  durationSeconds: number;
  mode: SimulationMode;
  initialReplicas: number;
  tickSeconds?: number;
  hpaSyncSeconds?: number;
}

export interface WorkloadStep extends SimulationStep {
  /** Replicas ready to serve at this instant. */
  ready: number;
}

export interface WorkloadSummary extends ReplicaSummary {
  backlogP50: number;
  backlogP95: number;
  backlogMax: number;
  waitP95Seconds: number;
  itemsServed: number;
}

export interface WorkloadResult {
  steps: WorkloadStep[];
  summary: WorkloadSummary;
}

export function simulateWorkload(options: WorkloadOptions): WorkloadResult {
  const tick = options.tickSeconds ?? 1;
  const setup = { ...options, hpaSyncSeconds: options.hpaSyncSeconds ?? 15 };
  const schedule = evaluationSchedule(setup, options.durationSeconds);
  const arrivals = [...options.arrivals].sort((a, b) => a.t - b.t);
  const rateAt = (t: number) => (arrivals.findLast((entry) => entry.t <= t) ?? arrivals[0])?.rate ?? 0;

  let state = initialState(SIMULATION_EPOCH);
  let pool = startingPool(options.initialReplicas);
  let queue = 0;
  let next = 0;
  const steps: WorkloadStep[] = [];
  const cumulativeArrivals = [0];
  const cumulativeDepartures = [0];
  const backlog: { value: number; weight: number }[] = [];

  for (let t = 0; t < options.durationSeconds; t += tick) {
    for (; next < schedule.length && (schedule[next]?.t ?? Infinity) < t + tick; next++) {
      const kind = schedule[next]?.kind ?? "direct";
      const observation = {
        t,
        samples: queueSamples(options.metricSpecs, queue),
        replicas: pool.length,
        statusReplicas: pool.length,
        readyPods: readyCount(pool, t),
      };
      const evaluation = evaluate(kind, setup, observation, state);
      if (!evaluation) continue;
      state = evaluation.state;
      pool = rescalePool(pool, evaluation.desired, t + options.startupDelaySeconds);
      steps.push({
        t,
        kind,
        replicas: pool.length,
        ready: readyCount(pool, t),
        desired: evaluation.desired,
        active: evaluation.active,
        fallback: evaluation.fallback,
        rule: evaluation.rule,
        reason: evaluation.trace.summary,
        metrics: { backlog: queue },
      });
    }
    backlog.push({ value: queue, weight: tick });
    const arrived = rateAt(t) * tick;
    const served = Math.min(queue + arrived, readyCount(pool, t) * options.serviceRatePerReplica * tick);
    queue = queue + arrived - served;
    cumulativeArrivals.push((cumulativeArrivals.at(-1) ?? 0) + arrived);
    cumulativeDepartures.push((cumulativeDepartures.at(-1) ?? 0) + served);
  }

  return {
    steps,
    summary: {
      ...summarizeReplicas(options.initialReplicas, steps, options.durationSeconds),
      backlogP50: weightedPercentile(backlog, 0.5),
      backlogP95: weightedPercentile(backlog, 0.95),
      backlogMax: Math.max(0, ...backlog.map((sample) => sample.value)),
      waitP95Seconds: weightedPercentile(fifoWaits(cumulativeArrivals, cumulativeDepartures, tick), 0.95),
      itemsServed: cumulativeDepartures.at(-1) ?? 0,
    },
  };
}

function queueSamples(metricSpecs: readonly TriggerMetricSpec[], queue: number): TriggerSample[] {
  return metricSpecs.map((spec, index) => ({ metricName: spec.metricName, value: index === 0 ? queue : 0 }));
}

/** Per tick, the wait of its middle arrival (weighted by the tick's arrivals). */
function fifoWaits(arrivals: readonly number[], departures: readonly number[], tick: number) {
  const end = (departures.length - 1) * tick;
  const waits: { value: number; weight: number }[] = [];
  for (let index = 0; index + 1 < arrivals.length; index++) {
    const amount = (arrivals[index + 1] ?? 0) - (arrivals[index] ?? 0);
    if (amount <= 0) continue;
    const position = (arrivals[index] ?? 0) + amount / 2;
    const arrivedAt = (index + 0.5) * tick;
    waits.push({
      value: Math.max(0, departureTime(departures, position, tick, end) - arrivedAt),
      weight: amount,
    });
  }
  return waits;
}

/** When the departures curve (linear within each tick) reaches `position`; `end` if it never does. */
function departureTime(departures: readonly number[], position: number, tick: number, end: number): number {
  let low = 0;
  let high = departures.length - 1;
  if ((departures[high] ?? 0) < position) return end;
  // Smallest index whose cumulative departures reach the position.
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if ((departures[middle] ?? 0) >= position) high = middle;
    else low = middle + 1;
  }
  const before = departures[low - 1] ?? 0;
  const after = departures[low] ?? 0;
  const fraction = after === before ? 1 : (position - before) / (after - before);
  return (low - 1 + fraction) * tick;
}
