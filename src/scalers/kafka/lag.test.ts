import { describe, expect, it } from "vitest";
import {
  capTotalLag,
  evenDistributionFactor,
  factorsOf,
  INVALID_OFFSET,
  parsePartitionLimitation,
  partitionLag,
  totalLag,
  type LagSettings,
  type PartitionOffsets,
} from "./lag.ts";

const defaults: LagSettings = {
  lagThreshold: 10,
  offsetResetPolicy: "latest",
  scaleToZeroOnInvalidOffset: false,
  excludePersistentLag: false,
  allowIdleConsumers: false,
  limitToPartitionsWithLag: false,
  ensureEvenDistributionOfPartitions: false,
};

const partition = (index: number, committed: number, latest: number, topic = "t"): PartitionOffsets => ({
  topic,
  partition: index,
  committed,
  latest,
});

describe("partitionLag", () => {
  it("is latest minus committed", () => {
    expect(partitionLag({ committed: 3, latest: 10 }, defaults, undefined)).toEqual({
      lag: 7,
      lagWithPersistent: 7,
    });
    expect(partitionLag({ committed: 10, latest: 10 }, defaults, undefined)).toEqual({
      lag: 0,
      lagWithPersistent: 0,
    });
  });

  it("counts a partition without a committed offset as 1 with policy latest, the whole log with earliest", () => {
    expect(partitionLag({ committed: INVALID_OFFSET, latest: 50 }, defaults, undefined)).toEqual({
      lag: 1,
      lagWithPersistent: 1,
    });
    const earliest = { ...defaults, offsetResetPolicy: "earliest" as const };
    expect(partitionLag({ committed: INVALID_OFFSET, latest: 50 }, earliest, undefined)).toEqual({
      lag: 50,
      lagWithPersistent: 50,
    });
    expect(partitionLag({ committed: INVALID_OFFSET, latest: 0 }, earliest, undefined).lag).toBe(0);
  });

  it("counts it as 0 with scaleToZeroOnInvalidOffset, for both policies", () => {
    const zero = { ...defaults, scaleToZeroOnInvalidOffset: true };
    expect(partitionLag({ committed: INVALID_OFFSET, latest: 50 }, zero, undefined).lag).toBe(0);
    expect(
      partitionLag(
        { committed: INVALID_OFFSET, latest: 50 },
        { ...zero, offsetResetPolicy: "earliest" },
        undefined,
      ),
    ).toEqual({ lag: 0, lagWithPersistent: 0 });
  });

  it("excludes persistent lag from the metric but not from activation", () => {
    const exclude = { ...defaults, excludePersistentLag: true };
    expect(partitionLag({ committed: 4, latest: 9 }, exclude, undefined)).toEqual({
      lag: 5,
      lagWithPersistent: 5,
    });
    expect(partitionLag({ committed: 4, latest: 9 }, exclude, 4)).toEqual({ lag: 0, lagWithPersistent: 5 });
    expect(partitionLag({ committed: 5, latest: 9 }, exclude, 4)).toEqual({ lag: 4, lagWithPersistent: 4 });
    // Without the option the previous offset does not matter.
    expect(partitionLag({ committed: 4, latest: 9 }, defaults, 4)).toEqual({ lag: 5, lagWithPersistent: 5 });
  });

  it("applies the invalid-offset rule before persistence", () => {
    const exclude = { ...defaults, excludePersistentLag: true };
    expect(partitionLag({ committed: INVALID_OFFSET, latest: 9 }, exclude, INVALID_OFFSET).lag).toBe(1);
  });
});

describe("factorsOf and evenDistributionFactor", () => {
  it("lists divisors ascending", () => {
    expect(factorsOf(1)).toEqual([1]);
    expect(factorsOf(12)).toEqual([1, 2, 3, 4, 6, 12]);
    expect(factorsOf(16)).toEqual([1, 2, 4, 8, 16]);
    expect(factorsOf(7)).toEqual([1, 7]);
    expect(factorsOf(0)).toEqual([]);
  });

  it("picks the smallest divisor of the partition count that covers the lag", () => {
    expect(evenDistributionFactor(25, 12, 10)).toBe(3);
    expect(evenDistributionFactor(30, 12, 10)).toBe(3);
    expect(evenDistributionFactor(31, 12, 10)).toBe(4);
    expect(evenDistributionFactor(0, 12, 10)).toBe(1);
    expect(evenDistributionFactor(500, 12, 10)).toBe(12);
  });
});

