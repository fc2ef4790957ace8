import { describe, expect, it } from "vitest";
import { ANNOTATIONS } from "./annotations.ts";
import { initialState } from "./decide.ts";
import { type KedaPollInput, kedaPoll } from "./keda-poll.ts";
import {
  T0,
  at,
  errorSample,
  makeScaledObject,
  metricSpec,
  valueSample,
  type ScaledObjectOptions,
} from "./test-fixtures.ts";
import type { ScaledObjectState, TriggerSample } from "./types.ts";

interface PollCase {
  options?: ScaledObjectOptions;
  samples?: TriggerSample[];
  current: number;
  now?: number;
  state?: Partial<ScaledObjectState>;
}

function poll({ options, samples = [valueSample(0)], current, now = at(1), state }: PollCase) {
  const input: KedaPollInput = {
    scaledObject: makeScaledObject(options),
    metricSpecs: [metricSpec()],
    samples,
    currentReplicas: current,
    now,
    state: { ...initialState(T0), ...state },
  };
  return kedaPoll(input);
}

const condition = (result: ReturnType<typeof poll>, type: string) =>
  result.conditions.find((candidate) => candidate.type === type);

describe("kedaPoll: activation (value strictly above the activation target)", () => {
  it.each([
    // value, activationTarget, current, min, expected scaleTo, rule
    [0, 0, 0, 0, undefined, "unchanged"],
    [0.001, 0, 0, 0, 1, "activation"],
    [25, 0, 0, 0, 1, "activation"],
    [5, 5, 0, 0, undefined, "unchanged"],
    [5.5, 5, 0, 0, 1, "activation"],
    [25, 0, 0, 3, 3, "activation"],
    [25, 0, 2, 0, undefined, "unchanged"],
  ])(
    "value %d activation %d at %d replicas (min %d) → %j",
    (value, activationTarget, current, min, scaleTo, rule) => {
      const result = kedaPoll({
        scaledObject: makeScaledObject({ spec: { minReplicaCount: min } }),
        metricSpecs: [metricSpec({ activationTarget })],
        samples: [valueSample(value)],
        currentReplicas: current,
        now: at(1),
        state: initialState(T0),
      });
      expect(result.scaleTo).toBe(scaleTo);
      expect(result.boundedBy).toBe(rule);
      expect(result.active).toBe(value > activationTarget);
    },
  );

  it("uses the scaler's own activity when it reports one", () => {
    const result = poll({ samples: [{ metricName: "s0-redis-jobs", value: 0, active: true }], current: 0 });
    expect(result.scaleTo).toBe(1);
  });

  it("records lastActiveTime while active and explains the activation", () => {
    const result = poll({ samples: [valueSample(25)], current: 0, now: at(42) });
    expect(result.lastActiveTime).toBe(at(42));
    expect(result.state.lastActiveTime).toBe(at(42));
    expect(result.steps[0]?.detail).toBe("trigger s0-redis-jobs is active (25 > 0)");
    expect(condition(result, "Active")).toMatchObject({ status: "True", reason: "ScalerActive" });
  });

  it("keeps lastActiveTime fresh while active above zero", () => {
    const result = poll({
      samples: [valueSample(25)],
      current: 4,
      now: at(99),
      state: { lastActiveTime: at(1) },
    });
    expect(result.scaleTo).toBeUndefined();
    expect(result.lastActiveTime).toBe(at(99));
  });

  it.each([
    // current, expected: with idleReplicaCount set, anything below min activates to min
    [0, 2],
    [1, 2],
    [2, undefined],
  ])("with idleReplicaCount 0 and min 2, active at %d → %j", (current, scaleTo) => {
    const result = poll({
      options: { spec: { idleReplicaCount: 0, minReplicaCount: 2 } },
      samples: [valueSample(25)],
      current,
    });
    expect(result.scaleTo).toBe(scaleTo);
  });
});

