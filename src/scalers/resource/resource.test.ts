import { describe, expect, it } from "vitest";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";

function prepare(
  type: string,
  metadata: Record<string, string>,
  metricType?: "Utilization" | "AverageValue" | "Value",
) {
  return prepareScalerTrigger(type, metadata, { metricType });
}

const errors = (prepared: ReturnType<typeof prepare>) =>
  prepared.problems
    .filter((problem) => problem.severity === "error")
    .map((problem) => `${problem.key}: ${problem.message}`);

describe("cpu and memory triggers", () => {
  it("become HPA Resource metrics with no external metric", () => {
    const cpu = prepare("cpu", { value: "60" }, "Utilization");
    expect(errors(cpu)).toEqual([]);
    expect(cpu.metricSpec).toBeUndefined();
    expect(cpu.resource).toEqual({ name: "cpu", targetType: "Utilization", value: "60" });
    const memory = prepare("memory", { value: "256Mi", containerName: "app" }, "AverageValue");
    expect(memory.resource).toEqual({
      name: "memory",
      targetType: "AverageValue",
      value: "256Mi",
      containerName: "app",
    });
  });

  it("need the trigger's metricType, Utilization or AverageValue, as KEDA 2.18+ does", () => {
    expect(errors(prepare("cpu", { value: "60" }))).toEqual([
      "metricType: cpu triggers need the trigger's metricType: Utilization or AverageValue, as in KEDA 2.18+",
    ]);
    expect(errors(prepare("cpu", { value: "60" }, "Value"))[0]).toContain("Utilization or AverageValue");
  });

  it("check the value against the metric type", () => {
    expect(errors(prepare("cpu", { value: "0.5" }, "Utilization"))).toEqual([
      'value: with metricType Utilization, value must be a whole percentage such as "60", got "0.5"',
    ]);
    expect(errors(prepare("memory", { value: "lots" }, "AverageValue"))).toEqual([
      'value: with metricType AverageValue, value must be a quantity such as "500m" or "256Mi", got "lots"',
    ]);
  });

  it("reject KEDA's removed metadata.type", () => {
    expect(errors(prepare("cpu", { value: "60", type: "Utilization" }, "Utilization"))).toEqual([
      "type: metadata.type was removed in KEDA 2.18; set the trigger's metricType to Utilization or AverageValue",
    ]);
  });
});
