import { describe, expect, it } from "vitest";
import { parseParams } from "../params.ts";
import { rabbitMqParams } from "./params.ts";
import { resolveModeAndValue, resolveProtocol, resolveTrigger } from "./trigger.ts";

function paramsOf(metadata: Record<string, string>, authParams: Record<string, string> = {}) {
  const parsed = parseParams(rabbitMqParams, { metadata, authParams, resolvedEnv: {} });
  expect(parsed.problems).toEqual([]);
  return parsed.values;
}

function problemsOf(metadata: Record<string, string>, authParams: Record<string, string> = {}) {
  const resolved = resolveTrigger(paramsOf(metadata, authParams));
  return "problems" in resolved
    ? resolved.problems.map((problem) => `${problem.key}: ${problem.message}`)
    : [];
}

describe("resolveProtocol", () => {
  it.each([
    ["amqp://h:5672/", "amqp"],
    ["amqps://h:5671/v", "amqp"],
    ["AMQP://h/", "amqp"],
    ["http://h:15672/", "http"],
    ["https://h/sub/v", "http"],
  ])("auto picks by the scheme of %s", (host, protocol) => {
    expect(resolveProtocol({ protocol: "auto", host })).toBe(protocol);
  });

  it("keeps an explicit protocol", () => {
    expect(resolveProtocol({ protocol: "http", host: "amqp://h/" })).toBe("http");
  });

  it("rejects unknown schemes and non-URLs", () => {
    expect(resolveProtocol({ protocol: "auto", host: "tcp://h:5672" })).toMatchObject({
      key: "host",
      message: expect.stringContaining('unknown host URL scheme "tcp"'),
    });
    expect(resolveProtocol({ protocol: "auto", host: "not a url" })).toMatchObject({
      message: expect.stringMatching(/^host is not a URL: use amqp:\/\/rabbitmq:5672\/vhost/),
    });
  });
});

describe("resolveModeAndValue", () => {
  it("defaults to QueueLength 20 when nothing is set", () => {
    expect(resolveModeAndValue({})).toEqual({ mode: "QueueLength", value: 20 });
  });

  it("reads the deprecated queueLength as QueueLength mode", () => {
    expect(resolveModeAndValue({ queueLength: 7 })).toEqual({ mode: "QueueLength", value: 7 });
  });

  it("rejects queueLength together with mode or value", () => {
    expect(resolveModeAndValue({ queueLength: 7, mode: "QueueLength" })).toMatchObject({
      key: "queueLength",
    });
    expect(resolveModeAndValue({ queueLength: 7, value: 3 })).toMatchObject({ key: "queueLength" });
  });

  it("requires mode and value together, and counts 0 as not set like KEDA", () => {
    expect(resolveModeAndValue({ value: 5 })).toMatchObject({ key: "mode" });
    expect(resolveModeAndValue({ mode: "MessageRate" })).toMatchObject({ key: "value" });
    expect(resolveModeAndValue({ mode: "QueueLength", value: 0 })).toMatchObject({ key: "value" });
    expect(resolveModeAndValue({ queueLength: 0 })).toEqual({ mode: "QueueLength", value: 20 });
  });

  it("takes mode and value as given", () => {
    expect(resolveModeAndValue({ mode: "MessageRate", value: 2.5 })).toEqual({
      mode: "MessageRate",
      value: 2.5,
    });
  });
});

describe("resolveTrigger", () => {
  const amqp = { host: "amqp://u:p@h:5672/", queueName: "q" };
  const http = { host: "http://u:p@h:15672/", queueName: "q" };

  it("resolves a valid trigger", () => {
    expect(resolveTrigger(paramsOf({ ...http, mode: "DeliverGetRate", value: "3" }))).toEqual({
      trigger: { protocol: "http", mode: "DeliverGetRate", value: 3 },
    });
    expect(resolveTrigger(paramsOf(amqp))).toEqual({
      trigger: { protocol: "amqp", mode: "QueueLength", value: 20 },
    });
  });

  it("keeps HTTP-only options and modes off AMQP", () => {
    expect(problemsOf({ ...amqp, useRegex: "true" })).toEqual(["useRegex: useRegex needs the http protocol"]);
    expect(problemsOf({ ...amqp, excludeUnacknowledged: "true" })).toEqual([
      "excludeUnacknowledged: excludeUnacknowledged needs the http protocol",
    ]);
    expect(problemsOf({ ...amqp, timeout: "1s" })).toEqual([
      "timeout: timeout applies to the http protocol only",
    ]);
    for (const mode of [
      "MessageRate",
      "DeliverGetRate",
      "PublishedToDeliveredRatio",
      "ExpectedQueueConsumptionTime",
    ]) {
      expect(problemsOf({ ...amqp, mode, value: "1" })).toEqual([
        `mode: mode ${mode} needs the http protocol (the management API)`,
      ]);
    }
    expect(problemsOf({ ...http, useRegex: "true", excludeUnacknowledged: "true", timeout: "1s" })).toEqual(
      [],
    );
  });

  it("checks pageSize, credentials pairs and TLS cert/key pairs", () => {
    expect(problemsOf({ ...http, pageSize: "0" })).toEqual(["pageSize: pageSize must be 1 or greater"]);
    expect(problemsOf(http, { username: "u" })).toEqual([
      "password: username and password must be given together",
    ]);
    expect(problemsOf(http, { password: "secret" })).toEqual([
      "username: username and password must be given together",
    ]);
    expect(problemsOf(http, { cert: "CERT" })).toEqual(["key: cert and key must be given together"]);
  });

  it("checks OAuth2 and Azure workload identity with KEDA's rules", () => {
    const oauth = { oauthTokenURI: "https://idp/token", clientID: "c", clientSecret: "s" };
    expect(problemsOf(http, oauth)).toEqual([]);
    expect(problemsOf(http, { ...oauth, scopes: "a, b", endpointParams: "audience=rabbitmq" })).toEqual([]);
    expect(problemsOf(http, { clientSecret: "s" })).toEqual([
      "oauthTokenURI: OAuth2 needs oauthTokenURI, clientID and clientSecret in the TriggerAuthentication",
    ]);
    expect(problemsOf({ ...amqp, protocol: "amqp" }, oauth)).toEqual([
      "oauthTokenURI: OAuth2 works with the http protocol (the management API) only, not amqp",
    ]);
    expect(problemsOf(http, { ...oauth, username: "u", password: "p" })).toEqual([
      "clientID: OAuth2 cannot be combined with username and password or with workloadIdentityResource; use one",
    ]);
    expect(problemsOf(http, { ...oauth, endpointParams: "a=%zz" })).toEqual([
      expect.stringMatching(/^endpointParams: endpointParams is not a query string/),
    ]);
    expect(problemsOf(http, { workloadIdentityResource: "api://rabbit" })).toEqual([]);
    expect(problemsOf(amqp, { workloadIdentityResource: "api://rabbit" })).toEqual([
      "workloadIdentityResource: workloadIdentityResource needs the http protocol (the management API)",
    ]);
  });

  it("reports every independent problem at once", () => {
    expect(problemsOf({ host: "ftp://h/", queueName: "q", value: "3", pageSize: "0" })).toHaveLength(3);
  });
});
