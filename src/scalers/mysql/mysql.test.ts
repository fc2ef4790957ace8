import { describe, expect, it } from "vitest";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { mySqlTarget } from "./mysql.ts";

function prepare(
  metadata: Record<string, string>,
  authParams: Record<string, string> = {},
  options: { resolvedEnv?: Record<string, string>; asMetricSource?: boolean } = {},
) {
  return prepareScalerTrigger("mysql", metadata, { authParams, ...options });
}

function errors(...args: Parameters<typeof prepare>) {
  return prepare(...args)
    .problems.filter((problem) => problem.severity === "error")
    .map((problem) => `${problem.key}: ${problem.message}`);
}

const query = { query: "SELECT COUNT(*) FROM jobs", queryValue: "4" };
const separate = { host: "db", port: "3306", dbName: "jobs", username: "app" };

describe("mysql parameters", () => {
  it("names the metric mysql-<dbName> and reads float targets", () => {
    const prepared = prepare(
      { ...query, ...separate, queryValue: "1.5", activationQueryValue: "0.5" },
      { password: "pw" },
    );
    expect(prepared.problems).toEqual([]);
    expect(prepared.metricSpec).toMatchObject({
      metricName: "s0-mysql-jobs",
      target: 1.5,
      activationTarget: 0.5,
    });
  });

  it("takes the database of the metric name from the connection string, up to the parameters", () => {
    const prepared = prepare(query, { connectionString: "app:pw@tcp(db:3306)/orders.eu?tls=preferred" });
    expect(prepared.metricSpec?.metricName).toBe("s0-mysql-orders-eu");
  });

  it("needs query, and queryValue above 0 unless the trigger feeds a formula", () => {
    expect(errors({ ...separate, queryValue: "1" })).toEqual([
      expect.stringMatching(/^query: missing required parameter "query"/),
    ]);
    expect(errors({ ...separate, query: "SELECT 1" })).toEqual([
      'queryValue: missing required parameter "queryValue"',
    ]);
    expect(errors({ ...separate, query: "SELECT 1", queryValue: "-1" })).toEqual([
      "queryValue: queryValue must be greater than 0",
    ]);
    expect(errors({ ...separate, query: "SELECT 1" }, {}, { asMetricSource: true })).toEqual([]);
  });

  it("checks host and port each on its own: no port in the host, nothing but digits in the port", () => {
    expect(errors({ ...query, ...separate, port: "evil:3306" })).toEqual([
      "port: port must be a number from 1 to 65535",
    ]);
    expect(errors({ ...query, ...separate, host: "h:1" })).toEqual([
      "host: host must be a host name or an IP address, without a port (give the port as port)",
    ]);
    expect(errors({ ...query, ...separate, host: "a@b" })).toEqual([
      "host: host must be a host name or an IP address, without a port (give the port as port)",
    ]);
    expect(errors({ ...query, ...separate, host: "::1" })).toEqual([]);
    expect(errors({ ...query, ...separate, host: "[fd00::1]", port: "3307" })).toEqual([]);
    expect(prepare({ ...query, ...separate, host: "[fd00::1]", port: "3307" }).params).toMatchObject({
      host: "[fd00::1]",
    });
  });

  it("needs a host or a connection string", () => {
    expect(errors(query)).toEqual([
      "host: set host (with port, dbName, username, password), or a connectionString",
    ]);
  });

  it("reads credentials from the sources KEDA allows", () => {
    const prepared = prepare(
      { ...query, host: "db", usernameFromEnv: "DB_USER", passwordFromEnv: "DB_PASSWORD" },
      {},
      { resolvedEnv: { DB_USER: "env-user", DB_PASSWORD: "env-pw" } },
    );
    expect(prepared.params).toMatchObject({ username: "env-user", password: "env-pw" });
    expect(prepare({ ...query, host: "db", password: "in-metadata" }).problems).toContainEqual(
      expect.objectContaining({ key: "password", severity: "warning" }),
    );
    expect(
      prepare({ ...query, connectionStringFromEnv: "DSN" }, {}, { resolvedEnv: { DSN: "u:p@tcp(db)/d" } })
        .problems,
    ).toEqual([]);
  });

  it("reports a malformed connection string without repeating it", () => {
    const problems = errors(query, { connectionString: "app:hunter2@tcp(db:3306)/jobs?tls=custom" });
    expect(problems).toEqual([
      "connectionString: connectionString is not a valid DSN (user:password@tcp(host:port)/dbname): tls must be true, false, skip-verify or preferred",
    ]);
    expect(errors(query, { connectionString: "hunter2" })).toEqual([
      'connectionString: connectionString is not a valid DSN (user:password@tcp(host:port)/dbname): missing the "/" before the database name',
    ]);
  });
});

describe("mySqlTarget", () => {
  it("builds the server from separate parameters, port 3306 by default", () => {
    expect(mySqlTarget({ host: "db", dbName: "jobs", username: "u", password: "p" })).toEqual({
      server: { host: "db", port: 3306 },
      user: "u",
      password: "p",
      database: "jobs",
      tls: "false",
    });
  });

  it("uses the connection string instead of the separate parameters", () => {
    expect(
      mySqlTarget({ host: "ignored", connectionString: "u:p@unix(/run/my.sock)/jobs?tls=true" }),
    ).toEqual({
      server: { socketPath: "/run/my.sock" },
      user: "u",
      password: "p",
      database: "jobs",
      tls: "true",
    });
  });
});
