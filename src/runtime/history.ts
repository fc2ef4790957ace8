import type { ForecastReport, TriggerMetricSpec } from "../engine/types.ts";
import type { ObjectRef } from "./events.ts";

/**
 * What one evaluation of an object leaves in its history: the counts the status API shows after
 * it (current and desired replicas, or running jobs), and each trigger's reading (null when the
 * trigger failed or was not read, e.g. while paused).
 */
export interface HistoryRecord {
  at: number;
  replicas: number;
  desiredReplicas: number;
  active: boolean;
  fallback: boolean;
  /** The triggers' metrics: their names lay out the series, their targets and activation thresholds are kept as they change. */
  specs: readonly Pick<TriggerMetricSpec, "name" | "type" | "metricName" | "target" | "activationTarget">[];
  values: readonly (number | null | undefined)[];
  /**
   * What each forecasting trigger (predictkube, or the forecast annotation) predicted at this
   * evaluation, in `specs` order; absent, or null for a trigger that does not forecast.
   */
  forecasts?: readonly (ForecastReading | null | undefined)[];
}

/** The parts of a trigger's forecast report its chart keeps. */
export type ForecastReading = Pick<ForecastReport, "predicted" | "horizonSeconds" | "mode">;

/** A threshold of a trigger from `at` on (a trigger's target or activation changes only with its object). */
export interface ThresholdChange {
  at: number;
  target: number;
  activationTarget: number;
}

/**
 * An object's history as the dashboard draws it, in columns (one entry per point, oldest first):
 * older points are one per `coarseMs` bucket (the largest counts and values seen in it), the newest
 * are every evaluation. `t` is milliseconds since the epoch.
 */
export interface HistorySeries {
  t: number[];
  replicas: number[];
  desiredReplicas: number[];
  active: boolean[];
  fallback: boolean[];
  /** One column per trigger, in `triggers` order; null where the trigger had no reading. */
  values: (number | null)[][];
}

export interface ObjectHistory extends HistorySeries {
  coarseMs: number;
  /** Points before this time are bucketed (one per coarseMs); 0 when there are none. */
  coarseUntil: number;
  triggers: { name: string; type: string; metricName: string; thresholds: ThresholdChange[] }[];
}

/**
 * A forecast of one line of an object's chart, from a predictive trigger (predictkube, or the
 * forecast annotation). Tidal records it as it is made: every evaluation of the trigger predicts
 * one value, for the evaluation's time + the horizon, and the point is that value at that time.
 * So the line runs `horizon` ahead of the measured one, and where both are drawn, the forecast
 * made `horizon` earlier can be read against what came.
 */
export interface ForecastSeries {
  /** The line it continues: desired replicas, or one trigger's metric (by KEDA's metric name). */
  of: { kind: "desiredReplicas" } | { kind: "metric"; metricName: string };
  /** When the newest of its points was predicted (ms since the epoch). */
  madeAt: number;
  /** How far ahead each point was predicted. */
  horizonSeconds?: number;
  /** Whether the newest forecast is what the trigger serves (false: it serves its current value). */
  served?: boolean;
  points: readonly { at: number; value: number; lower?: number; upper?: number }[];
}

/** Gives an object's current forecasts, or none. */
export type ForecastProvider = (object: ObjectRef) => readonly ForecastSeries[] | undefined;

export interface HistoryOptions {
  /** Evaluations kept at full resolution per object (default 120). */
  recentPoints?: number;
  /** Width of one older bucket (default 60 s). */
  coarseMs?: number;
  /** Buckets kept per object (default 180: three hours of one-minute buckets). */
  coarsePoints?: number;
}

const FLAG_ACTIVE = 1;
const FLAG_FALLBACK = 2;
/** Replica counts are kept as 16-bit integers; larger counts are shown as this. */
const MAX_COUNT = 0xffff;
const MAX_THRESHOLD_CHANGES = 8;

/**
 * A ring of points in one ArrayBuffer read through one DataView (two objects per ring, whatever
 * its size): per point 8 bytes of time, 4 per trigger (float32; values round-trip to 7
 * significant digits), 2 + 2 of counts and 1 of flags. It starts small and doubles up to its
 * capacity, so objects with little history cost little.
 */
