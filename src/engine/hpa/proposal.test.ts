import { describe, expect, it } from "vitest";
import type { MetricTargetType } from "../types.ts";
import { tolerancesFor } from "./behavior.ts";
import { proposeReplicas } from "./proposal.ts";

const DEFAULT_TOLERANCES = { scaleUp: 0.1, scaleDown: 0.1 };

function propose(
  targetType: MetricTargetType,
  value: number,
  target: number,
  counts: { specReplicas: number; statusReplicas?: number; readyPods?: number },
  tolerances = DEFAULT_TOLERANCES,
) {
  return proposeReplicas(
    { metricName: "m", targetType, target },
    { metricName: "m", value },
    {
      specReplicas: counts.specReplicas,
      statusReplicas: counts.statusReplicas ?? counts.specReplicas,
      readyPods: counts.readyPods ?? counts.specReplicas,
    },
    tolerances,
  );
}

describe("proposeReplicas: AverageValue (value / (target × status replicas))", () => {
  it.each([
    // value, target, replicas, expected, within tolerance
    [25, 10, 1, 3, false],
    [11, 10, 1, 1, true], // ratio exactly 1.1: inside the band
    [11.1, 10, 1, 2, false], // ratio 1.11: outside, ceil(1.11) = 2
    [9, 10, 1, 1, true], // ratio exactly 0.9
    [18, 10, 3, 2, false], // ratio 0.6: ceil(1.8) = 2
    [33, 10, 3, 3, true], // ratio 1.1 with 3 replicas
    [34, 10, 3, 4, false],
    [0, 10, 3, 0, false],
    [0.0004, 1, 1, 0, false], // rounds to 0 milli before the ratio
    [5, 10, 0, 1, false], // no pods: the ratio is infinite, ceil(0.5) = 1
  ])("value %d target %d at %d replicas → %d", (value, target, replicas, expected, within) => {
    const proposal = propose("AverageValue", value, target, { specReplicas: replicas });
    expect(proposal.replicas).toBe(expected);
    expect(proposal.withinTolerance).toBe(within);
  });

  it("keeps status.replicas, not spec.replicas, inside the tolerance band", () => {
    // 21 / (10 × 2 status replicas) = 1.05: the controller returns statusReplicas (2) although spec says 4.
    const proposal = propose("AverageValue", 21, 10, { specReplicas: 4, statusReplicas: 2 });
    expect(proposal.replicas).toBe(2);
  });

  it("explains the arithmetic", () => {
    expect(propose("AverageValue", 25, 10, { specReplicas: 1 }).detail).toBe("ceil(25 / 10) = 3");
    expect(propose("AverageValue", 11, 10, { specReplicas: 1 }).detail).toBe(
      "11 / (10 × 1) = 1.1 is within tolerance [0.9, 1.1]: keep 1",
    );
  });
});

describe("proposeReplicas: Value (value / target × ready pods)", () => {
  it.each([
    // value, target, spec, ready, expected
    [30, 10, 2, 2, 6],
    [10.5, 10, 2, 2, 2], // ratio 1.05: keep spec replicas
    [20, 10, 3, 1, 2], // only one ready pod: ceil(2 × 1)
    [25, 10, 0, 0, 3], // spec 0: ceil(ratio)
    [5, 10, 4, 4, 2],
  ])("value %d target %d spec %d ready %d → %d", (value, target, spec, ready, expected) => {
    expect(propose("Value", value, target, { specReplicas: spec, readyPods: ready }).replicas).toBe(expected);
  });
});

describe("proposeReplicas: tolerances", () => {
  it.each([
    // scaleUp tolerance, scaleDown tolerance, value (target 10, 1 replica), expected
    ["0.05", undefined, 10.6, 2], // 1.06 > 1.05
    ["0.05", undefined, 10.5, 1], // 1.05 is the edge
    ["50m", undefined, 10.6, 2],
    [undefined, "0.5", 5, 1], // 0.5 is the lower edge with scaleDown tolerance 0.5
    [undefined, "0.5", 4.9, 1], // ceil(0.49) = 1 anyway, but outside the band
    [0.2, undefined, 11.5, 1], // numbers are accepted too
  ] as const)("scaleUp %j scaleDown %j value %d → %d", (up, down, value, expected) => {
    const tolerances = tolerancesFor(
      {
        scaleUp: up === undefined ? {} : { tolerance: up },
        scaleDown: down === undefined ? {} : { tolerance: down },
      },
      0.1,
    );
    expect(propose("AverageValue", value, 10, { specReplicas: 1 }, tolerances).replicas).toBe(expected);
  });

  it("falls back to the controller tolerance per direction", () => {
    expect(tolerancesFor({ scaleDown: { tolerance: "0.3" } }, 0.15)).toEqual({
      scaleUp: 0.15,
      scaleDown: 0.3,
    });
    expect(tolerancesFor(undefined, 0.1)).toEqual({ scaleUp: 0.1, scaleDown: 0.1 });
  });
});

