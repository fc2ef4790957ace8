import { describe, expect, it } from "vitest";
import type { ScaleTrigger } from "../api/schema/trigger.ts";
import { ConnectionPool } from "./connection-pool.ts";
import { param } from "./params.ts";
import {
  connectTrigger,
  prepareTrigger,
  sanitizeMetricValue,
  type PreparedTrigger,
} from "./prepared-trigger.ts";
import type { Measurement, Scaler, ScalerDefinition } from "./types.ts";

const CANARY = "canary-Xq7-secret-prepared";

function trigger(
  type: string,
  metadata: Record<string, string>,
  extra: Partial<ScaleTrigger> = {},
): ScaleTrigger {
  return { type, name: "", useCachedMetrics: false, metadata, ...extra };
}

const noInputs = { authParams: {}, resolvedEnv: {} };

describe("prepareTrigger", () => {
  it("an unknown trigger type is an error on `type` saying it is not supported", () => {
    const prepared = prepareTrigger(trigger("acme-queue", { queueName: "q" }), 0, noInputs, {
      asMetricSource: false,
    });
    expect(prepared.definition).toBeUndefined();
    expect(prepared.metricSpec).toBeUndefined();
    expect(prepared.problems).toEqual([
      { key: "type", message: 'trigger type "acme-queue" is not supported', severity: "error" },
    ]);
  });

  it("a key that exists but may not be set in metadata gets a warning saying where to set it", () => {
    const prepared = prepareTrigger(
      trigger("rabbitmq", { host: "amqp://h:5672/", queueName: "q", password: "plain-in-yaml" }),
      0,
      noInputs,
      { asMetricSource: false },
    );
    expect(prepared.problems).toEqual([
      {
        key: "password",
        message:
          'parameter "password" cannot be set in trigger metadata; set it through a TriggerAuthentication or passwordFromEnv',
        severity: "warning",
      },
    ]);
    expect(prepared.metricSpec?.metricName).toBe("s0-rabbitmq-q");
  });

  it("metricType: Utilization is an error for scalers; Value is carried into the metric spec", () => {
    const base = { address: "r:6379", listName: "jobs" };
    const utilization = prepareTrigger(trigger("redis", base, { metricType: "Utilization" }), 0, noInputs, {
      asMetricSource: false,
    });
    expect(utilization.problems).toEqual([
      {
        key: "metricType",
        message:
          "metricType Utilization is only valid for cpu and memory triggers; use AverageValue or Value",
        severity: "error",
      },
    ]);
    expect(utilization.metricSpec).toBeUndefined();
    const value = prepareTrigger(trigger("redis", base, { metricType: "Value", name: "jobs" }), 2, noInputs, {
      asMetricSource: false,
    });
    expect(value.metricSpec).toEqual({
      index: 2,
      name: "jobs",
      type: "redis",
      metricName: "s2-redis-jobs",
      targetType: "Value",
      target: 5,
      activationTarget: 0,
    });
  });

  it("redacts secret values from its problems, also values a scaler's own check quotes", () => {
    // The redis address comes from a Secret through the TriggerAuthentication; the scaler's check
    // quotes it when it is not host:port.
    const prepared = prepareTrigger(
      trigger("redis", { listName: "jobs" }),
      0,
      { authParams: { address: CANARY, password: CANARY }, resolvedEnv: {} },
      { asMetricSource: false },
    );
    expect(prepared.problems.length).toBeGreaterThan(0);
    expect(prepared.problems.map((problem) => problem.key)).toContain("address");
    expect(JSON.stringify(prepared.problems)).not.toContain(CANARY);
    expect(prepared.redact(`connect ${CANARY} failed`)).toBe("connect *** failed");
  });

  it("does not mask enum values from authentication, which would garble the message", () => {
    const prepared = prepareTrigger(
      trigger("redis", { address: "r:6379", listName: "jobs", enableTLS: "true" }),
      0,
      { authParams: { tls: "enable" }, resolvedEnv: {} },
      { asMetricSource: false },
    );
    expect(prepared.problems.map((problem) => problem.message)).toEqual([
      "set either enableTLS in metadata or tls in authentication, not both",
    ]);
  });

  it("with unresolved credentials the metric is still known when it depends only on metadata", () => {
    const prepared = prepareTrigger(
      trigger("postgresql", { query: "SELECT 1", targetQueryValue: "3" }),
      1,
      { authParams: {}, resolvedEnv: {}, unresolved: new Set(["auth", "env"]) },
      { asMetricSource: false },
    );
    expect(prepared.problems).toEqual([]);
    expect(prepared.metricSpec).toMatchObject({ metricName: "s1-postgresql", target: 3 });
  });

  it("without the environment, still runs the checks that do not depend on its values", () => {
    const withoutEnv = (type: string, metadata: Record<string, string>, authParams = {}) =>
      prepareTrigger(
        trigger(type, metadata),
        0,
        { authParams, resolvedEnv: {}, unresolved: new Set(["env"]) },
        { asMetricSource: false },
      ).problems.map((problem) => `${problem.key}: ${problem.message}`);
    expect(withoutEnv("redis", { listName: "jobs", hostFromEnv: "REDIS_HOST" })).toEqual([
      "port: port is required when host is set",
    ]);
    expect(
      withoutEnv(
        "redis",
        { listName: "jobs", hostFromEnv: "REDIS_HOST", port: "6379" },
        { tls: "enable", cert: "CERT" },
      ),
    ).toEqual(["key: cert and key must be given together"]);
    // What depends on the unknown values is left for the cluster: the host's scheme, its port.
    expect(withoutEnv("rabbitmq", { queueName: "q", hostFromEnv: "RABBITMQ_URL" })).toEqual([]);
    expect(withoutEnv("redis", { listName: "jobs", addressFromEnv: "REDIS_ADDRESS" })).toEqual([]);
  });

  it("resolves <key>FromEnv entries of the metadata for external scalers; unset variables are left out", () => {
    const prepared = prepareTrigger(
      trigger("external", { scalerAddress: "s:1", tokenFromEnv: "TOKEN", otherFromEnv: "UNSET", plain: "x" }),
      0,
      { authParams: {}, resolvedEnv: { TOKEN: "t-1" } },
      { asMetricSource: false },
    );
    expect(prepared.resolvedMetadata).toEqual({ scalerAddress: "s:1", tokenFromEnv: "t-1", plain: "x" });
  });
});

