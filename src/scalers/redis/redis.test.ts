import { describe, expect, it } from "vitest";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { redisEndpoint, type RedisConnectionParams } from "./connection.ts";
import { missingKeyspaceFlags } from "./push.ts";

function prepare(
  metadata: Record<string, string>,
  authParams: Record<string, string> = {},
  resolvedEnv: Record<string, string> = {},
) {
  return prepareScalerTrigger("redis", metadata, { authParams, resolvedEnv });
}

function errors(metadata: Record<string, string>, authParams: Record<string, string> = {}) {
  return prepare(metadata, authParams)
    .problems.filter((problem) => problem.severity === "error")
    .map((problem) => `${problem.key}: ${problem.message}`);
}

const connection: RedisConnectionParams = { databaseIndex: 0, unsafeSsl: false };

describe("redis parameters", () => {
  it("needs listName", () => {
    expect(errors({ address: "redis:6379" })).toEqual([
      expect.stringMatching(/^listName: missing required parameter "listName"/),
    ]);
  });

  it("defaults listLength to 5, activationListLength and databaseIndex to 0", () => {
    const prepared = prepare({ address: "redis:6379", listName: "jobs" });
    expect(prepared.problems).toEqual([]);
    expect(prepared.params).toMatchObject({ listLength: 5, activationListLength: 0, databaseIndex: 0 });
    expect(prepared.metricSpec).toMatchObject({ target: 5, activationTarget: 0, targetType: "AverageValue" });
  });

  it("reads the targets and the database index from metadata", () => {
    const prepared = prepare({
      address: "redis:6379",
      listName: "jobs",
      listLength: "20",
      activationListLength: "3",
      databaseIndex: "2",
    });
    expect(prepared.metricSpec).toMatchObject({ target: 20, activationTarget: 3 });
    expect(prepared.params).toMatchObject({ databaseIndex: 2 });
  });

  it("rejects a listLength of 0 and a negative databaseIndex", () => {
    expect(errors({ address: "redis:6379", listName: "jobs", listLength: "0" })).toEqual([
      "listLength: listLength must be greater than 0",
    ]);
    expect(errors({ address: "redis:6379", listName: "jobs", databaseIndex: "-1" })).toEqual([
      "databaseIndex: databaseIndex must be 0 or more",
    ]);
  });

  it("names the metric redis-<listName>, normalized and prefixed with the trigger index", () => {
    expect(prepare({ address: "redis:6379", listName: "jobs.high/queue" }).metricSpec?.metricName).toBe(
      "s0-redis-jobs-high-queue",
    );
  });

  it("needs an address or a host", () => {
    expect(errors({ listName: "jobs" })).toEqual(["address: set address (host:port), or host and port"]);
  });

  it("takes address from authentication and host from the target's environment", () => {
    expect(prepare({ listName: "jobs" }, { address: "auth-redis:6380" }).params).toMatchObject({
      address: ["auth-redis:6380"],
    });
    const fromEnv = prepare(
      { listName: "jobs", hostFromEnv: "REDIS_HOST", port: "6379" },
      {},
      { REDIS_HOST: "env-redis" },
    );
    expect(fromEnv.problems).toEqual([]);
    expect(fromEnv.params).toMatchObject({ host: ["env-redis"], port: ["6379"] });
  });

  it("prefers a password in metadata over the environment over authentication, as KEDA does", () => {
    const both = prepare(
      { address: "redis:6379", listName: "jobs", passwordFromEnv: "REDIS_PASSWORD" },
      { password: "from-auth" },
      { REDIS_PASSWORD: "from-env" },
    );
    expect(both.params).toMatchObject({ password: "from-env" });
    expect(
      prepare({ address: "redis:6379", listName: "jobs" }, { password: "from-auth" }).params,
    ).toMatchObject({
      password: "from-auth",
    });
  });

  it("treats the password as a secret", () => {
    const prepared = prepare({ address: "redis:6379", listName: "jobs" }, { password: "s3cret-value" });
    expect(prepared.redact("NOAUTH s3cret-value rejected")).toBe("NOAUTH *** rejected");
  });

  it("rejects enableTLS together with tls, and accepts either alone", () => {
    expect(errors({ address: "redis:6379", listName: "jobs", enableTLS: "true" }, { tls: "enable" })).toEqual(
      ["enableTLS: set either enableTLS in metadata or tls in authentication, not both"],
    );
    expect(
      errors({ address: "redis:6379", listName: "jobs", enableTLS: "false" }, { tls: "enable" }),
    ).toHaveLength(1);
    expect(errors({ address: "redis:6379", listName: "jobs", enableTLS: "true" })).toEqual([]);
    expect(errors({ address: "redis:6379", listName: "jobs" }, { tls: "enable" })).toEqual([]);
  });

  it("rejects a malformed enableTLS and a client certificate without its key", () => {
    expect(errors({ address: "redis:6379", listName: "jobs", enableTLS: "yes" })).toEqual([
      'enableTLS: parameter "enableTLS" value "yes" must be true or false',
    ]);
    expect(errors({ address: "redis:6379", listName: "jobs" }, { tls: "enable", cert: "PEM" })).toEqual([
      "key: cert and key must be given together",
    ]);
  });
});

