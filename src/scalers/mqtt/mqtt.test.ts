import { describe, expect, it } from "vitest";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";

function prepare(
  metadata: Record<string, string>,
  authParams: Record<string, string> = {},
  options: { resolvedEnv?: Record<string, string>; asMetricSource?: boolean } = {},
) {
  return prepareScalerTrigger("mqtt", metadata, { authParams, ...options });
}

function errors(...args: Parameters<typeof prepare>) {
  return prepare(...args)
    .problems.filter((problem) => problem.severity === "error")
    .map((problem) => `${problem.key}: ${problem.message}`);
}

const base = { brokerUrl: "mqtt://broker:1883", topic: "jobs/backlog", value: "10" };

describe("mqtt parameters", () => {
  it("names the metric mqtt-<topic> and reads float targets, activationValue 0 by default", () => {
    const prepared = prepare(base);
    expect(prepared.problems).toEqual([]);
    expect(prepared.metricSpec).toMatchObject({
      metricName: "s0-mqtt-jobs-backlog",
      target: 10,
      activationTarget: 0,
    });
    expect(prepare({ ...base, value: "2.5", activationValue: "1" }).metricSpec).toMatchObject({
      target: 2.5,
      activationTarget: 1,
    });
  });

  it("needs brokerUrl, topic, and value above 0 unless the trigger feeds a formula", () => {
    expect(errors({})).toEqual([
      expect.stringMatching(/^brokerUrl: missing required/),
      expect.stringMatching(/^topic: missing required/),
    ]);
    expect(errors({ ...base, value: "0" })).toEqual(["value: value must be greater than 0"]);
    const { value: _value, ...withoutValue } = base;
    expect(errors(withoutValue)).toEqual(['value: missing required parameter "value"']);
    expect(errors(withoutValue, {}, { asMetricSource: true })).toEqual([]);
  });

  it("takes the broker from authentication or the environment, credentials only from there", () => {
    const { brokerUrl: _brokerUrl, ...withoutBroker } = base;
    expect(
      prepare(withoutBroker, { brokerUrl: "mqtts://secure:8883", username: "u", password: "p" }).params,
    ).toMatchObject({
      brokerUrl: "mqtts://secure:8883",
      username: "u",
      password: "p",
    });
    expect(
      prepare(
        { ...withoutBroker, brokerUrlFromEnv: "BROKER" },
        {},
        { resolvedEnv: { BROKER: "ws://broker:9001" } },
      ).problems,
    ).toEqual([]);
    expect(prepare({ ...base, password: "in-metadata" }).problems).toContainEqual(
      expect.objectContaining({ key: "password", severity: "warning" }),
    );
  });

  it("checks the broker URL and the topic filter", () => {
    expect(errors({ ...base, brokerUrl: "tcp://broker:1883" })).toEqual([
      "brokerUrl: brokerUrl must start with mqtt://, mqtts://, ws:// or wss:// and name a host",
    ]);
    expect(errors({ ...base, topic: "jobs/#/eu" })).toEqual([
      'topic: "#" must be the whole last level of the topic',
    ]);
  });

  it("treats the password as a secret", () => {
    expect(prepare(base, { password: "s3cret-pw" }).redact("refused s3cret-pw")).toBe("refused ***");
  });
});
