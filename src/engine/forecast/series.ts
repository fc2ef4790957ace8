/**
 * A metric's recent history at a fixed resolution: one value per step (the mean of the observations
 * that fell in it), the last `capacity` steps, in a ring. Steps without observations are gaps
 * (NaN). Step `b` covers [b·step, (b+1)·step) in milliseconds since the epoch. Memory is five bytes
 * per step (a 32-bit mean and an 8-bit count).
 */
export class BucketSeries {
  readonly stepMs: number;
  readonly capacity: number;
  readonly #means: Float32Array;
  readonly #counts: Uint8Array;
  /** The newest step recorded so far; -Infinity when empty. */
  #last = -Infinity;

  constructor(stepMs: number, capacity: number) {
    this.stepMs = stepMs;
    this.capacity = Math.max(1, Math.ceil(capacity));
    this.#means = new Float32Array(this.capacity).fill(Number.NaN);
    this.#counts = new Uint8Array(this.capacity);
  }

  bucketOf(t: number): number {
    return Math.floor(t / this.stepMs);
  }

  /** The newest step that holds or held an observation (-Infinity when none). */
  get lastBucket(): number {
    return this.#last;
  }

  #slot(bucket: number): number {
    return ((bucket % this.capacity) + this.capacity) % this.capacity;
  }

  /** Adds an observation at time t. Observations older than the window are dropped. */
  record(t: number, value: number): void {
    if (!Number.isFinite(value)) return;
    const bucket = this.bucketOf(t);
    this.#advance(bucket);
    if (bucket <= this.#last - this.capacity) return;
    const slot = this.#slot(bucket);
    const count = this.#counts[slot] ?? 0;
    const mean = count === 0 ? 0 : (this.#means[slot] ?? 0);
    // A running mean; past 255 observations a step keeps weighing new ones as the 255th.
    const weight = Math.min(count + 1, 255);
    this.#means[slot] = mean + (value - mean) / weight;
    this.#counts[slot] = weight;
  }

  /** Moves the window's end forward to `bucket`, clearing the steps it passes. */
  #advance(bucket: number): void {
    if (bucket <= this.#last) return;
    const from = Number.isFinite(this.#last) ? Math.max(this.#last + 1, bucket - this.capacity + 1) : bucket;
    for (let b = from; b <= bucket; b++) {
      const slot = this.#slot(b);
      this.#means[slot] = Number.NaN;
      this.#counts[slot] = 0;
    }
    this.#last = bucket;
  }

  /** The mean of step `bucket`, NaN for a gap or a step outside the window. */
  at(bucket: number): number {
    if (bucket > this.#last || bucket <= this.#last - this.capacity) return Number.NaN;
    return (this.#counts[this.#slot(bucket)] ?? 0) === 0
      ? Number.NaN
      : (this.#means[this.#slot(bucket)] ?? NaN);
  }

  /** Forgets everything. */
  clear(): void {
    this.#means.fill(Number.NaN);
    this.#counts.fill(0);
    this.#last = -Infinity;
  }

  /** The window as an array ending at step `end` (oldest first); gaps are NaN. */
  window(end: number = this.#last): { first: number; values: Float64Array } {
    const values = new Float64Array(this.capacity);
    const first = end - this.capacity + 1;
    for (let index = 0; index < this.capacity; index++) values[index] = this.at(first + index);
    return { first, values };
  }

  /** Steps of the window that hold a value. */
  filled(): number {
    let count = 0;
    for (const value of this.#counts) if (value > 0) count++;
    return count;
  }

  /** A compact copy (means as base64 float32, gaps NaN) that `restore` reads back. */
  export(): SeriesExport {
    const { first, values } = this.window();
    return {
      stepMs: this.stepMs,
      first,
      values: Buffer.from(new Float32Array(values).buffer).toString("base64"),
    };
  }

  /** Reads an export back; one of another step is ignored (the history is started again). */
  restore(saved: SeriesExport): void {
    if (saved.stepMs !== this.stepMs || !Number.isFinite(saved.first)) return;
    const bytes = Buffer.from(saved.values, "base64");
    const values = new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4));
    values.forEach((value, index) => {
      if (Number.isFinite(value)) this.record((saved.first + index) * this.stepMs, value);
    });
  }
}

/** A series as kept across restarts. */
export interface SeriesExport {
  stepMs: number;
  /** The step of the first value. */
  first: number;
  /** Float32 little-endian means, base64; NaN for gaps. */
  values: string;
}