describe("capTotalLag", () => {
  const counts = { partitionCount: 3, partitionsWithLag: 1 };

  it("caps the lag at partitions × threshold so replicas never exceed partitions", () => {
    expect(capTotalLag(100, counts, defaults)).toBe(30);
    expect(capTotalLag(30, counts, defaults)).toBe(30);
    // 39 / 10 is 3 in integer division: not above 3 partitions, so no cap.
    expect(capTotalLag(39, counts, defaults)).toBe(39);
    expect(capTotalLag(40, counts, defaults)).toBe(30);
  });

  it("lifts the cap with allowIdleConsumers alone", () => {
    expect(capTotalLag(100, counts, { ...defaults, allowIdleConsumers: true })).toBe(100);
  });

  it("caps at the partitions with lag with limitToPartitionsWithLag", () => {
    expect(capTotalLag(100, counts, { ...defaults, limitToPartitionsWithLag: true })).toBe(10);
    expect(
      capTotalLag(
        100,
        { partitionCount: 3, partitionsWithLag: 0 },
        { ...defaults, limitToPartitionsWithLag: true },
      ),
    ).toBe(0);
  });

  it("rounds up to a divisor of the partition count with ensureEvenDistributionOfPartitions", () => {
    const even = { ...defaults, ensureEvenDistributionOfPartitions: true };
    expect(capTotalLag(25, { partitionCount: 12, partitionsWithLag: 12 }, even)).toBe(30);
    expect(capTotalLag(41, { partitionCount: 12, partitionsWithLag: 12 }, even)).toBe(60);
    expect(capTotalLag(1000, { partitionCount: 12, partitionsWithLag: 12 }, even)).toBe(120);
    // The cap still applies even with allowIdleConsumers.
    expect(
      capTotalLag(41, { partitionCount: 12, partitionsWithLag: 12 }, { ...even, allowIdleConsumers: true }),
    ).toBe(60);
  });
});

describe("totalLag", () => {
  it("sums partitions across topics and caps the metric, not the activation lag", () => {
    const partitions = [
      partition(0, 0, 50, "a"),
      partition(1, 10, 40, "a"),
      partition(0, INVALID_OFFSET, 7, "b"),
    ];
    const totals = totalLag(partitions, defaults, new Map());
    // 50 + 30 + 1 = 81 → capped at 3 partitions × 10
    expect(totals.totalLag).toBe(30);
    expect(totals.totalLagWithPersistent).toBe(81);
  });

  it("is 0 without partitions", () => {
    expect(totalLag([], defaults, new Map())).toMatchObject({ totalLag: 0, totalLagWithPersistent: 0 });
  });

  it("remembers committed offsets between polls to exclude persistent lag", () => {
    const settings = { ...defaults, excludePersistentLag: true, allowIdleConsumers: true };
    const first = totalLag([partition(0, 5, 8), partition(1, 2, 9)], settings, new Map());
    expect(first).toMatchObject({ totalLag: 10, totalLagWithPersistent: 10 });
    expect([...first.committed]).toEqual([
      ["t/0", 5],
      ["t/1", 2],
    ]);
    // Partition 0 is stuck at 5, partition 1 moved on.
    const second = totalLag([partition(0, 5, 9), partition(1, 4, 9)], settings, first.committed);
    expect(second).toMatchObject({ totalLag: 5, totalLagWithPersistent: 9 });
    // When partition 0 moves again it counts again.
    const third = totalLag([partition(0, 6, 9), partition(1, 4, 9)], settings, second.committed);
    expect(third).toMatchObject({ totalLag: 3, totalLagWithPersistent: 8 });
  });

  it("does not remember anything without excludePersistentLag or for invalid offsets", () => {
    expect(totalLag([partition(0, 5, 8)], defaults, new Map()).committed.size).toBe(0);
    const settings = { ...defaults, excludePersistentLag: true };
    expect(totalLag([partition(0, INVALID_OFFSET, 8)], settings, new Map()).committed.size).toBe(0);
  });

  it("counts partitions with metric lag for limitToPartitionsWithLag", () => {
    const settings = { ...defaults, limitToPartitionsWithLag: true, excludePersistentLag: true };
    const previous = new Map([["t/0", 0]]);
    // Partition 0 is stuck (metric lag 0), partition 1 has lag: one partition with lag → cap 10.
    const totals = totalLag(
      [partition(0, 0, 100), partition(1, 0, 100), partition(2, 5, 5)],
      settings,
      previous,
    );
    expect(totals).toMatchObject({ totalLag: 10, totalLagWithPersistent: 200 });
  });
});

describe("parsePartitionLimitation", () => {
  it("reads numbers and inclusive ranges", () => {
    expect(parsePartitionLimitation("1,2,5-7")).toEqual([1, 2, 5, 6, 7]);
    expect(parsePartitionLimitation(" 0 , 3 - 4 ")).toEqual([0, 3, 4]);
    expect(parsePartitionLimitation("4")).toEqual([4]);
  });

  it("rejects what KEDA rejects", () => {
    for (const bad of ["a", "1,,2", "1-2-3", "-1", "1-", "1.5"]) {
      expect(parsePartitionLimitation(bad)).toEqual(expect.stringContaining("invalid partitionLimitation"));
    }
  });
});