class Ring {
  readonly capacity: number;
  readonly width: number;
  #view: DataView;
  #allocated: number;
  start = 0;
  length = 0;

  constructor(capacity: number, width: number) {
    this.capacity = capacity;
    this.width = width;
    this.#allocated = Math.min(capacity, 8);
    this.#view = new DataView(new ArrayBuffer(this.#allocated * this.#pointBytes));
  }

  get #pointBytes(): number {
    return 8 + 4 * this.width + 5;
  }

  // Column offsets for an allocation of `size` points: times, values, replicas, desired, flags.
  #offsets(size: number) {
    const values = 8 * size;
    const replicas = values + 4 * this.width * size;
    const desired = replicas + 2 * size;
    return { values, replicas, desired, flags: desired + 2 * size };
  }

  /** Adds a point; when the ring is full, returns the oldest point, which it overwrites. */
  push(
    at: number,
    replicas: number,
    desired: number,
    flags: number,
    values: ArrayLike<number>,
  ): Point | undefined {
    if (this.length === this.#allocated && this.#allocated < this.capacity) this.#grow();
    let slot: number;
    let evicted: Point | undefined;
    if (this.length < this.#allocated) {
      slot = (this.start + this.length) % this.#allocated;
      this.length += 1;
    } else {
      evicted = this.point(0);
      slot = this.start;
      this.start = (this.start + 1) % this.#allocated;
    }
    this.#write(this.#view, this.#allocated, slot, {
      at,
      replicas: clampCount(replicas),
      desired: clampCount(desired),
      flags,
      values,
    });
    return evicted;
  }

  #write(
    view: DataView,
    size: number,
    slot: number,
    point: Omit<Point, "values"> & { values: ArrayLike<number> },
  ): void {
    const offsets = this.#offsets(size);
    view.setFloat64(8 * slot, point.at);
    for (let trigger = 0; trigger < this.width; trigger++)
      view.setFloat32(
        offsets.values + 4 * (slot * this.width + trigger),
        point.values[trigger] ?? Number.NaN,
      );
    view.setUint16(offsets.replicas + 2 * slot, point.replicas);
    view.setUint16(offsets.desired + 2 * slot, point.desired);
    view.setUint8(offsets.flags + slot, point.flags);
  }

  /** The i-th oldest point. */
  point(index: number): Point {
    const slot = (this.start + index) % this.#allocated;
    const offsets = this.#offsets(this.#allocated);
    const view = this.#view;
    const values: number[] = [];
    for (let trigger = 0; trigger < this.width; trigger++)
      values.push(view.getFloat32(offsets.values + 4 * (slot * this.width + trigger)));
    return {
      at: view.getFloat64(8 * slot),
      replicas: view.getUint16(offsets.replicas + 2 * slot),
      desired: view.getUint16(offsets.desired + 2 * slot),
      flags: view.getUint8(offsets.flags + slot),
      values,
    };
  }

  /** The replica count of the i-th oldest point (the sparkline's, without the rest). */
  replicasAt(index: number): number {
    const slot = (this.start + index) % this.#allocated;
    return this.#view.getUint16(this.#offsets(this.#allocated).replicas + 2 * slot);
  }

  get oldest(): number | undefined {
    return this.length === 0 ? undefined : this.#view.getFloat64(8 * this.start);
  }

  #grow(): void {
    const size = Math.min(this.capacity, this.#allocated * 2);
    const view = new DataView(new ArrayBuffer(size * this.#pointBytes));
    for (let index = 0; index < this.length; index++) this.#write(view, size, index, this.point(index));
    this.#view = view;
    this.#allocated = size;
    this.start = 0;
  }

  /** Appends the points with time in [from, until) to `out`. */
  appendTo(out: HistorySeries, from: number, until: number): void {
    for (let index = 0; index < this.length; index++) {
      const point = this.point(index);
      if (point.at >= from && point.at < until) appendPoint(out, point);
    }
  }

  /** Bytes of the points' buffer. */
  get bytes(): number {
    return this.#view.byteLength;
  }
}

function clampCount(count: number): number {
  return Math.max(0, Math.min(MAX_COUNT, Math.round(count)));
}

/** A float32 as the decimal it most likely stood for (7 significant digits). */
function shortest(value: number): number {
  return Number(value.toPrecision(7));
}

/** One point of a ring or a bucket; a value is NaN where the trigger had no reading. */
interface Point {
  at: number;
  replicas: number;
  desired: number;
  flags: number;
  values: number[];
}

function appendPoint(out: HistorySeries, point: Point): void {
  out.t.push(point.at);
  out.replicas.push(point.replicas);
  out.desiredReplicas.push(point.desired);
  out.active.push((point.flags & FLAG_ACTIVE) !== 0);
  out.fallback.push((point.flags & FLAG_FALLBACK) !== 0);
  point.values.forEach((value, trigger) =>
    (out.values[trigger] as (number | null)[]).push(
      Number.isNaN(value) ? null : Number.isInteger(value) ? value : shortest(value),
    ),
  );
}

/**
 * The open bucket of the coarse ring: the largest counts and values of the points that left the
 * full-resolution ring in one `coarseMs`, any flag seen; `at` is its first point's time (the
 * history's first bucket does not claim the part of its minute before Tidal ran).
 */
type Bucket = Point;

/**
 * Points at two resolutions: the last `recentPoints` as recorded, and before them one bucket per
 * `coarseMs` (the largest values of the points that left the recent ring in it).
 */
class Track {
  readonly recent: Ring;
  readonly coarse: Ring;
  bucket: Bucket | undefined;

  constructor(width: number, options: Required<HistoryOptions>) {
    this.recent = new Ring(options.recentPoints, width);
    this.coarse = new Ring(options.coarsePoints, width);
  }

  push(
    at: number,
    replicas: number,
    desired: number,
    flags: number,
    values: number[],
    coarseMs: number,
  ): void {
    const evicted = this.recent.push(at, replicas, desired, flags, values);
    if (evicted !== undefined) this.#fold(evicted, coarseMs);
  }

  /**
   * Adds a point that left the full-resolution ring to its bucket; a point of a later bucket closes
   * the open one into the coarse ring. So buckets hold only points older than the full-resolution
   * ones: nothing is drawn twice, and nothing falls between the two.
   */
  #fold(point: Point, coarseMs: number): void {
    const bucketOf = (at: number) => at - (at % coarseMs);
    const open = this.bucket;
    if (open !== undefined && bucketOf(open.at) === bucketOf(point.at)) {
      open.replicas = Math.max(open.replicas, point.replicas);
      open.desired = Math.max(open.desired, point.desired);
      open.flags |= point.flags;
      point.values.forEach((value, index) => {
        const previous = open.values[index] as number;
        if (!Number.isNaN(value) && (Number.isNaN(previous) || value > previous)) open.values[index] = value;
      });
      return;
    }
    if (open !== undefined) this.coarse.push(open.at, open.replicas, open.desired, open.flags, open.values);
    this.bucket = point;
  }

  /** Appends the buckets, then the full-resolution points; returns whether any bucket was. */
  appendAll(out: HistorySeries): boolean {
    this.coarse.appendTo(out, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    if (this.bucket !== undefined) appendPoint(out, this.bucket);
    const bucketed = out.t.length > 0;
    this.recent.appendTo(out, this.recent.oldest ?? Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
    return bucketed;
  }

  get bytes(): number {
    return this.recent.bytes + this.coarse.bytes;
  }
}

/**
 * The predictions of an object's forecasting triggers, one point per evaluation that made any
 * (at the evaluation's time; the horizon is added when read), one column per trigger.
 */
class ForecastTrack {
  readonly track: Track;
  /** Each trigger's horizon; NaN for a trigger that has not forecast. */
  readonly horizonsMs: number[];
  /** Each trigger's newest mode. */
  readonly modes: (ForecastReading["mode"] | undefined)[];

  constructor(width: number, options: Required<HistoryOptions>) {
    this.track = new Track(width, options);
    this.horizonsMs = Array.from({ length: width }, () => Number.NaN);
    this.modes = Array.from({ length: width }, () => undefined);
  }

  /** Whether readings with these horizons can join this track (a changed horizon starts over). */
  fits(readings: readonly (ForecastReading | null | undefined)[]): boolean {
    return readings.every((reading, index) => {
      const horizon = this.horizonsMs[index];
      return (
        reading === null ||
        reading === undefined ||
        horizon === undefined ||
        Number.isNaN(horizon) ||
        horizon === reading.horizonSeconds * 1000
      );
    });
  }
}

class Series {
  readonly layout: string;
  readonly triggers: ObjectHistory["triggers"];
  readonly measured: Track;
  /** Created by the first evaluation with a prediction. */
  forecast: ForecastTrack | undefined;

  constructor(layout: string, record: HistoryRecord, options: Required<HistoryOptions>) {
    this.layout = layout;
    this.triggers = record.specs.map((spec) => ({
      name: spec.name,
      type: spec.type,
      metricName: spec.metricName,
      thresholds: [],
    }));
    this.measured = new Track(record.specs.length, options);
  }
}

function layoutOf(specs: HistoryRecord["specs"]): string {
  return specs.map((spec) => spec.metricName).join("\n");
}

function keyOf(object: ObjectRef): string {
  return `${object.kind}/${object.namespace}/${object.name}`;
}

function emptySeries(width: number): HistorySeries {
  return {
    t: [],
    replicas: [],
    desiredReplicas: [],
    active: [],
    fallback: [],
    values: Array.from({ length: width }, () => []),
  };
}

const usable = (value: number | null | undefined): value is number =>
  value !== null && value !== undefined && Number.isFinite(value);

/**
 * The recent history of every object, in memory and bounded per object: the last `recentPoints`
 * evaluations as they happened, and before them one bucket per `coarseMs` (by default three hours
 * of one-minute buckets). With one trigger a full object takes about 6 KiB, 10,000 objects about
 * 60 MiB (bench/history.ts measures it). An object with a forecasting trigger keeps its
 * predictions the same way, beside its measurements (about 6 KiB more with one trigger). The scale
 * and job loops record; the dashboard reads, and hears of new points.
 */
export class ScalingHistory {
  readonly #series = new Map<string, Series>();
  readonly #options: Required<HistoryOptions>;
  readonly #listeners = new Set<(object: ObjectRef) => void>();

  constructor(options: HistoryOptions = {}) {
    this.#options = {
      recentPoints: options.recentPoints ?? 120,
      coarseMs: options.coarseMs ?? 60_000,
      coarsePoints: options.coarsePoints ?? 180,
    };
  }

  get coarseMs(): number {
    return this.#options.coarseMs;
  }

  record(object: ObjectRef, record: HistoryRecord): void {
    const key = keyOf(object);
    const layout = layoutOf(record.specs);
    let series = this.#series.get(key);
    // Other metrics, other lines: a changed set of triggers starts the object's history over.
    if (series === undefined || series.layout !== layout) {
      series = new Series(layout, record, this.#options);
      this.#series.set(key, series);
    }
    record.specs.forEach((spec, index) => {
      const thresholds = series.triggers[index]?.thresholds;
      const last = thresholds?.at(-1);
      if (thresholds === undefined) return;
      if (last?.target === spec.target && last.activationTarget === spec.activationTarget) return;
      thresholds.push({ at: record.at, target: spec.target, activationTarget: spec.activationTarget });
      if (thresholds.length > MAX_THRESHOLD_CHANGES) thresholds.shift();
    });
    const flags = (record.active ? FLAG_ACTIVE : 0) | (record.fallback ? FLAG_FALLBACK : 0);
    const values = record.specs.map((_, index) => {
      const value = record.values[index];
      return usable(value) ? value : Number.NaN;
    });
    series.measured.push(
      record.at,
      record.replicas,
      record.desiredReplicas,
      flags,
      values,
      this.#options.coarseMs,
    );
    if (record.forecasts !== undefined) this.#recordForecasts(series, record.at, record.forecasts);
    for (const listener of this.#listeners) listener(object);
  }

  #recordForecasts(
    series: Series,
    at: number,
    readings: readonly (ForecastReading | null | undefined)[],
  ): void {
    const width = series.triggers.length;
    const predicted = series.triggers.map((_, index) => {
      const value = readings[index]?.predicted;
      return usable(value) ? value : Number.NaN;
    });
    if (predicted.every((value) => Number.isNaN(value))) return;
    // A changed horizon moves every point: the predictions start over.
    if (series.forecast === undefined || !series.forecast.fits(readings))
      series.forecast = new ForecastTrack(width, this.#options);
    const forecast = series.forecast;
    predicted.forEach((value, index) => {
      const reading = readings[index];
      if (Number.isNaN(value) || reading === null || reading === undefined) return;
      forecast.horizonsMs[index] = reading.horizonSeconds * 1000;
      forecast.modes[index] = reading.mode;
    });
    forecast.track.push(at, 0, 0, 0, predicted, this.#options.coarseMs);
  }

  /**
   * An object's history: buckets up to the oldest full-resolution point, then every evaluation.
   * With `after`, only the full-resolution points later than it (what a live view appends).
   */
  get(object: ObjectRef, after?: number): ObjectHistory | undefined {
    const series = this.#series.get(keyOf(object));
    if (series === undefined) return undefined;
    const out = emptySeries(series.triggers.length);
    const { measured } = series;
    let coarseUntil = 0;
    if (after === undefined) {
      if (measured.appendAll(out)) coarseUntil = measured.recent.oldest ?? 0;
    } else {
      measured.recent.appendTo(out, after + 1e-3, Number.POSITIVE_INFINITY);
    }
    return {
      ...out,
      coarseMs: this.#options.coarseMs,
      coarseUntil,
      triggers: series.triggers.map((trigger) => ({ ...trigger, thresholds: [...trigger.thresholds] })),
    };
  }

  /**
   * The forecasts of an object's forecasting triggers over the kept window, one series per
   * trigger that predicted: each evaluation's prediction at its time + the horizon (older ones
   * as the largest prediction of each bucket, at its first evaluation's time + the horizon).
   */
  forecasts(object: ObjectRef): ForecastSeries[] {
    const series = this.#series.get(keyOf(object));
    const forecast = series?.forecast;
    if (series === undefined || forecast === undefined) return [];
    const out = emptySeries(series.triggers.length);
    forecast.track.appendAll(out);
    return series.triggers.flatMap((trigger, index): ForecastSeries[] => {
      const horizonMs = forecast.horizonsMs[index] as number;
      const column = out.values[index] as (number | null)[];
      const points: { at: number; value: number }[] = [];
      let madeAt = 0;
      out.t.forEach((at, point) => {
        const value = column[point];
        if (value === null || value === undefined) return;
        points.push({ at: at + horizonMs, value });
        madeAt = at;
      });
      if (points.length === 0) return [];
      return [
        {
          of: { kind: "metric", metricName: trigger.metricName },
          madeAt,
          horizonSeconds: horizonMs / 1000,
          served: forecast.modes[index] === "predictive",
          points,
        },
      ];
    });
  }

  /** Replica counts over the kept window, at most `points` of them (the largest of each stretch). */
  sparkline(object: ObjectRef, points = 40): number[] {
    const series = this.#series.get(keyOf(object));
    if (series === undefined) return [];
    const { measured } = series;
    const counts: number[] = [];
    for (let index = 0; index < measured.coarse.length; index++)
      counts.push(measured.coarse.replicasAt(index));
    if (measured.bucket !== undefined) counts.push(measured.bucket.replicas);
    for (let index = 0; index < measured.recent.length; index++)
      counts.push(measured.recent.replicasAt(index));
    if (counts.length <= points) return counts;
    const out: number[] = [];
    for (let index = 0; index < points; index++) {
      const from = Math.floor((index * counts.length) / points);
      const to = Math.floor(((index + 1) * counts.length) / points);
      let largest = 0;
      for (let at = from; at < Math.max(to, from + 1); at++)
        largest = Math.max(largest, counts[at] as number);
      out.push(largest);
    }
    return out;
  }

  forget(object: ObjectRef): void {
    this.#series.delete(keyOf(object));
  }

  /** Listens for new points; returns what stops listening. */
  onRecord(listener: (object: ObjectRef) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Objects with a history, and the bytes their points take (predictions included). */
  stats(): { objects: number; pointBytes: number } {
    let pointBytes = 0;
    for (const series of this.#series.values())
      pointBytes += series.measured.bytes + (series.forecast?.track.bytes ?? 0);
    return { objects: this.#series.size, pointBytes };
  }
}