describe("kedaPoll: deactivation after the cooldown (strictly after it ends)", () => {
  it.each([
    // seconds since lastActiveTime (cooldown 300), expected scaleTo, rule
    [299, undefined, "cooldown"],
    [300, undefined, "cooldown"],
    [300.001, 0, "deactivation"],
  ])("%d s after the last activity → %j (%s)", (elapsed, scaleTo, rule) => {
    const result = poll({ current: 3, now: at(100 + elapsed), state: { lastActiveTime: at(100) } });
    expect(result.scaleTo).toBe(scaleTo);
    expect(result.boundedBy).toBe(rule);
    const reason = rule === "cooldown" ? "ScalerCooldown" : "ScalerNotActive";
    expect(condition(result, "Active")).toMatchObject({ status: "False", reason });
  });

  it.each([
    // lastActiveTime's fraction of a second, seconds since it (cooldown 300), expected scaleTo
    [0.6, 299.5, 0],
    [0.6, 299.3, undefined],
    [0.999, 299.002, 0],
  ])(
    "counts the cooldown from lastActiveTime's whole second, as KEDA reads it back from status (%d s into it, %d s later → %j)",
    (fraction, elapsed, scaleTo) => {
      const result = poll({
        current: 3,
        now: at(100 + fraction + elapsed),
        state: { lastActiveTime: at(100 + fraction) },
      });
      expect(result.scaleTo).toBe(scaleTo);
    },
  );

  it.each([
    // initialCooldownPeriod, seconds after creation, expected scaleTo
    [60, 60, undefined],
    [60, 60.001, 0],
    [0, 0, undefined],
    [0, 0.001, 0],
  ])("initialCooldownPeriod %d: %d s after creation without activity → %j", (initial, elapsed, scaleTo) => {
    const result = poll({
      options: { spec: { initialCooldownPeriod: initial } },
      current: 2,
      now: at(elapsed),
    });
    expect(result.scaleTo).toBe(scaleTo);
    expect(result.boundedBy).toBe(scaleTo === undefined ? "initial-cooldown" : "deactivation");
  });

  it("goes to idleReplicaCount when it is set", () => {
    const result = poll({
      options: { spec: { idleReplicaCount: 0, minReplicaCount: 2 } },
      current: 2,
      now: at(400),
      state: { lastActiveTime: at(0) },
    });
    expect(result.scaleTo).toBe(0);
    expect(result.boundedBy).toBe("idle");
  });

  it.each([
    // min, current, expected scaleTo, rule
    [2, 1, 2, "min"],
    [2, 0, 2, "min"],
    [2, 3, undefined, "unchanged"],
    [0, 0, undefined, "unchanged"],
  ])("inactive with min %d at %d replicas → %j (%s)", (min, current, scaleTo, rule) => {
    const result = poll({ options: { spec: { minReplicaCount: min } }, current, now: at(1000) });
    expect(result.scaleTo).toBe(scaleTo);
    expect(result.boundedBy).toBe(rule);
  });
});

describe("kedaPoll: trigger errors", () => {
  it("without fallback: Ready False TriggerError and no scaling", () => {
    const result = poll({ samples: [errorSample("timeout")], current: 3, now: at(1000) });
    expect(result.scaleTo).toBeUndefined();
    expect(condition(result, "Ready")).toMatchObject({ status: "False", reason: "TriggerError" });
    expect(result.hpaMetricValues).toEqual([{ metricName: "s0-redis-jobs", error: "timeout" }]);
  });

  it("with a fallback below its threshold: leaves the count to the HPA", () => {
    const result = poll({
      options: { spec: { fallback: { failureThreshold: 3, replicas: 5 } } },
      samples: [errorSample("timeout")],
      current: 3,
      now: at(1000),
    });
    expect(result.scaleTo).toBeUndefined();
    expect(result.boundedBy).toBe("fallback");
    expect(result.health["s0-redis-jobs"]).toEqual({ numberOfFailures: 1, status: "Failing" });
  });

  it("with fallback.replicas 0 the error does not stop the scale to zero", () => {
    const result = poll({
      options: { spec: { fallback: { failureThreshold: 3, replicas: 0 } } },
      samples: [errorSample("timeout")],
      current: 3,
      now: at(1000),
    });
    expect(result.scaleTo).toBe(0);
  });

  it("active with a failing trigger: Ready Unknown PartialTriggerError, lastActiveTime kept", () => {
    const result = kedaPoll({
      scaledObject: makeScaledObject({
        triggers: [
          { type: "redis", metadata: {} },
          { type: "redis", metadata: {} },
        ],
      }),
      metricSpecs: [metricSpec(), metricSpec({ index: 1, metricName: "s1-redis-jobs" })],
      samples: [valueSample(25), errorSample("timeout", "s1-redis-jobs")],
      currentReplicas: 2,
      now: at(50),
      state: { ...initialState(T0), lastActiveTime: at(10) },
    });
    expect(result.active).toBe(true);
    expect(condition(result, "Ready")).toMatchObject({ status: "Unknown", reason: "PartialTriggerError" });
    expect(result.lastActiveTime).toBe(at(10));
  });
});

