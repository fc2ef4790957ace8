import { describe, expect, it } from "vitest";
import { postgresTarget, sslOptions } from "./target.ts";

describe("postgresTarget", () => {
  it("maps libpq settings to node-postgres options", () => {
    const target = postgresTarget({
      host: "db",
      port: "5433",
      user: "u",
      password: "p",
      dbname: "jobs",
      sslmode: "disable",
    });
    expect(target).toEqual({
      config: { host: "db", port: 5433, user: "u", password: "p", database: "jobs" },
      tls: { mode: "disable", files: {} },
      endpoint: "db:5433",
    });
  });

  it("defaults like libpq: localhost, port 5432, sslmode prefer", () => {
    expect(postgresTarget({})).toMatchObject({
      config: { host: "localhost", port: 5432 },
      tls: { mode: "prefer" },
    });
  });

  it("sends server settings as run-time parameters and drops client-only ones", () => {
    const target = postgresTarget({
      host: "db",
      options: "-c statement_timeout=0",
      search_path: "jobs, public",
      connect_timeout: "10",
      pool_max_conns: "4",
      target_session_attrs: "read-write",
    });
    expect(target.config.options).toBe(String.raw`-c statement_timeout=0 -c search_path=jobs,\ public`);
  });

  it("names certificate files for later and rejects what node-postgres cannot do", () => {
    expect(postgresTarget({ sslmode: "verify-ca", sslrootcert: "/ca.pem", sslpassword: "k" }).tls).toEqual({
      mode: "verify-ca",
      files: { ca: "/ca.pem" },
      passphrase: "k",
    });
    expect(() => postgresTarget({ sslmode: "sometimes" })).toThrow(
      "sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full",
    );
    expect(() => postgresTarget({ port: "x" })).toThrow("port must be a number from 1 to 65535");
    expect(() => postgresTarget({ host: "a,b" })).toThrow("several hosts are not supported; give one host");
  });
});

describe("sslOptions", () => {
  const read = (path: string) => `PEM of ${path}`;
  it("follows sslmode", () => {
    expect(sslOptions({ mode: "disable", files: {} }, read)).toBe(false);
    expect(sslOptions({ mode: "prefer", files: {} }, read)).toEqual({ rejectUnauthorized: false });
    expect(sslOptions({ mode: "require", files: {} }, read)).toEqual({ rejectUnauthorized: false });
    expect(sslOptions({ mode: "verify-full", files: { ca: "/ca" } }, read)).toEqual({
      ca: "PEM of /ca",
      rejectUnauthorized: true,
    });
  });

  it("checks the chain but not the host name for verify-ca, and for require with a root certificate", () => {
    for (const mode of ["verify-ca", "require"] as const) {
      const options = sslOptions(
        { mode, files: { ca: "/ca", cert: "/c", key: "/k" }, passphrase: "pw" },
        read,
      );
      expect(options).toMatchObject({
        ca: "PEM of /ca",
        cert: "PEM of /c",
        key: "PEM of /k",
        passphrase: "pw",
        rejectUnauthorized: true,
      });
      expect(options && options.checkServerIdentity?.("other-host", {} as never)).toBeUndefined();
    }
  });

  it("says which file it cannot read", () => {
    expect(() => sslOptions({ mode: "verify-full", files: { ca: "/nonexistent/ca.pem" } })).toThrow(
      /^cannot read TLS file: ENOENT/,
    );
  });
});
