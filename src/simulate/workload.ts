/**
 * simulateWorkload: the autoscaler in a closed loop with a queue. Items arrive at a piecewise-constant
 * rate; every ready replica drains `serviceRatePerReplica` items per second; a replica becomes ready
 * `startupDelaySeconds` after it is requested; scale-in removes replicas at once, not-yet-ready ones
 * first. The trigger named by `rateTrigger` (if any) reads the arrival rate (items/s, the mean over
 * the last `rateWindowSeconds`); the first other trigger reads the queue length; the rest read 0.
 * Forecasting triggers (predictkube, the forecast annotation) serve their forecast, made from the
 * readings of earlier evaluations only. Evaluations run at the start of the tick their instant
 * falls in; each step's `metrics` holds the queue as `backlog`, the rate under the rate trigger's
 * name and each forecast as `NAME forecast`. With `summaryFromSeconds`, the summary leaves the
 * warm-up before it out (a forecast's history is being recorded then).
 *
 * The queue is a fluid: per tick, arrivals and departures are amounts, not items. Waits are read off
 * the cumulative arrival and departure curves (FIFO): the items arriving in a tick are represented by
 * their middle one, which leaves when the departures curve reaches it. Items still queued at the end
 * count as waiting until the end, so waitP95Seconds is a lower bound when the queue never drains.
 */
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { initialState } from "../engine/decide.ts";
import type { TriggerMetricSpec } from "../engine/types.ts";
import { TidalError } from "../util/errors.ts";
import { forecastColumns, SimulationForecasts, type SimulatedForecasts } from "./forecasts.ts";
import { SIMULATION_EPOCH, type SimulationMode, evaluate, evaluationSchedule } from "./autoscaler.ts";
import { type SimulationStep, stepDetail } from "./simulate.ts";
import { formatNumber } from "../util/format-number.ts";
import { formatDuration } from "./report.ts";
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
  /**
   * Run past durationSeconds until the queue drains (then `settleSeconds` more, to show the
   * scale-in), until it stops draining (replicas unchanged and the queue not shrinking for
   * `settleSeconds`), or until `limitSeconds`.
   */
  untilDrained?: { settleSeconds: number; limitSeconds: number };
  mode: SimulationMode;
  initialReplicas: number;
  tickSeconds?: number;
  hpaSyncSeconds?: number;
  /** The trigger (its name, or s<index>) that reads the arrival rate instead of the queue. */
  rateTrigger?: string;
  /** Seconds the arrival rate is averaged over (default 60, as rate(…[1m])). */
  rateWindowSeconds?: number;
  /** Forecast settings by metric name (simulatedForecasts). */
  forecasts?: SimulatedForecasts;
  /** The summary covers [summaryFromSeconds, durationSeconds] (default 0). */
  summaryFromSeconds?: number;
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

/** Why the run ended where it did. */
export interface WorkloadEnd {
  /** The simulated seconds. */
  seconds: number;
  /** Items still queued at the end. */
  queue: number;
  /** When the queue last became empty after the arrivals' nominal end, if it did. */
  drainedAt?: number;
  reason: "duration" | "drained" | "not-draining" | "limit";
  /** One line for a person. */
  message: string;
}

export interface WorkloadResult {
  steps: WorkloadStep[];
  summary: WorkloadSummary;
  end: WorkloadEnd;
}

/** A queue this small is empty (the fluid queue leaves rounding dust). */
const EMPTY = 1e-9;

