import { describe, expect, it } from "vitest";
import { parseConnection, parseKeywordValue, parseUrl } from "./connection-string.ts";

describe("parseKeywordValue", () => {
  it("reads libpq keyword=value pairs, spaces around = allowed", () => {
    expect(parseKeywordValue("host=db.example port = 5433 user=app dbname=jobs sslmode=require")).toEqual({
      host: "db.example",
      port: "5433",
      user: "app",
      dbname: "jobs",
      sslmode: "require",
    });
  });

  it("reads quoted values with escaped quotes and backslashes, and empty values", () => {
    expect(parseKeywordValue(String.raw`password='a b\'c\\d' options='' user=x\ y`)).toEqual({
      password: String.raw`a b'c\d`,
      options: "",
      user: "x y",
    });
  });

  it("reads the string KEDA builds from separate parameters", () => {
    expect(
      parseKeywordValue("host=h port=5432 user=u dbname=d sslmode=disable password='p w'"),
    ).toMatchObject({ password: "p w" });
  });

  it("rejects malformed text without repeating it", () => {
    expect(() => parseKeywordValue("host=h secret")).toThrow("expected keyword=value at character 8");
    expect(() => parseKeywordValue("password='unterminated")).toThrow(
      'unterminated quoted value of "password"',
    );
    expect(() => parseKeywordValue("=x")).toThrow("expected keyword=value at character 1");
  });
});

describe("parseUrl", () => {
  it("reads a postgresql:// URL into libpq keywords, decoding credentials", () => {
    expect(
      parseUrl("postgresql://app:p%40ss%2Fw@db.example:5433/jobs?sslmode=verify-full&application_name=tidal"),
    ).toEqual({
      host: "db.example",
      port: "5433",
      user: "app",
      password: "p@ss/w",
      dbname: "jobs",
      sslmode: "verify-full",
      application_name: "tidal",
    });
  });

  it("reads IPv6 hosts and leaves out what is absent", () => {
    expect(parseUrl("postgres://[::1]/")).toEqual({ host: "::1" });
  });

  it("rejects what is not a URL without repeating it", () => {
    expect(() => parseUrl("postgresql://u:secret@h:notaport/d")).toThrow(/^not a valid postgresql:\/\/ URL$/);
  });
});

describe("parseConnection", () => {
  it("tells the two syntaxes apart by the scheme", () => {
    expect(parseConnection(" postgresql://u@h/d ")).toMatchObject({ user: "u", dbname: "d" });
    expect(parseConnection("host=h user=u")).toEqual({ host: "h", user: "u" });
  });
});