describe("kedaPoll: fallback", () => {
  const withFallback = (behavior: string, replicas = 5): ScaledObjectOptions => ({
    spec: { fallback: { failureThreshold: 2, replicas, behavior } },
  });

  it("falls back only after more than failureThreshold failures, and recovers at once", () => {
    let state = initialState(T0);
    const outcomes: (number | string | undefined)[] = [];
    const samples = [errorSample("down"), errorSample("down"), errorSample("down"), valueSample(12)];
    for (const [index, sample] of samples.entries()) {
      const result = kedaPoll({
        scaledObject: makeScaledObject(withFallback("static")),
        metricSpecs: [metricSpec()],
        samples: [sample],
        currentReplicas: 2,
        now: at(index * 30),
        state,
      });
      state = result.state;
      const served = result.hpaMetricValues[0];
      outcomes.push(served?.value ?? served?.error);
    }
    // failures 1 and 2 are within the threshold of 2; the third serves 10 × 5; success resets.
    expect(outcomes).toEqual(["down", "down", 50, 12]);
    expect(state.health["s0-redis-jobs"]).toEqual({ numberOfFailures: 0, status: "Happy" });
  });

  it.each([
    // behavior, fallback replicas, current replicas, expected replicas served as target × replicas
    ["static", 5, 2, 5],
    ["currentReplicas", 5, 2, 2],
    ["currentReplicasIfHigher", 5, 2, 5],
    ["currentReplicasIfHigher", 5, 8, 8],
    ["currentReplicasIfLower", 5, 2, 2],
    ["currentReplicasIfLower", 5, 8, 5],
  ])(
    "behavior %s (fallback %d, current %d) serves the value for %d replicas",
    (behavior, replicas, current, expected) => {
      const result = poll({
        options: withFallback(behavior, replicas),
        samples: [errorSample("down")],
        current,
        state: { health: { "s0-redis-jobs": { numberOfFailures: 2, status: "Failing" } } },
      });
      expect(result.hpaMetricValues).toEqual([{ metricName: "s0-redis-jobs", value: 10 * expected }]);
      expect(result.active).toBe(true);
      expect(result.fallback).toBe(true);
      expect(condition(result, "Fallback")).toMatchObject({ status: "True", reason: "FallbackExists" });
    },
  );

  it.each([
    // ready pods, served: target 10 × 6 replicas / ready pods
    [3, { value: 20 }],
    [4, { value: 15 }],
    [0, { error: "fallback for a Value metric needs at least one ready pod, and none is ready" }],
  ])("divides a Value target by %d ready pods", (readyPods, served) => {
    const result = kedaPoll({
      scaledObject: makeScaledObject(withFallback("static", 6)),
      metricSpecs: [metricSpec({ targetType: "Value" })],
      samples: [errorSample("down")],
      currentReplicas: 3,
      readyPods,
      now: at(1),
      state: { ...initialState(T0), health: { "s0-redis-jobs": { numberOfFailures: 2, status: "Failing" } } },
    });
    expect(result.hpaMetricValues).toEqual([{ metricName: "s0-redis-jobs", ...served }]);
  });

  it("activates from zero when a trigger falls back", () => {
    const result = poll({
      options: withFallback("static"),
      samples: [errorSample("down")],
      current: 0,
      state: { health: { "s0-redis-jobs": { numberOfFailures: 5, status: "Failing" } } },
    });
    expect(result.scaleTo).toBe(1);
    expect(result.steps[0]?.detail).toBe("trigger s0-redis-jobs is falling back");
  });

  it("reports NoFallbackFound while no metric is beyond the threshold", () => {
    const result = poll({ options: withFallback("static"), samples: [errorSample("down")], current: 2 });
    expect(condition(result, "Fallback")).toMatchObject({ status: "False", reason: "NoFallbackFound" });
  });
});