/** A PreparedTrigger over a fake scaler definition, for connectTrigger. */
function fakePrepared(connect: (signal?: AbortSignal) => Scaler, secrets: string[] = []): PreparedTrigger {
  const definition: ScalerDefinition = {
    type: "fake",
    kedaScalerName: "fakeScaler",
    testedAgainst: "nothing",
    example: { metadata: {}, metricName: "s0-fake-x" },
    description: "a fake scaler",
    params: { value: param.float({ default: 1, description: "d" }) },
    metric: () => ({ name: "fake-x", target: 2, activationTarget: 0 }),
    connect: () => connect(),
  };
  return {
    index: 4,
    name: "f",
    type: "fake",
    definition,
    params: { value: 1 },
    metricSpec: {
      index: 4,
      name: "f",
      type: "fake",
      metricName: "s4-fake-x",
      targetType: "AverageValue",
      target: 2,
      activationTarget: 0,
    },
    problems: [],
    redact: (text) => secrets.reduce((result, secret) => result.split(secret).join("***"), text),
    resolvedMetadata: {},
  };
}

const context = {
  scalableObject: { kind: "ScaledObject" as const, namespace: "default", name: "so" },
  metricType: "AverageValue" as const,
  asMetricSource: false,
  timeoutMs: 30,
  pool: new ConnectionPool(),
};

