import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ANNOTATIONS } from "./annotations.ts";
import { decideDirect, initialState, renderTrace, serveMetrics } from "./decide.ts";
import { T0, at, errorSample, makeScaledObject, metricSpec, valueSample } from "./test-fixtures.ts";
import type { ScaledObjectState, TriggerSample } from "./types.ts";

function direct(current: number, samples: TriggerSample[], state?: Partial<ScaledObjectState>, now = at(1)) {
  return decideDirect({
    scaledObject: makeScaledObject(),
    metricSpecs: [metricSpec()],
    samples,
    currentReplicas: current,
    now,
    state: { ...initialState(T0), ...state },
  });
}

describe("decideDirect", () => {
  it.each([
    // current, value, expected, bounded by, HPA ran
    [0, 25, 1, "activation", false],
    [0, 0, 0, "hpa-disabled", true],
    [1, 25, 3, "metric", true],
    [3, 31, 3, "tolerance", true],
    [2, 200, 4, "scale-up-limit", true],
  ] as const)("at %d replicas with value %d → %d (%s)", (current, value, expected, rule, hpaRan) => {
    const decision = direct(current, [valueSample(value)]);
    expect(decision.desiredReplicas).toBe(expected);
    expect(decision.trace.boundedBy).toBe(rule);
    expect(decision.hpa !== undefined).toBe(hpaRan);
  });

  it("lets KEDA alone take the last step to zero after the cooldown", () => {
    const decision = direct(1, [valueSample(0)], { lastActiveTime: at(0) }, at(301));
    expect(decision.desiredReplicas).toBe(0);
    expect(decision.hpa).toBeUndefined();
  });

  it("keeps the HPA's memory in the returned state", () => {
    const first = direct(5, [valueSample(50)]);
    const second = direct(5, [valueSample(10)], first.state, at(31));
    expect(second.desiredReplicas).toBe(5); // the 5 recommended 30 s ago is within the 300 s window
    expect(second.trace.boundedBy).toBe("stabilization");
    expect(second.state.hpa.recommendations).toHaveLength(first.state.hpa.recommendations.length + 1);
  });

  it("holds the count of a paused ScaledObject, or moves it to paused-replicas", () => {
    const decide = (annotations: Record<string, string>) =>
      decideDirect({
        scaledObject: makeScaledObject({ annotations }),
        metricSpecs: [metricSpec()],
        samples: [valueSample(500)],
        currentReplicas: 3,
        now: at(1),
        state: initialState(T0),
      });
    expect(decide({ [ANNOTATIONS.paused]: "true" }).desiredReplicas).toBe(3);
    expect(decide({ [ANNOTATIONS.pausedReplicas]: "7" }).desiredReplicas).toBe(7);
  });

  it("renders a trace a person reads at once", () => {
    const decision = direct(1, [valueSample(25)]);
    expect(renderTrace(decision.trace)).toBe(
      [
        "ScaledObject default/orders: 1 → 3 replicas (active)",
        "  triggers",
        "    s0-redis-jobs  redis  value 25  target 10 (AverageValue)  activation >0  active  → 3",
        "  steps",
        "    unchanged  1 → 1  active; the HPA scales 1 ↔ N",
        "    metric     1 → 3  ceil(25 / 10) = 3",
        "  bounded by: metric",
      ].join("\n"),
    );
    expect(decision.trace.summary).toBe("1 → 3 replicas; metric: ceil(25 / 10) = 3");
  });

  it("renders errors and fallback", () => {
    const decision = decideDirect({
      scaledObject: makeScaledObject({ spec: { fallback: { failureThreshold: 0, replicas: 4 } } }),
      metricSpecs: [metricSpec()],
      samples: [errorSample("connection refused")],
      currentReplicas: 2,
      now: at(1),
      state: initialState(T0),
    });
    expect(decision.desiredReplicas).toBe(4);
    const text = renderTrace(decision.trace);
    expect(text).toContain("error: connection refused");
    expect(text).toContain("fallback → serves 40");
    expect(text.split("\n")[0]).toBe("ScaledObject default/orders: 2 → 4 replicas (active, fallback)");
  });
});

describe("serveMetrics", () => {
  it("applies the recorded fallback without counting another failure", () => {
    const input = {
      scaledObject: makeScaledObject({ spec: { fallback: { failureThreshold: 1, replicas: 3 } } }),
      metricSpecs: [metricSpec()],
      samples: [errorSample("down")],
      currentReplicas: 2,
      now: at(1),
      state: {
        ...initialState(T0),
        health: { "s0-redis-jobs": { numberOfFailures: 2, status: "Failing" as const } },
      },
    };
    expect(serveMetrics(input).hpaMetricValues).toEqual([{ metricName: "s0-redis-jobs", value: 30 }]);
    expect(serveMetrics({ ...input, state: initialState(T0) }).hpaMetricValues).toEqual([
      { metricName: "s0-redis-jobs", error: "down" },
    ]);
  });
});

