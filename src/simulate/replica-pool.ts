/** The replicas of a simulated workload, as the instants each one is (or will be) ready, ascending. */

export type ReplicaPool = readonly number[];

export function startingPool(replicas: number): ReplicaPool {
  return Array.from({ length: replicas }, () => 0);
}

/** Scale to `desired`: new replicas are ready at `readyTime`; removal takes the latest-ready first. */
export function rescalePool(pool: ReplicaPool, desired: number, readyTime: number): ReplicaPool {
  if (desired <= pool.length) return pool.slice(0, desired);
  return [...pool, ...Array.from({ length: desired - pool.length }, () => readyTime)];
}

export function readyCount(pool: ReplicaPool, t: number): number {
  return pool.filter((readyAt) => readyAt <= t).length;
}
