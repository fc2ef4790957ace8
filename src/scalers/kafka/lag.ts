/**
 * KEDA's consumer-group lag arithmetic for the kafka scaler, as pure functions: per-partition lag
 * from committed and latest offsets, persistent-lag exclusion, and the cap that keeps replicas at
 * or below the partition count.
 */

export type OffsetResetPolicy = "latest" | "earliest";

/** The committed offset Kafka reports for a partition the group never committed. */
export const INVALID_OFFSET = -1;

export interface PartitionOffsets {
  topic: string;
  partition: number;
  /** Committed offset of the group, or INVALID_OFFSET. */
  committed: number;
  /** Log end offset (the offset the next message gets). */
  latest: number;
}

export interface LagSettings {
  lagThreshold: number;
  offsetResetPolicy: OffsetResetPolicy;
  scaleToZeroOnInvalidOffset: boolean;
  excludePersistentLag: boolean;
  allowIdleConsumers: boolean;
  limitToPartitionsWithLag: boolean;
  ensureEvenDistributionOfPartitions: boolean;
}

export interface PartitionLag {
  /** Lag that counts for the metric. */
  lag: number;
  /** Lag including persistent lag; counts for activation. */
  lagWithPersistent: number;
}

/**
 * One partition's lag. Without a committed offset the consumers will start at the end (policy
 * latest: lag 1, so something runs to commit) or at the beginning (earliest: the whole log);
 * scaleToZeroOnInvalidOffset makes both 0. With excludePersistentLag, a partition whose committed
 * offset has not moved since the previous poll adds nothing to the metric but still activates.
 */
export function partitionLag(
  offsets: Pick<PartitionOffsets, "committed" | "latest">,
  settings: Pick<LagSettings, "offsetResetPolicy" | "scaleToZeroOnInvalidOffset" | "excludePersistentLag">,
  previousCommitted: number | undefined,
): PartitionLag {
  if (offsets.committed === INVALID_OFFSET) {
    if (settings.scaleToZeroOnInvalidOffset) return { lag: 0, lagWithPersistent: 0 };
    const lag = settings.offsetResetPolicy === "latest" ? 1 : offsets.latest;
    return { lag, lagWithPersistent: lag };
  }
  const lag = offsets.latest - offsets.committed;
  if (settings.excludePersistentLag && previousCommitted === offsets.committed)
    return { lag: 0, lagWithPersistent: lag };
  return { lag, lagWithPersistent: lag };
}

/** Positive divisors of n, ascending. */
export function factorsOf(n: number): number[] {
  const small: number[] = [];
  const large: number[] = [];
  for (let divisor = 1; divisor * divisor <= n; divisor += 1) {
    if (n % divisor !== 0) continue;
    small.push(divisor);
    if (divisor !== n / divisor) large.unshift(n / divisor);
  }
  return [...small, ...large];
}

/** The smallest divisor f of the partition count with f × lagThreshold ≥ totalLag. */
export function evenDistributionFactor(
  totalLag: number,
  partitionCount: number,
  lagThreshold: number,
): number {
  return factorsOf(partitionCount).find((factor) => factor * lagThreshold >= totalLag) ?? partitionCount;
}

/**
 * Caps the total lag so that totalLag / lagThreshold (the replica count the HPA computes) never
 * exceeds the partition count, or the number of partitions with lag with limitToPartitionsWithLag.
 * ensureEvenDistributionOfPartitions first rounds the lag up to a divisor of the partition count.
 * allowIdleConsumers alone lifts the cap.
 */
export function capTotalLag(
  totalLag: number,
  counts: { partitionCount: number; partitionsWithLag: number },
  settings: Pick<
    LagSettings,
    "lagThreshold" | "allowIdleConsumers" | "limitToPartitionsWithLag" | "ensureEvenDistributionOfPartitions"
  >,
): number {
  const capped =
    !settings.allowIdleConsumers ||
    settings.limitToPartitionsWithLag ||
    settings.ensureEvenDistributionOfPartitions;
  if (!capped) return totalLag;
  let lag = totalLag;
  if (settings.ensureEvenDistributionOfPartitions) {
    lag = evenDistributionFactor(lag, counts.partitionCount, settings.lagThreshold) * settings.lagThreshold;
  }
  const upperBound = settings.limitToPartitionsWithLag ? counts.partitionsWithLag : counts.partitionCount;
  // Integer division, as KEDA computes it on int64.
  if (Math.trunc(lag / settings.lagThreshold) > upperBound) lag = upperBound * settings.lagThreshold;
  return lag;
}

export interface LagTotals {
  /** The metric value. */
  totalLag: number;
  /** The sum with persistent lag included; the trigger is active when it exceeds the activation threshold. */
  totalLagWithPersistent: number;
  /** Committed offsets to compare with at the next poll (excludePersistentLag), by `topic/partition`. */
  committed: Map<string, number>;
}

/** Sums the lag of every partition and applies the cap. `previousCommitted` is the last poll's `committed`. */
export function totalLag(
  partitions: readonly PartitionOffsets[],
  settings: LagSettings,
  previousCommitted: ReadonlyMap<string, number>,
): LagTotals {
  const committed = new Map(previousCommitted);
  let total = 0;
  let totalWithPersistent = 0;
  let partitionsWithLag = 0;
  for (const offsets of partitions) {
    const key = `${offsets.topic}/${offsets.partition}`;
    const { lag, lagWithPersistent } = partitionLag(offsets, settings, previousCommitted.get(key));
    if (settings.excludePersistentLag && offsets.committed !== INVALID_OFFSET)
      committed.set(key, offsets.committed);
    total += lag;
    totalWithPersistent += lagWithPersistent;
    if (lag > 0) partitionsWithLag += 1;
  }
  return {
    totalLag: capTotalLag(total, { partitionCount: partitions.length, partitionsWithLag }, settings),
    totalLagWithPersistent: totalWithPersistent,
    committed,
  };
}

/** KEDA's partitionLimitation syntax: comma-separated partition numbers and inclusive ranges `a-b`. */
export function parsePartitionLimitation(text: string): number[] | string {
  const partitions: number[] = [];
  for (const rawPart of text.split(",")) {
    const part = rawPart.trim();
    const bounds = part.includes("-") ? part.split("-").map((bound) => bound.trim()) : [part, part];
    const [start, end] = bounds.map((bound) => (/^[+-]?\d+$/.test(bound) ? Number(bound) : Number.NaN));
    if (
      bounds.length !== 2 ||
      start === undefined ||
      end === undefined ||
      Number.isNaN(start) ||
      Number.isNaN(end)
    ) {
      return `invalid partitionLimitation "${part}": use partition numbers and ranges such as 1,2,5-7`;
    }
    for (let partition = start; partition <= end; partition += 1) partitions.push(partition);
  }
  return partitions;
}