// Random ScaledObjects and readings for the properties below. `annotations` are those that may be set.
const configArbitrary = (annotationKeys: string[]) =>
  fc
    .record({
      min: fc.integer({ min: 0, max: 5 }),
      extra: fc.integer({ min: 0, max: 15 }),
      idle: fc.option(fc.nat(), { nil: undefined }),
      cooldownPeriod: fc.constantFrom(0, 30, 300),
      behavior: fc.constantFrom(
        undefined,
        {},
        { scaleDown: { stabilizationWindowSeconds: 0 } },
        {
          scaleUp: {
            selectPolicy: "Min" as const,
            policies: [{ type: "Pods" as const, value: 1, periodSeconds: 60 }],
          },
        },
      ),
      fallback: fc.option(
        fc.record({ failureThreshold: fc.nat({ max: 3 }), replicas: fc.nat({ max: 10 }) }),
        {
          nil: undefined,
        },
      ),
      annotations: fc.subarray(annotationKeys),
    })
    .map(({ min, extra, idle, cooldownPeriod, behavior, fallback, annotations }) => {
      const max = Math.max(min, 1) + extra;
      const idleReplicaCount = idle !== undefined && min > 0 ? idle % min : undefined;
      return {
        min,
        max,
        idleReplicaCount,
        scaledObject: makeScaledObject({
          annotations: Object.fromEntries(annotations.map((key) => [key, "true"])),
          spec: {
            minReplicaCount: min,
            maxReplicaCount: max,
            cooldownPeriod,
            ...(idleReplicaCount === undefined ? {} : { idleReplicaCount }),
            ...(behavior ? { advanced: { horizontalPodAutoscalerConfig: { behavior } } } : {}),
            ...(fallback ? { fallback } : {}),
          },
        }),
      };
    });

const ALL_ANNOTATIONS = [ANNOTATIONS.pausedScaleIn, ANNOTATIONS.pausedScaleOut, ANNOTATIONS.forceActivation];

const readingArbitrary = (withErrors: boolean) =>
  withErrors
    ? fc.oneof(fc.integer({ min: 0, max: 500 }), fc.constant("error" as const))
    : fc.integer({ min: 0, max: 500 });

const toSample = (reading: number | "error"): TriggerSample =>
  reading === "error" ? errorSample("down") : valueSample(reading);

/** What a direct decision may choose: zero (or idle) or a count between max(min, 1) and max. */
function allowed(
  config: { min: number; max: number; idleReplicaCount: number | undefined },
  replicas: number,
) {
  const resting = config.idleReplicaCount ?? (config.min === 0 ? 0 : undefined);
  return replicas === resting || (replicas >= Math.max(config.min, 1) && replicas <= config.max);
}

describe("decideDirect properties", () => {
  it("without errors or paused scale-in/out, always chooses 0/idle or a count in [max(min, 1), max]", () => {
    fc.assert(
      fc.property(
        configArbitrary([ANNOTATIONS.forceActivation]),
        fc.integer({ min: 0, max: 40 }),
        fc.array(readingArbitrary(false), { minLength: 1, maxLength: 20 }),
        (config, initial, readings) => {
          let current = initial;
          let state = initialState(T0);
          readings.forEach((reading, index) => {
            const decision = decideDirect({
              scaledObject: config.scaledObject,
              metricSpecs: [metricSpec()],
              samples: [toSample(reading)],
              currentReplicas: current,
              now: at(15 + index * 30),
              state,
            });
            expect(allowed(config, decision.desiredReplicas)).toBe(true);
            current = decision.desiredReplicas;
            state = decision.state;
          });
        },
      ),
    );
  });

  it("with trigger errors and paused scale-in/out, chooses an allowed count or keeps the current one", () => {
    fc.assert(
      fc.property(
        configArbitrary(ALL_ANNOTATIONS),
        fc.integer({ min: 0, max: 40 }),
        fc.array(readingArbitrary(true), { minLength: 1, maxLength: 20 }),
        (config, initial, readings) => {
          let current = initial;
          let state = initialState(T0);
          readings.forEach((reading, index) => {
            const decision = decideDirect({
              scaledObject: config.scaledObject,
              metricSpecs: [metricSpec()],
              samples: [toSample(reading)],
              currentReplicas: current,
              now: at(15 + index * 30),
              state,
            });
            const held = decision.desiredReplicas === current;
            expect(held || allowed(config, decision.desiredReplicas)).toBe(true);
            current = decision.desiredReplicas;
            state = decision.state;
          });
        },
      ),
    );
  });

  it("gives the same output for the same input", () => {
    fc.assert(
      fc.property(
        configArbitrary(ALL_ANNOTATIONS),
        fc.integer({ min: 0, max: 40 }),
        readingArbitrary(true),
        fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
        (config, current, reading, lastActiveSeconds) => {
          const input = {
            scaledObject: config.scaledObject,
            metricSpecs: [metricSpec()],
            samples: [toSample(reading)],
            currentReplicas: current,
            now: at(600),
            state: {
              ...initialState(T0),
              ...(lastActiveSeconds === undefined ? {} : { lastActiveTime: at(lastActiveSeconds) }),
            },
          };
          const snapshot = structuredClone(input);
          expect(decideDirect(input)).toEqual(decideDirect(input));
          expect(input).toEqual(snapshot);
        },
      ),
    );
  });
});
