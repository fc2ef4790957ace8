/**
 * Request rate over a sliding window of fixed-size buckets, computed as the KEDA HTTP add-on does
 * for `scalingMetric.requestRate`: the average number of requests per bucket (per `granularity`).
 * While the window is still filling (the first request of a burst came less than a window ago)
 * the average covers only the buckets since that request; a window without requests resets it.
 */
export class RequestRateWindow {
  readonly #granularityMs: number;
  readonly #buckets: Int32Array;
  #total = 0;
  /** Bucket numbers (time / granularity) of the first and the latest request; -1 before any. */
  #first = -1;
  #last = -1;

  constructor(windowMs: number, granularityMs: number) {
    if (!(granularityMs > 0) || !(windowMs > 0))
      throw new RangeError("window and granularity must be positive");
    this.#granularityMs = granularityMs;
    this.#buckets = new Int32Array(Math.ceil(windowMs / granularityMs));
  }

  /** Counts one request at `nowMs` (a clock that does not go backwards). */
  record(nowMs: number): void {
    const bucket = this.#bucketOf(nowMs);
    const size = this.#buckets.length;
    if (this.#last === -1 || bucket - this.#last >= size) {
      this.#buckets.fill(0);
      this.#total = 0;
      this.#first = bucket;
    } else {
      for (let stale = this.#last + 1; stale <= bucket; stale++) {
        this.#total -= this.#buckets[stale % size] ?? 0;
        this.#buckets[stale % size] = 0;
      }
    }
    this.#last = bucket;
    this.#buckets[bucket % size] = (this.#buckets[bucket % size] ?? 0) + 1;
    this.#total++;
  }

  /** Average requests per bucket at `nowMs`, rounded to three decimals. */
  rate(nowMs: number): number {
    const size = this.#buckets.length;
    const now = this.#bucketOf(nowMs);
    if (this.#last === -1 || now - this.#last >= size) return 0;
    let inWindow = this.#total;
    for (let expired = this.#last + 1; expired <= now; expired++)
      inWindow -= this.#buckets[expired % size] ?? 0;
    const filled = Math.min(this.#last - this.#first + 1, size);
    return Math.round((inWindow / filled) * 1000) / 1000;
  }

  #bucketOf(nowMs: number): number {
    return Math.floor(nowMs / this.#granularityMs);
  }
}
