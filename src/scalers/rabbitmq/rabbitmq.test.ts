import { describe, expect, it } from "vitest";
import { ConnectionPool } from "../connection-pool.ts";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import type { RabbitMqParams } from "./params.ts";
import { rabbitMqScaler } from "./rabbitmq.ts";

function prepare(
  metadata: Record<string, string>,
  inputs: { authParams?: Record<string, string>; resolvedEnv?: Record<string, string> } = {},
) {
  return prepareScalerTrigger("rabbitmq", metadata, { ...inputs });
}

const errorsOf = (prepared: ReturnType<typeof prepare>) =>
  prepared.problems.filter((problem) => problem.severity === "error").map((problem) => problem.message);

describe("rabbitmq trigger", () => {
  it("names the metric after the query-escaped, normalized queue name and targets the value", () => {
    const prepared = prepare({
      host: "amqp://h/",
      queueName: "orders",
      mode: "QueueLength",
      value: "12.5",
      activationValue: "3",
    });
    expect(prepared.metricSpec).toMatchObject({
      metricName: "s0-rabbitmq-orders",
      target: 12.5,
      activationTarget: 3,
    });
    expect(prepare({ host: "amqp://h/", queueName: "my queue/x.y" }).metricSpec?.metricName).toBe(
      "s0-rabbitmq-my+queue-2Fx-y",
    );
  });

  it("defaults to QueueLength 20 and reads the deprecated queueLength", () => {
    expect(prepare({ host: "amqp://h/", queueName: "q" }).metricSpec?.target).toBe(20);
    expect(prepare({ host: "amqp://h/", queueName: "q", queueLength: "7" }).metricSpec?.target).toBe(7);
  });

  it("requires host and queueName", () => {
    expect(errorsOf(prepare({}))).toEqual([
      expect.stringContaining('missing required parameter "host"'),
      expect.stringContaining('missing required parameter "queueName"'),
    ]);
  });

  it("takes host from metadata, then authentication, then the environment", () => {
    const fromAuth = prepare({ queueName: "q" }, { authParams: { host: "http://h:15672/" } });
    expect(errorsOf(fromAuth)).toEqual([]);
    expect(fromAuth.params["host"]).toBe("http://h:15672/");
    const fromEnv = prepare(
      { queueName: "q", hostFromEnv: "RABBIT_URL" },
      { resolvedEnv: { RABBIT_URL: "amqp://e/" } },
    );
    expect(fromEnv.params["host"]).toBe("amqp://e/");
    const both = prepare({ host: "amqp://m/", queueName: "q" }, { authParams: { host: "amqp://a/" } });
    expect(both.params["host"]).toBe("amqp://m/");
  });

  it("takes username and password from authentication or the environment, never from metadata", () => {
    const fromEnv = prepare(
      { host: "http://h/", queueName: "q", usernameFromEnv: "U", passwordFromEnv: "P" },
      { resolvedEnv: { U: "user", P: "pw" } },
    );
    expect(fromEnv.params).toMatchObject({ username: "user", password: "pw" });
    const inMetadata = prepare({ host: "http://h/", queueName: "q", password: "pw" });
    expect(inMetadata.problems).toContainEqual(
      expect.objectContaining({
        key: "password",
        severity: "warning",
        message: expect.stringContaining("TriggerAuthentication"),
      }),
    );
    expect(inMetadata.params["password"]).toBeUndefined();
  });

  it("reads tls from authentication only, and vhostName/protocol from either", () => {
    const prepared = prepare(
      { host: "amqps://h/", queueName: "q", tls: "enable" },
      { authParams: { vhostName: "v", protocol: "amqp" } },
    );
    expect(prepared.params).toMatchObject({ tls: "disable", vhostName: "v", protocol: "amqp" });
    expect(prepared.problems).toContainEqual(expect.objectContaining({ key: "tls", severity: "warning" }));
  });

  it("rejects bad enums, modes over AMQP and a malformed host without printing it", () => {
    expect(errorsOf(prepare({ host: "amqp://h/", queueName: "q", operation: "median" }))).toEqual([
      'parameter "operation" value "median" must be one of sum, avg, max',
    ]);
    expect(errorsOf(prepare({ host: "amqp://h/", queueName: "q", mode: "MessageRate", value: "1" }))).toEqual(
      ["mode MessageRate needs the http protocol (the management API)"],
    );
    expect(errorsOf(prepare({ host: "user:secret@rabbit", queueName: "q" }))).toEqual([
      expect.not.stringContaining("secret"),
    ]);
  });

  it("hints at misspelled keys", () => {
    expect(prepare({ host: "amqp://h/", queueName: "q", queueNmae: "x" }).problems).toContainEqual(
      expect.objectContaining({
        severity: "warning",
        message: expect.stringContaining('did you mean "queueName"'),
      }),
    );
  });

  it("gives HTTP triggers their own measurement deadline from timeout", async () => {
    const context = {
      triggerIndex: 0,
      triggerName: "",
      triggerType: "rabbitmq",
      scalableObject: { kind: "ScaledObject" as const, namespace: "default", name: "app" },
      metricType: "AverageValue" as const,
      asMetricSource: false,
      timeoutMs: 3000,
      pool: new ConnectionPool(),
      resolvedMetadata: {},
    };
    const withTimeout = prepare({ host: "http://h:15672/", queueName: "q", timeout: "1500ms" });
    const scaler = rabbitMqScaler.connect(withTimeout.params as RabbitMqParams, context);
    expect(scaler.timeoutMs).toBe(1500);
    await scaler.close();
    const withoutTimeout = rabbitMqScaler.connect(
      prepare({ host: "http://h/", queueName: "q" }).params as RabbitMqParams,
      context,
    );
    expect(withoutTimeout.timeoutMs).toBeUndefined();
    await withoutTimeout.close();
  });
});

describe("rabbitmq push (tidalPush)", () => {
  it("warns that RabbitMQ has no push path and keeps the trigger valid, polling", () => {
    const prepared = prepare({ host: "amqp://h/", queueName: "orders", tidalPush: "true" });
    expect(errorsOf(prepared)).toEqual([]);
    expect(prepared.problems).toEqual([
      expect.objectContaining({
        key: "tidalPush",
        severity: "warning",
        message: expect.stringMatching(/no push path/),
      }),
    ]);
    const connected = rabbitMqScaler.connect(prepared.params as RabbitMqParams, {
      triggerIndex: 0,
      triggerName: "",
      triggerType: "rabbitmq",
      scalableObject: { kind: "ScaledObject", namespace: "default", name: "test" },
      metricType: "AverageValue",
      asMetricSource: false,
      timeoutMs: 1000,
      pool: new ConnectionPool(),
      resolvedMetadata: {},
    });
    expect(connected.watch).toBeUndefined();
    void connected.close();
  });
});
