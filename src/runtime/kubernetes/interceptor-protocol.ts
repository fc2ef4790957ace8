/**
 * How `tidal interceptor` replicas report their counts to `tidal operator` (the HTTP add-on's
 * scaler reads its interceptors' queues in the same spirit).
 *
 * Each replica serves `GET /queue` on its admin port: one snapshot as JSON. With `?watch=1` the
 * answer is a stream of newline-delimited snapshots: one at once, then one as soon as a request is
 * held for a route without ready endpoints (`demand` names those routes, so the operator can wake
 * the route's ScaledObject without waiting for a poll), one whenever the counts change (at most
 * every 100 ms), one every second while any count is not zero (request rates move with time), and
 * a heartbeat every 5 s otherwise. Every snapshot is complete: it replaces the replica's previous
 * one, so a lost line costs nothing but time.
 *
 * The operator finds the replicas through the EndpointSlices of the interceptors' admin Service,
 * keeps one stream per ready replica, and sums the replicas' latest snapshots: in-flight requests
 * and request rates of one route add up across replicas, as the HPA's AverageValue target
 * expects. A replica that stops streaming is reconnected; its last snapshot counts for 10 s more
 * and is dropped after that (its requests ended with it). A replica that is no longer an endpoint
 * is dropped at once.
 */

/** What one replica counts for one route. */
export interface RouteCounts {
  /** Requests in flight, held ones included. */
  concurrency: number;
  /** Requests per `granularity` over the route's `window` (see RequestRateWindow). */
  requestRate: number;
  /** Requests waiting for a ready endpoint. */
  held: number;
}

export interface QueueSnapshot {
  /** The replica (its Pod name). */
  instance: string;
  /** Increases with every snapshot of one stream. */
  sequence: number;
  /** Routes (`namespace/name` of the HTTPScaledObject) with any non-zero count; others are zero. */
  routes: Record<string, RouteCounts>;
  /** Routes where a request was held since the previous snapshot. */
  demand: string[];
}

export const QUEUE_PATH = "/queue";
/** Changes are reported at most this often. */
export const CHANGE_INTERVAL_MS = 100;
/** While any count is not zero, a snapshot at least this often. */
export const BUSY_INTERVAL_MS = 1000;
/** Otherwise a heartbeat this often. */
export const HEARTBEAT_INTERVAL_MS = 5000;
/** A stream silent this long is taken as dead. */
export const STALE_AFTER_MS = 15_000;
/** A replica's last snapshot still counts this long after its stream broke. */
export const GRACE_AFTER_DISCONNECT_MS = 10_000;

export const ZERO_COUNTS: RouteCounts = { concurrency: 0, requestRate: 0, held: 0 };
