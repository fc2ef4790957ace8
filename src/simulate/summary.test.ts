import { describe, expect, it } from "vitest";
import { summarizeReplicas, weightedPercentile } from "./summary.ts";

describe("summarizeReplicas", () => {
  it.each([
    // initial, steps, duration, expected
    [0, [], 100, { replicaSeconds: 0, maxReplicas: 0, scaleEvents: 0 }],
    [2, [], 100, { replicaSeconds: 200, maxReplicas: 2, scaleEvents: 0 }],
    [0, [{ t: 10, replicas: 3 }], 100, { replicaSeconds: 270, maxReplicas: 3, scaleEvents: 1 }],
    [
      1,
      [
        { t: 0, replicas: 1 },
        { t: 50, replicas: 4 },
        { t: 50, replicas: 2 },
        { t: 80, replicas: 2 },
      ],
      100,
      { replicaSeconds: 1 * 50 + 2 * 50, maxReplicas: 4, scaleEvents: 2 },
    ],
  ])("from %d with %j over %d s", (initial, steps, duration, expected) => {
    expect(summarizeReplicas(initial, steps, duration)).toEqual(expected);
  });
});

describe("weightedPercentile", () => {
  const samples = [
    { value: 5, weight: 1 },
    { value: 1, weight: 1 },
    { value: 3, weight: 2 },
  ];

  it.each([
    [0.25, 1],
    [0.5, 3],
    [0.75, 3],
    [0.76, 5],
    [1, 5],
  ])("p%d of 1 ×1, 3 ×2, 5 ×1 is %d", (quantile, expected) => {
    expect(weightedPercentile(samples, quantile)).toBe(expected);
  });

  it("is 0 without samples", () => {
    expect(weightedPercentile([], 0.95)).toBe(0);
  });
});
