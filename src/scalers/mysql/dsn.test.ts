import { describe, expect, it } from "vitest";
import { parseMySqlDsn, splitAddress } from "./dsn.ts";

describe("parseMySqlDsn", () => {
  it("reads user, password, address, database and parameters", () => {
    expect(parseMySqlDsn("app:s3cret@tcp(db.example:3307)/jobs?tls=skip-verify&timeout=5s")).toEqual({
      user: "app",
      password: "s3cret",
      network: "tcp",
      address: "db.example:3307",
      database: "jobs",
      params: { tls: "skip-verify", timeout: "5s" },
    });
  });

  it("splits credentials like the Go driver: last @ before the database, first colon", () => {
    expect(parseMySqlDsn("app:p@ss:w/rd@tcp(db)/jobs")).toMatchObject({
      user: "app",
      password: "p@ss:w/rd",
      database: "jobs",
    });
    expect(parseMySqlDsn("app@tcp(db)/jobs")).toMatchObject({ user: "app", password: "" });
  });

  it("fills in the Go driver's defaults", () => {
    expect(parseMySqlDsn("/jobs")).toMatchObject({
      user: "",
      network: "tcp",
      address: "127.0.0.1:3306",
      database: "jobs",
    });
    expect(parseMySqlDsn("u:p@tcp(db)/")).toMatchObject({ address: "db:3306", database: "" });
    expect(parseMySqlDsn("u:p@tcp(::1)/d")).toMatchObject({ address: "[::1]:3306" });
    expect(parseMySqlDsn("u:p@tcp([::1]:3307)/d")).toMatchObject({ address: "[::1]:3307" });
    expect(parseMySqlDsn("u:p@unix(/run/mysqld/mysqld.sock)/d")).toMatchObject({
      network: "unix",
      address: "/run/mysqld/mysqld.sock",
    });
  });

  it("unescapes the database name and parameter values", () => {
    expect(parseMySqlDsn("u@tcp(h:1)/my%20db?loc=Europe%2FParis&x=a+b")).toMatchObject({
      database: "my db",
      params: { loc: "Europe/Paris", x: "a b" },
    });
  });

  it("explains malformed DSNs without repeating them", () => {
    const cases: [string, string][] = [
      ["app:hunter2@tcp(db:3306)", 'missing the "/" before the database name'],
      ["app:hunter2@tcp(db:3306/jobs", 'the address in parentheses has no closing ")"'],
      ["app:hunter2@udp(db:3306)/jobs", 'network "udp" is not supported; use tcp or unix'],
      ["app:hunter2@tcp(db:3306)/jobs?tls", "a parameter is not key=value"],
      ["app:hunter2@tcp(db:3306)/j%zz", "the database name has a malformed %-escape"],
    ];
    for (const [dsn, message] of cases) {
      expect(() => parseMySqlDsn(dsn)).toThrow(message);
      expect(() => parseMySqlDsn(dsn)).not.toThrow(/hunter2/);
    }
  });
});

describe("splitAddress", () => {
  it("splits host and port, IPv6 included", () => {
    expect(splitAddress("db:3307")).toEqual({ host: "db", port: 3307 });
    expect(splitAddress("[::1]:3306")).toEqual({ host: "::1", port: 3306 });
  });

  it("rejects a port that is not a number", () => {
    expect(() => splitAddress("db:mysql")).toThrow("port must be a number from 1 to 65535");
    expect(() => splitAddress("db:")).toThrow("port must be a number from 1 to 65535");
  });
});