export function simulateWorkload(options: WorkloadOptions): WorkloadResult {
  const tick = options.tickSeconds ?? 1;
  const setup = { ...options, hpaSyncSeconds: options.hpaSyncSeconds ?? 15 };
  const until = options.untilDrained;
  const schedule = evaluationSchedule(setup, until ? until.limitSeconds : options.durationSeconds);
  const arrivals = [...options.arrivals].sort((a, b) => a.t - b.t);
  let arrival = 0;
  /** The arrival rate at t; t only grows, so the search resumes where it stopped. */
  const rateAt = (t: number) => {
    while (arrival + 1 < arrivals.length && (arrivals[arrival + 1]?.t ?? Infinity) <= t) arrival++;
    return arrivals[arrival]?.rate ?? 0;
  };
  const rateIndex = rateTriggerIndex(options.metricSpecs, options.rateTrigger);
  const rateColumn = rateIndex === undefined ? undefined : columnOf(options.metricSpecs[rateIndex]);
  const queueIndex = options.metricSpecs.findIndex((_, index) => index !== rateIndex);
  const windowTicks = Math.max(1, Math.round((options.rateWindowSeconds ?? 60) / tick));
  const forecasts = new SimulationForecasts(options.forecasts);
  const from = options.summaryFromSeconds ?? 0;

  let state = initialState(SIMULATION_EPOCH);
  let pool = startingPool(options.initialReplicas);
  let queue = 0;
  let next = 0;
  const steps: WorkloadStep[] = [];
  const cumulativeArrivals = [0];
  const cumulativeDepartures = [0];
  const backlog: { value: number; weight: number }[] = [];
  let endAt = options.durationSeconds;
  let end: Omit<WorkloadEnd, "seconds" | "queue"> | undefined;
  let drainedAt: number | undefined;
  let lastChange = 0;
  const queueAt = (tickIndex: number) =>
    (cumulativeArrivals[tickIndex] ?? 0) - (cumulativeDepartures[tickIndex] ?? 0);

  for (let t = 0; t < endAt; t += tick) {
    for (; next < schedule.length && (schedule[next]?.t ?? Infinity) < t + tick; next++) {
      const kind = schedule[next]?.kind ?? "direct";
      const done = cumulativeArrivals.length - 1;
      const seen = Math.min(done, windowTicks);
      const rate =
        seen === 0
          ? rateAt(t)
          : ((cumulativeArrivals[done] ?? 0) - (cumulativeArrivals[done - seen] ?? 0)) / (seen * tick);
      const read = options.metricSpecs.map((spec, index) => ({
        metricName: spec.metricName,
        value: index === rateIndex ? rate : index === queueIndex ? queue : 0,
      }));
      const samples = forecasts.apply(SIMULATION_EPOCH + t * 1000, read);
      const observation = {
        t,
        samples,
        replicas: pool.length,
        statusReplicas: pool.length,
        readyPods: readyCount(pool, t),
      };
      const evaluation = evaluate(kind, setup, observation, state);
      if (!evaluation) continue;
      state = evaluation.state;
      if (evaluation.desired !== pool.length) lastChange = t;
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
        ...stepDetail(evaluation.trace),
        metrics: {
          backlog: queue,
          ...(rateColumn === undefined ? {} : { [rateColumn]: rate }),
          ...forecastColumns(options.metricSpecs, samples),
        },
      });
    }
    if (t >= from) backlog.push({ value: queue, weight: tick });
    const arrived = rateAt(t) * tick;
    const served = Math.min(queue + arrived, readyCount(pool, t) * options.serviceRatePerReplica * tick);
    queue = queue + arrived - served;
    cumulativeArrivals.push((cumulativeArrivals.at(-1) ?? 0) + arrived);
    cumulativeDepartures.push((cumulativeDepartures.at(-1) ?? 0) + served);
    const now = t + tick;
    if (until === undefined || now < options.durationSeconds) continue;
    if (queue <= EMPTY) {
      drainedAt ??= now;
      endAt = Math.max(
        options.durationSeconds,
        Math.min(until.limitSeconds, drainedAt + until.settleSeconds),
      );
      continue;
    }
    drainedAt = undefined;
    const settleTicks = Math.round(until.settleSeconds / tick);
    const ticks = cumulativeArrivals.length - 1;
    if (
      now - lastChange >= until.settleSeconds &&
      now - options.durationSeconds >= until.settleSeconds &&
      queueAt(ticks) >= queueAt(ticks - settleTicks) - EMPTY
    ) {
      end = {
        reason: "not-draining",
        message: notDraining(now, queue, pool, rateAt(t), options, steps.at(-1)),
      };
      endAt = now;
    } else if (now >= until.limitSeconds) {
      end = {
        reason: "limit",
        message: `stopped at ${formatDuration(now)}, the longest simulation, with ${formatNumber(queue)} items still queued`,
      };
      endAt = now;
    } else {
      endAt = now + tick;
    }
  }
  const simulated = endAt;
  if (end === undefined) {
    end =
      until !== undefined && drainedAt !== undefined
        ? {
            reason: "drained",
            drainedAt,
            message:
              drainedAt > options.durationSeconds
                ? `the queue drained at ${formatDuration(drainedAt)}, after the last arrivals; simulated ${formatDuration(simulated - drainedAt)} more to show the scale-in`
                : `the queue is empty at the end`,
          }
        : {
            reason: "duration",
            message:
              queue > EMPTY
                ? `${formatNumber(queue)} items are still queued at the end (--duration ${formatDuration(simulated)})`
                : `the queue is empty at the end`,
          };
  }

  const firstTick = Math.ceil(from / tick);
  return {
    steps,
    summary: {
      ...summarizeReplicas(options.initialReplicas, steps, simulated, from),
      backlogP50: weightedPercentile(backlog, 0.5),
      backlogP95: weightedPercentile(backlog, 0.95),
      backlogMax: Math.max(0, ...backlog.map((sample) => sample.value)),
      waitP95Seconds: weightedPercentile(
        fifoWaits(cumulativeArrivals, cumulativeDepartures, tick).slice(firstTick),
        0.95,
      ),
      itemsServed: (cumulativeDepartures.at(-1) ?? 0) - (cumulativeDepartures[firstTick] ?? 0),
    },
    end: { seconds: simulated, queue: queue <= EMPTY ? 0 : queue, ...end },
  };
}