function scaler(measure: (signal: AbortSignal) => Promise<Measurement>, extra: Partial<Scaler> = {}): Scaler {
  return { measure, close: async () => undefined, ...extra };
}

describe("connectTrigger", () => {
  it("returns the measured value with the metric name and the latency from the given clock", async () => {
    let clock = 1000;
    const measurer = connectTrigger(
      fakePrepared(() =>
        scaler(async () => {
          clock += 12;
          return { value: 7, active: true };
        }),
      ),
      context,
      () => clock,
    );
    expect(await measurer.measure()).toEqual({
      metricName: "s4-fake-x",
      value: 7,
      active: true,
      latencyMs: 12,
    });
  });

  it("turns NaN, infinite and negative values into 0, as KEDA's GenerateMetricInMili does", async () => {
    expect([Number.NaN, Infinity, -Infinity, -3, 0, 2.5].map(sanitizeMetricValue)).toEqual([
      0, 0, 0, 0, 0, 2.5,
    ]);
    const measurer = connectTrigger(
      fakePrepared(() => scaler(async () => ({ value: -4, active: false }))),
      context,
    );
    expect(await measurer.measure()).toMatchObject({ value: 0, active: false });
  });

  it("reports a failure as a redacted error value, never a throw", async () => {
    const measurer = connectTrigger(
      fakePrepared(
        () => scaler(async () => Promise.reject(new Error(`login as admin with ${CANARY} refused`))),
        [CANARY],
      ),
      context,
    );
    const sample = await measurer.measure();
    expect(sample.error).toBe("login as admin with *** refused");
    expect(sample.value).toBeUndefined();
    expect(sample.metricName).toBe("s4-fake-x");
  });

  it("fails a measurement that passes the deadline, and aborts the scaler's signal", async () => {
    let seen: AbortSignal | undefined;
    const measurer = connectTrigger(
      fakePrepared(() =>
        scaler(
          (signal) =>
            new Promise<Measurement>((_, reject) => {
              seen = signal;
              signal.addEventListener("abort", () => reject(new Error("aborted")));
            }),
        ),
      ),
      context,
    );
    const sample = await measurer.measure();
    expect(sample.error).toBe("no answer within 30 ms");
    expect(seen?.aborted).toBe(true);
  });

  it("uses the scaler's own deadline when it declares one", async () => {
    const measurer = connectTrigger(
      fakePrepared(() => scaler(() => new Promise<Measurement>(() => undefined), { timeoutMs: 5 })),
      context,
    );
    expect((await measurer.measure()).error).toBe("no answer within 5 ms");
  });

  it("asks a describing source for its metric before the first measurement, and later samples carry that name", async () => {
    let described = 0;
    const measurer = connectTrigger(
      fakePrepared(() =>
        scaler(async () => ({ value: 1, active: true }), {
          describe: async () => {
            described += 1;
            return { name: "queue.size", target: 9, activationTarget: 1 };
          },
        }),
      ),
      context,
    );
    expect(await measurer.measure()).toMatchObject({ metricName: "s4-queue-size" });
    expect(await measurer.describe()).toMatchObject({
      metricName: "s4-queue-size",
      target: 9,
      activationTarget: 1,
    });
    await measurer.measure();
    expect(described).toBe(2);
  });

  it("refuses to connect a trigger whose parameters are invalid", () => {
    const prepared = {
      ...fakePrepared(() => scaler(async () => ({ value: 1, active: true }))),
      metricSpec: undefined,
    };
    expect(() => connectTrigger(prepared, context)).toThrow(
      "trigger 4 has invalid parameters and cannot be connected",
    );
  });

  it("close() swallows a failing scaler close", async () => {
    const measurer = connectTrigger(
      fakePrepared(() =>
        scaler(async () => ({ value: 1, active: true }), {
          close: async () => {
            throw new Error("boom");
          },
        }),
      ),
      context,
    );
    await expect(measurer.close()).resolves.toBeUndefined();
  });
});