describe("redisEndpoint", () => {
  it("prefers address over host and port", () => {
    expect(redisEndpoint({ ...connection, address: ["a:6380"], host: ["b"], port: ["6379"] })).toEqual({
      host: "a",
      port: 6380,
    });
  });

  it("uses the first of several addresses", () => {
    expect(redisEndpoint({ ...connection, address: ["a:1", "b:2"] })).toEqual({ host: "a", port: 1 });
  });

  it("pairs host with port", () => {
    expect(redisEndpoint({ ...connection, host: ["h1", "h2"], port: ["7001", "7002"] })).toEqual({
      host: "h1",
      port: 7001,
    });
  });

  it("strips the brackets of an IPv6 address", () => {
    expect(redisEndpoint({ ...connection, address: ["[::1]:6379"] })).toEqual({ host: "::1", port: 6379 });
  });

  it("explains what is missing or malformed", () => {
    expect(redisEndpoint({ ...connection, host: ["h"] })).toMatchObject({
      key: "port",
      message: "port is required when host is set",
    });
    expect(redisEndpoint({ ...connection, host: ["a", "b"], port: ["1"] })).toMatchObject({
      message: "2 hosts but 1 ports: give one port per host",
    });
    expect(redisEndpoint({ ...connection, address: ["redis"] })).toMatchObject({
      message: 'address "redis" must be host:port',
    });
    expect(redisEndpoint({ ...connection, address: ["redis:http"] })).toMatchObject({
      message: 'port "http" must be a number from 1 to 65535',
    });
    expect(redisEndpoint({ ...connection, host: ["h"], port: ["70000"] })).toMatchObject({
      message: 'port "70000" must be a number from 1 to 65535',
    });
  });
});

describe("redis push (tidalPush)", () => {
  it("is off unless asked for, and a KEDA trigger without it has no push path", () => {
    expect(prepare({ address: "redis:6379", listName: "jobs" }).params).toMatchObject({ tidalPush: false });
    expect(prepare({ address: "redis:6379", listName: "jobs", tidalPush: "true" }).params).toMatchObject({
      tidalPush: true,
    });
  });

  it("adds only the keyspace flags that are missing, keeping the others", () => {
    expect(missingKeyspaceFlags("", "l")).toBe("Kl");
    expect(missingKeyspaceFlags("Ex", "l")).toBe("Kl");
    expect(missingKeyspaceFlags("Kl", "l")).toBe("");
    expect(missingKeyspaceFlags("KA", "z")).toBe("");
    expect(missingKeyspaceFlags("EA", "h")).toBe("K");
    expect(missingKeyspaceFlags("Kl", "s")).toBe("s");
  });
});