describe("proposeReplicas: failures", () => {
  it.each([
    [undefined, "no value for metric m"],
    [{ metricName: "m", error: "connection refused" }, "connection refused"],
  ])("reading %j → error %j", (reading, error) => {
    const proposal = proposeReplicas(
      { metricName: "m", targetType: "AverageValue", target: 10 },
      reading,
      { specReplicas: 1, statusReplicas: 1, readyPods: 1 },
      DEFAULT_TOLERANCES,
    );
    expect(proposal.replicas).toBeNull();
    expect(proposal.error).toBe(error);
  });

  it("rejects a target that is not positive", () => {
    expect(propose("AverageValue", 5, 0, { specReplicas: 1 }).error).toContain("not a positive number");
  });
});

describe("proposeReplicas: cpu and memory Resource metrics (per-pod averages)", () => {
  const resource = (
    targetType: MetricTargetType,
    name: "cpu" | "memory",
    value: number,
    target: number,
    counts: { specReplicas: number; readyPods: number },
  ) =>
    proposeReplicas(
      { metricName: name, targetType, target, resource: name },
      { metricName: name, value },
      { ...counts, statusReplicas: counts.specReplicas },
      DEFAULT_TOLERANCES,
    );

  it("Utilization scales the ready pods by utilization ÷ target", () => {
    const up = resource("Utilization", "cpu", 90, 60, { specReplicas: 4, readyPods: 4 });
    expect(up.replicas).toBe(6);
    expect(up.detail).toBe("ceil(90% / 60% × 4 ready) = 6");
    const down = resource("Utilization", "cpu", 20, 60, { specReplicas: 3, readyPods: 3 });
    expect(down.replicas).toBe(1);
  });

  it("Utilization within the tolerance keeps the current count", () => {
    const kept = resource("Utilization", "cpu", 63, 60, { specReplicas: 5, readyPods: 4 });
    expect(kept).toMatchObject({ replicas: 5, withinTolerance: true });
  });

  it("a Resource AverageValue is a per-pod average, unlike an External AverageValue (a total)", () => {
    const mebibyte = 2 ** 20;
    const memory = resource("AverageValue", "memory", 300 * mebibyte, 200 * mebibyte, {
      specReplicas: 2,
      readyPods: 2,
    });
    expect(memory.replicas).toBe(3);
    expect(propose("AverageValue", 300, 200, { specReplicas: 2 }).replicas).toBe(2);
  });
});

describe("proposeReplicas: Resource metrics with pods that are not ready", () => {
  const cpu = (value: number, target: number, counts: { spec: number; status: number; ready: number }) =>
    proposeReplicas(
      { metricName: "cpu", targetType: "Utilization", target, resource: "cpu" },
      { metricName: "cpu", value },
      { specReplicas: counts.spec, statusReplicas: counts.status, readyPods: counts.ready },
      DEFAULT_TOLERANCES,
    );

  it.each([
    // value (average of the ready pods), target, spec, status, ready, expected
    [60, 30, 3, 3, 2, 4], // the not-ready pod at 0: 40% / 30% = 1.33 → ceil(1.33 × 3) = 4
    [40, 30, 3, 3, 1, 3], // two at 0: 13% / 30% is below 1 → keep 3 rather than ceil(1.33 × 1) = 2
    [35, 30, 4, 4, 3, 4], // 26% / 30% is below 1 → keep 4
    [70, 60, 6, 6, 5, 6], // 58% / 60% is within tolerance → keep 6
    [30, 50, 5, 5, 3, 2], // scale-in ignores the not-ready pods: ceil(0.6 × 3) = 2
  ])(
    "%d%% of target %d%%, spec %d, %d pods, %d ready → %d",
    (value, target, spec, status, ready, expected) => {
      expect(cpu(value, target, { spec, status, ready }).replicas).toBe(expected);
    },
  );

  it("explains why the count is kept", () => {
    expect(cpu(40, 30, { spec: 3, status: 3, ready: 1 }).detail).toBe(
      "40% / 30% is above target, but with 2 not-ready pods at 0 the ratio is 0.433, below 1: keep 3",
    );
  });

  it("averages a memory AverageValue in milli-units", () => {
    // 31.666 with one of three pods at 0: trunc(21110.666) = 21110 milli / 15000 = 1.4073 → ceil(4.22) = 5
    const memory = proposeReplicas(
      { metricName: "memory", targetType: "AverageValue", target: 15, resource: "memory" },
      { metricName: "memory", value: 31.666 },
      { specReplicas: 3, statusReplicas: 3, readyPods: 2 },
      DEFAULT_TOLERANCES,
    );
    expect(memory.replicas).toBe(5);
  });

  it("fails when no pod is ready, as the controller finds no sample to average", () => {
    const proposal = cpu(50, 30, { spec: 2, status: 2, ready: 0 });
    expect(proposal.replicas).toBeNull();
    expect(proposal.error).toBe("no ready pod reports cpu (2 not ready)");
  });
});

describe("proposeReplicas: int32 bound", () => {
  it("caps a proposal at the largest replica count the API holds", () => {
    expect(propose("AverageValue", 9.2e15, 0.001, { specReplicas: 1 }).replicas).toBe(2 ** 31 - 1);
    expect(propose("Value", 9.2e15, 0.001, { specReplicas: 1 }).replicas).toBe(2 ** 31 - 1);
  });
});
