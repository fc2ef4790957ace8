import { describe, expect, it } from "vitest";
import { ANNOTATIONS } from "./annotations.ts";
import { buildHpaModel, hpaName } from "./hpa-model.ts";
import { formulaVariables } from "./scaling-modifiers.ts";
import { makeScaledObject, metricSpec } from "./test-fixtures.ts";

describe("buildHpaModel", () => {
  it.each([
    [0, 1],
    [3, 3],
  ])("minReplicaCount %d → HPA minReplicas %d", (min, expected) => {
    const model = buildHpaModel(makeScaledObject({ spec: { minReplicaCount: min, maxReplicaCount: 7 } }), [
      metricSpec(),
    ]);
    expect(model.minReplicas).toBe(expected);
    expect(model.maxReplicas).toBe(7);
    expect(model.behavior).toBeUndefined();
    expect(model.metrics).toEqual([{ metricName: "s0-redis-jobs", targetType: "AverageValue", target: 10 }]);
  });

  it("passes behavior through", () => {
    const behavior = { scaleDown: { stabilizationWindowSeconds: 30 } };
    const model = buildHpaModel(
      makeScaledObject({ spec: { advanced: { horizontalPodAutoscalerConfig: { behavior } } } }),
      [metricSpec()],
    );
    expect(model.behavior).toEqual(behavior);
  });

  it.each([
    [ANNOTATIONS.pausedScaleIn, undefined, { scaleDown: { selectPolicy: "Disabled" } }],
    [ANNOTATIONS.pausedScaleOut, undefined, { scaleUp: { selectPolicy: "Disabled" } }],
    [
      ANNOTATIONS.pausedScaleIn,
      { scaleDown: { stabilizationWindowSeconds: 30 } },
      { scaleDown: { stabilizationWindowSeconds: 30, selectPolicy: "Disabled" } },
    ],
  ])("%s disables that direction (behavior %j)", (annotation, behavior, expected) => {
    const scaledObject = makeScaledObject({
      annotations: { [annotation]: "true" },
      spec: behavior ? { advanced: { horizontalPodAutoscalerConfig: { behavior } } } : {},
    });
    const model = buildHpaModel(scaledObject, [metricSpec()]);
    expect(model.behavior).toEqual(expected);
    if (behavior) expect(behavior).not.toHaveProperty("scaleDown.selectPolicy");
  });

  it("uses one composite-metric for a formula", () => {
    const scaledObject = makeScaledObject({
      triggers: [{ type: "redis", name: "a", metadata: {} }],
      spec: { advanced: { scalingModifiers: { formula: "a * 2", target: "4", metricType: "Value" } } },
    });
    expect(buildHpaModel(scaledObject, [metricSpec({ name: "a" })]).metrics).toEqual([
      { metricName: "composite-metric", targetType: "Value", target: 4 },
    ]);
  });
});

describe("hpaName", () => {
  it("is keda-hpa-<name> unless configured", () => {
    expect(hpaName(makeScaledObject())).toBe("keda-hpa-orders");
    const named = makeScaledObject({
      spec: { advanced: { horizontalPodAutoscalerConfig: { name: "custom" } } },
    });
    expect(hpaName(named)).toBe("custom");
  });
});

describe("formulaVariables", () => {
  it("names metrics after their trigger, numbering a trigger's later metrics", () => {
    const variables = formulaVariables([
      metricSpec({ index: 0, name: "queue", metricName: "s0-a" }),
      metricSpec({ index: 0, name: "queue", metricName: "s0-b" }),
      metricSpec({ index: 1, name: "", metricName: "s1-c" }),
      metricSpec({ index: 2, name: "load", type: "cpu", metricName: "cpu" }),
    ]);
    expect([...variables]).toEqual([
      ["s0-a", "queue"],
      ["s0-b", "queue01"],
    ]);
  });
});
