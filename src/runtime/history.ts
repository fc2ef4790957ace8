import type { TriggerMetricSpec } from "../engine/types.ts";
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
}

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
 * A forecast of one line of an object's chart, from a predictive scaler when one is configured:
 * the dashboard draws it dashed, after the measured points. Tidal itself records none yet; a
 * runtime with a forecaster passes a provider to the dashboard.
 */
export interface ForecastSeries {
  /** The line it continues: desired replicas, or one trigger's metric (by KEDA's metric name). */
  of: { kind: "desiredReplicas" } | { kind: "metric"; metricName: string };
  /** When the forecast was made (ms since the epoch). */
  madeAt: number;
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

class Series {
  readonly layout: string;
  readonly triggers: ObjectHistory["triggers"];
  readonly recent: Ring;
  readonly coarse: Ring;
  bucket: Bucket | undefined;

  constructor(layout: string, record: HistoryRecord, options: Required<HistoryOptions>) {
    this.layout = layout;
    this.triggers = record.specs.map((spec) => ({
      name: spec.name,
      type: spec.type,
      metricName: spec.metricName,
      thresholds: [],
    }));
    this.recent = new Ring(options.recentPoints, record.specs.length);
    this.coarse = new Ring(options.coarsePoints, record.specs.length);
  }
}

function layoutOf(specs: HistoryRecord["specs"]): string {
  return specs.map((spec) => spec.metricName).join("\n");
}

function keyOf(object: ObjectRef): string {
  return `${object.kind}/${object.namespace}/${object.name}`;
}

/**
 * The recent history of every object, in memory and bounded per object: the last `recentPoints`
 * evaluations as they happened, and before them one bucket per `coarseMs` (by default three hours
 * of one-minute buckets). With one trigger a full object takes about 6 KiB, 10,000 objects about
 * 60 MiB (bench/history.ts measures it). The scale and job loops record; the dashboard reads, and
 * hears of new points.
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
      return value === null || value === undefined || !Number.isFinite(value) ? Number.NaN : value;
    });
    const evicted = series.recent.push(record.at, record.replicas, record.desiredReplicas, flags, values);
    if (evicted !== undefined) this.#fold(series, evicted);
    for (const listener of this.#listeners) listener(object);
  }

  /**
   * Adds a point that left the full-resolution ring to its bucket; a point of a later bucket closes
   * the open one into the coarse ring. So buckets hold only points older than the full-resolution
   * ones: nothing is drawn twice, and nothing falls between the two.
   */
  #fold(series: Series, point: Point): void {
    const bucketOf = (at: number) => at - (at % this.#options.coarseMs);
    const open = series.bucket;
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
    if (open !== undefined) series.coarse.push(open.at, open.replicas, open.desired, open.flags, open.values);
    series.bucket = point;
  }

  /**
   * An object's history: buckets up to the oldest full-resolution point, then every evaluation.
   * With `after`, only the full-resolution points later than it (what a live view appends).
   */
  get(object: ObjectRef, after?: number): ObjectHistory | undefined {
    const series = this.#series.get(keyOf(object));
    if (series === undefined) return undefined;
    const width = series.triggers.length;
    const out: HistorySeries = {
      t: [],
      replicas: [],
      desiredReplicas: [],
      active: [],
      fallback: [],
      values: Array.from({ length: width }, () => []),
    };
    const firstRecent = series.recent.oldest ?? Number.POSITIVE_INFINITY;
    let coarseUntil = 0;
    if (after === undefined) {
      series.coarse.appendTo(out, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      if (series.bucket !== undefined) appendPoint(out, series.bucket);
      coarseUntil = out.t.length > 0 ? firstRecent : 0;
    }
    series.recent.appendTo(out, after === undefined ? firstRecent : after + 1e-3, Number.POSITIVE_INFINITY);
    return {
      ...out,
      coarseMs: this.#options.coarseMs,
      coarseUntil,
      triggers: series.triggers.map((trigger) => ({ ...trigger, thresholds: [...trigger.thresholds] })),
    };
  }

  /** Replica counts over the kept window, at most `points` of them (the largest of each stretch). */
  sparkline(object: ObjectRef, points = 40): number[] {
    const series = this.#series.get(keyOf(object));
    if (series === undefined) return [];
    const counts: number[] = [];
    for (let index = 0; index < series.coarse.length; index++) counts.push(series.coarse.replicasAt(index));
    if (series.bucket !== undefined) counts.push(series.bucket.replicas);
    for (let index = 0; index < series.recent.length; index++) counts.push(series.recent.replicasAt(index));
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

  /** Objects with a history, and the bytes their points take. */
  stats(): { objects: number; pointBytes: number } {
    let pointBytes = 0;
    for (const series of this.#series.values()) pointBytes += series.recent.bytes + series.coarse.bytes;
    return { objects: this.#series.size, pointBytes };
  }
}