describe("kedaPoll: scalingModifiers formula", () => {
  const triggers = [
    { type: "redis", name: "a", metadata: {} },
    { type: "redis", name: "b", metadata: {} },
  ];
  const specs = [
    metricSpec({ name: "a", metricName: "s0-redis-a" }),
    metricSpec({ index: 1, name: "b", metricName: "s1-redis-b" }),
  ];

  function formulaPoll(
    modifiers: Record<string, string>,
    samples: TriggerSample[],
    extra: { fallback?: Record<string, unknown>; failures?: number; current?: number } = {},
  ) {
    return kedaPoll({
      scaledObject: makeScaledObject({
        triggers,
        spec: {
          advanced: { scalingModifiers: { target: "10", ...modifiers } },
          ...(extra.fallback ? { fallback: extra.fallback } : {}),
        },
      }),
      metricSpecs: specs,
      samples,
      currentReplicas: extra.current ?? 2,
      now: at(1),
      state: {
        ...initialState(T0),
        health: {
          "s1-redis-b": {
            numberOfFailures: extra.failures ?? 0,
            status: extra.failures ? "Failing" : "Happy",
          },
        },
      },
    });
  }

  it("serves one composite-metric and activates on its value", () => {
    const result = formulaPoll({ formula: "a + b" }, [
      valueSample(3, "s0-redis-a"),
      valueSample(4, "s1-redis-b"),
    ]);
    expect(result.hpaMetricValues).toEqual([{ metricName: "composite-metric", value: 7 }]);
    expect(result.active).toBe(true);
    expect(result.formula).toEqual({ expression: "a + b", value: 7, target: 10, activationTarget: 0 });
  });

  it.each([
    ["7", false],
    ["6.9", true],
  ])("activationTarget %s with a composite of 7 → active %j", (activationTarget, active) => {
    const result = formulaPoll({ formula: "a + b", activationTarget }, [
      valueSample(3, "s0-redis-a"),
      valueSample(4, "s1-redis-b"),
    ]);
    expect(result.active).toBe(active);
  });

  it("fails the composite metric when a trigger fails without fallback", () => {
    const result = formulaPoll({ formula: "a + b" }, [
      valueSample(3, "s0-redis-a"),
      errorSample("down", "s1-redis-b"),
    ]);
    expect(result.hpaMetricValues).toEqual([
      { metricName: "composite-metric", error: "metric s1-redis-b: down" },
    ]);
    expect(result.active).toBe(false);
    expect(result.isError).toBe(true);
  });

  it("replaces the composite metric by target × fallback replicas", () => {
    const result = formulaPoll(
      { formula: "a + b" },
      [valueSample(3, "s0-redis-a"), errorSample("down", "s1-redis-b")],
      { fallback: { failureThreshold: 1, replicas: 4 }, failures: 1 },
    );
    expect(result.hpaMetricValues).toEqual([{ metricName: "composite-metric", value: 40 }]);
    expect(result.active).toBe(true);
  });

  it.each([
    // formula, served: with behavior scalingModifiers a failing trigger reads nil
    ["a + (b ?? 0)", 3],
    ["b ?? a * 3", 9],
    ["b ?? nil", 40], // nil → fallback.replicas 4 × target 10
  ])("fallback behavior scalingModifiers: %s → %d", (formula, served) => {
    const result = formulaPoll(
      { formula },
      [valueSample(3, "s0-redis-a"), errorSample("down", "s1-redis-b")],
      { fallback: { failureThreshold: 1, replicas: 4, behavior: "scalingModifiers" }, failures: 1 },
    );
    expect(result.hpaMetricValues).toEqual([{ metricName: "composite-metric", value: served }]);
  });

  it("does not fall back when the composite target is not an integer", () => {
    const result = formulaPoll(
      { formula: "a + b", target: "2.5" },
      [valueSample(3, "s0-redis-a"), errorSample("down", "s1-redis-b")],
      { fallback: { failureThreshold: 1, replicas: 4 }, failures: 1 },
    );
    expect(result.hpaMetricValues[0]?.error).toBe("metric s1-redis-b: down");
  });

  it("reports a formula that does not compile", () => {
    const result = formulaPoll({ formula: "a + c" }, [
      valueSample(3, "s0-redis-a"),
      valueSample(4, "s1-redis-b"),
    ]);
    expect(result.hpaMetricValues[0]?.error).toContain('formula names trigger "c"');
    expect(result.active).toBe(false);
  });

  it("serves negative and non-finite results as 0, like KEDA", () => {
    const result = formulaPoll({ formula: "a - b" }, [
      valueSample(3, "s0-redis-a"),
      valueSample(4, "s1-redis-b"),
    ]);
    expect(result.hpaMetricValues).toEqual([{ metricName: "composite-metric", value: 0 }]);
  });
});

