import { describe, expect, it } from "vitest";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";

function prepare(
  metadata: Record<string, string>,
  authParams: Record<string, string> = {},
  options: { resolvedEnv?: Record<string, string>; asMetricSource?: boolean } = {},
) {
  return prepareScalerTrigger("postgresql", metadata, { index: 2, authParams, ...options });
}

function errors(...args: Parameters<typeof prepare>) {
  return prepare(...args)
    .problems.filter((problem) => problem.severity === "error")
    .map((problem) => `${problem.key}: ${problem.message}`);
}

const separate = { host: "db", port: "5432", userName: "app", dbName: "jobs", sslmode: "disable" };
const query = { query: "SELECT count(*) FROM jobs", targetQueryValue: "10" };

describe("postgresql parameters", () => {
  it("names the metric postgresql and reads float targets", () => {
    const prepared = prepare({
      ...query,
      ...separate,
      targetQueryValue: "2.5",
      activationTargetQueryValue: "0.5",
    });
    expect(prepared.problems).toEqual([]);
    expect(prepared.metricSpec).toMatchObject({
      metricName: "s2-postgresql",
      target: 2.5,
      activationTarget: 0.5,
    });
  });

  it("defaults activationTargetQueryValue to 0", () => {
    expect(prepare({ ...query, ...separate }).metricSpec).toMatchObject({ activationTarget: 0 });
  });

  it("needs query, and targetQueryValue above 0 unless the trigger feeds a formula", () => {
    expect(errors({ ...separate, targetQueryValue: "1" })).toEqual([
      expect.stringMatching(/^query: missing required parameter "query"/),
    ]);
    expect(errors({ ...separate, query: "SELECT 1" })).toEqual([
      'targetQueryValue: missing required parameter "targetQueryValue"',
    ]);
    expect(errors({ ...separate, query: "SELECT 1", targetQueryValue: "0" })).toEqual([
      "targetQueryValue: targetQueryValue must be greater than 0",
    ]);
    expect(errors({ ...separate, query: "SELECT 1" }, {}, { asMetricSource: true })).toEqual([]);
  });

  it("needs every separate setting when there is no connection string", () => {
    expect(errors({ ...query, host: "db" })).toEqual([
      'port: missing required parameter "port" (or give a full connection string as "connection")',
      'userName: missing required parameter "userName" (or give a full connection string as "connection")',
      'dbName: missing required parameter "dbName" (or give a full connection string as "connection")',
      'sslmode: missing required parameter "sslmode" (or give a full connection string as "connection")',
    ]);
  });

  it("builds the connection from the separate settings under podIdentity azure-workload, as KEDA does", () => {
    const identity = { podIdentity: { provider: "azure-workload" as const } };
    // KEDA's TestPodIdentityAzureWorkloadPostgreSQLConnectionStringGeneration row (sslmode require:
    // its "required" is a documented difference).
    const row = {
      ...query,
      host: "localhost",
      port: "1234",
      dbName: "testDb",
      userName: "user",
      sslmode: "require",
    };
    expect(prepareScalerTrigger("postgresql", row, identity).problems).toEqual([]);
    // connection does not replace them: KEDA ignores it under this identity.
    expect(
      prepareScalerTrigger(
        "postgresql",
        { ...query, host: "db" },
        { authParams: { connection: "host=db" }, ...identity },
      ).problems.map((problem) => problem.key),
    ).toEqual(["port", "userName", "dbName", "sslmode"]);
  });

  it("reads the separate settings from authentication first, then metadata", () => {
    const prepared = prepare({ ...query, ...separate }, { host: "auth-db" });
    expect(prepared.params).toMatchObject({ host: "auth-db", userName: "app" });
  });

  it("takes the connection and the password only from authentication or the environment", () => {
    const fromEnv = prepare(
      { ...query, connectionFromEnv: "PG_CONN" },
      {},
      { resolvedEnv: { PG_CONN: "host=db user=u" } },
    );
    expect(fromEnv.problems).toEqual([]);
    const inMetadata = prepare({ ...query, ...separate, password: "s3cret" });
    expect(inMetadata.problems).toContainEqual(
      expect.objectContaining({ key: "password", severity: "warning" }),
    );
    expect(inMetadata.params).not.toHaveProperty("password");
  });

  it("treats connection and password as secrets", () => {
    const prepared = prepare(query, { connection: "postgresql://u:pw-in-url@db/jobs" });
    expect(prepared.redact("failed for postgresql://u:pw-in-url@db/jobs")).not.toContain("pw-in-url");
    expect(prepare({ ...query, ...separate }, { password: "s3cret" }).redact("bad s3cret")).toBe("bad ***");
  });

  it("reports a malformed connection without repeating it", () => {
    const problems = errors(query, { connection: "host=db password=hunter2 sslmode=sometimes" });
    expect(problems).toEqual([
      "connection: the connection string is invalid: sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full",
    ]);
    expect(errors(query, { connection: "postgresql://u:hunter2@db:port/x" })).toEqual([
      "connection: the connection string is invalid: not a valid postgresql:// URL",
    ]);
  });

  it("rejects a malformed separate port", () => {
    expect(errors({ ...query, ...separate, port: "fivefour" })).toEqual([
      "host: port must be a number from 1 to 65535",
    ]);
  });
});

describe("postgresql push (tidalPush)", () => {
  it("needs the channel the producer notifies", () => {
    expect(errors({ ...query, ...separate, tidalPush: "true" })).toEqual([
      "tidalPushChannel: tidalPush needs tidalPushChannel: the channel your producer notifies",
    ]);
    expect(errors({ ...query, ...separate, tidalPush: "true", tidalPushChannel: "jobs" })).toEqual([]);
  });

  it("warns about a channel without tidalPush, and leaves KEDA's triggers as they were", () => {
    const prepared = prepare({ ...query, ...separate, tidalPushChannel: "jobs" });
    expect(prepared.problems).toEqual([
      {
        key: "tidalPushChannel",
        message: 'tidalPushChannel is used only with tidalPush: "true"',
        severity: "warning",
      },
    ]);
    expect(prepare({ ...query, ...separate }).params).toMatchObject({ tidalPush: false });
  });
});