/** Why a queue stopped draining, in terms a person can act on. */
function notDraining(
  now: number,
  queue: number,
  pool: readonly number[],
  rate: number,
  options: WorkloadOptions,
  last: WorkloadStep | undefined,
): string {
  const ready = readyCount(pool, now);
  const max = options.scaledObject.spec.maxReplicaCount;
  const why =
    ready === 0
      ? `no replica runs (last decision: ${last?.reason ?? "none"})`
      : `${ready} ready ${ready === 1 ? "replica serves" : "replicas serve"} ${perSecond(ready * options.serviceRatePerReplica)}${ready >= max ? ` (maxReplicaCount ${max})` : ""} and ${perSecond(rate)} arrive`;
  return `the queue stopped draining at ${formatDuration(now)} with ${formatNumber(queue)} items: ${why}`;
}
const perSecond = (rate: number) => `${formatNumber(rate)} ${rate === 1 ? "item" : "items"}/s`;

/** The column a trigger's values go under: its name, or s<index>. */
function columnOf(spec: TriggerMetricSpec | undefined): string {
  return spec === undefined ? "" : spec.name || `s${spec.index}`;
}

/** The index of the trigger named `name` (its name, s<index> or its metric name). */
function rateTriggerIndex(specs: readonly TriggerMetricSpec[], name: string | undefined): number | undefined {
  if (name === undefined) return undefined;
  const index = specs.findIndex(
    (spec) => spec.name === name || `s${spec.index}` === name || spec.metricName === name,
  );
  if (index < 0) {
    const known = specs.map((spec) => columnOf(spec)).join(", ");
    throw new TidalError("TIDAL_E_SIMULATE", `--rate-trigger ${name} matches no trigger; triggers: ${known}`);
  }
  return index;
}

/** Per tick, the wait of its middle arrival (weighted by the tick's arrivals; 0 for no arrivals). */
function fifoWaits(arrivals: readonly number[], departures: readonly number[], tick: number) {
  const end = (departures.length - 1) * tick;
  const waits: { value: number; weight: number }[] = [];
  for (let index = 0; index + 1 < arrivals.length; index++) {
    const amount = (arrivals[index + 1] ?? 0) - (arrivals[index] ?? 0);
    if (amount <= 0) {
      waits.push({ value: 0, weight: 0 });
      continue;
    }
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