describe("kedaPoll: annotations", () => {
  it.each([
    // annotations, current, expected scaleTo, rule
    [{ [ANNOTATIONS.paused]: "true" }, 3, undefined, "paused"],
    [{ [ANNOTATIONS.paused]: "bogus" }, 3, undefined, "paused"],
    [{ [ANNOTATIONS.pausedReplicas]: "5" }, 3, 5, "paused-replicas"],
    [{ [ANNOTATIONS.pausedReplicas]: "5" }, 5, undefined, "paused-replicas"],
    [{ [ANNOTATIONS.pausedReplicas]: "five" }, 3, undefined, "paused"],
  ])("%j at %d replicas → %j (%s)", (annotations, current, scaleTo, rule) => {
    const result = poll({ options: { annotations }, samples: [errorSample("down")], current });
    expect(result.paused).toBe(true);
    expect(result.scaleTo).toBe(scaleTo);
    expect(result.boundedBy).toBe(rule);
    expect(result.health).toEqual({});
    expect(condition(result, "Paused")).toMatchObject({ status: "True", reason: "ScaledObjectPaused" });
  });

  it("paused=false does not pause", () => {
    const result = poll({ options: { annotations: { [ANNOTATIONS.paused]: "false" } }, current: 0 });
    expect(result.paused).toBe(false);
    expect(condition(result, "Paused")).toEqual({ type: "Paused", status: "False" });
  });

  it("paused-scale-out keeps a target at zero and does not record activity", () => {
    const result = poll({
      options: { annotations: { [ANNOTATIONS.pausedScaleOut]: "true" } },
      samples: [valueSample(25)],
      current: 0,
    });
    expect(result.scaleTo).toBeUndefined();
    expect(result.boundedBy).toBe("paused-scale-out");
    expect(result.lastActiveTime).toBeUndefined();
    expect(condition(result, "Paused")).toMatchObject({ status: "True" });
  });

  it("paused-scale-in keeps the replicas after the cooldown", () => {
    const result = poll({
      options: { annotations: { [ANNOTATIONS.pausedScaleIn]: "true" } },
      current: 3,
      now: at(1000),
      state: { lastActiveTime: at(0) },
    });
    expect(result.scaleTo).toBeUndefined();
    expect(result.boundedBy).toBe("paused-scale-in");
  });

  it("force-activation activates without an active trigger", () => {
    const result = poll({ options: { annotations: { [ANNOTATIONS.forceActivation]: "true" } }, current: 0 });
    expect(result.scaleTo).toBe(1);
    expect(result.boundedBy).toBe("force-activation");
    expect(condition(result, "Active")?.message).toBe(
      "Scaling is performed because activation is being forced by annotation",
    );
  });

  it("force-activation prevents the scale to zero", () => {
    const result = poll({
      options: { annotations: { [ANNOTATIONS.forceActivation]: "true" } },
      current: 3,
      now: at(1000),
      state: { lastActiveTime: at(0) },
    });
    expect(result.scaleTo).toBeUndefined();
    expect(result.lastActiveTime).toBe(at(1000));
  });
});

describe("kedaPoll: only cpu/memory triggers", () => {
  it("is always active", () => {
    const result = kedaPoll({
      scaledObject: makeScaledObject({ triggers: [{ type: "cpu", metadata: { value: "50" } }] }),
      metricSpecs: [],
      samples: [],
      currentReplicas: 0,
      now: at(1),
      state: initialState(T0),
    });
    expect(result.active).toBe(true);
    expect(result.scaleTo).toBe(1);
  });
});
