import { describe, expect, it } from "vitest";
import {
  equalFold,
  goEscapePath,
  goHtmlEscape,
  joinHostPort,
  parseGoQuery,
  parseRequestUri,
} from "./go-url.ts";

describe("parseRequestUri (Go's url.ParseRequestURI)", () => {
  it("takes the host and the decoded path of an absolute URL, without the query", () => {
    expect(parseRequestUri("http://user@broker:8161/api/a%2Cb?x=1")).toEqual({
      host: "broker:8161",
      path: "/api/a,b",
      rawPath: "/api/a%2Cb",
    });
  });

  it("keeps the raw path only when it differs from Go's own escaping of the path", () => {
    expect(parseRequestUri("http://h/a:b,c=d").rawPath).toBe("");
    expect(parseRequestUri('http://h/a:broker="b"').rawPath).toBe('/a:broker="b"');
    expect(parseRequestUri("http://h/a:broker=%22b%22").rawPath).toBe("");
  });

  it("refuses what Go refuses: relative references, opaque URIs, bad escapes", () => {
    expect(() => parseRequestUri("testInvalidRestAPITemplate")).toThrow("invalid URI for request");
    expect(() => parseRequestUri("mailto:someone")).toThrow("invalid URI for request");
    expect(() => parseRequestUri("http://h/%zz")).toThrow('invalid URL escape "%zz"');
    expect(() => parseRequestUri("")).toThrow("empty url");
  });
});

describe("parseGoQuery (Go's url.ParseQuery)", () => {
  it("decodes keys and values, keeping every value of a repeated key", () => {
    expect(parseGoQuery("a=1&b=x+y&a=%41&c")).toEqual(
      new Map([
        ["a", ["1", "A"]],
        ["b", ["x y"]],
        ["c", [""]],
      ]),
    );
  });

  it("refuses a semicolon", () => {
    expect(() => parseGoQuery("a=1;b=2")).toThrow("invalid semicolon separator in query");
  });
});

describe("small Go helpers", () => {
  it("escapes a path as Go does", () => {
    expect(goEscapePath('/a b/"c"/é:$&+,;=@')).toBe("/a%20b/%22c%22/%C3%A9:$&+,;=@");
  });

  it("escapes values as html/template prints them in text", () => {
    expect(goHtmlEscape(`a&b<c>'d"+e`)).toBe("a&amp;b&lt;c&gt;&#39;d&#34;&#43;e");
  });

  it("joins host and port, bracketing IPv6 hosts", () => {
    expect(joinHostPort("localhost", "27017")).toBe("localhost:27017");
    expect(joinHostPort("::1", "27017")).toBe("[::1]:27017");
  });

  it("compares case-insensitively as strings.EqualFold", () => {
    expect(equalFold("UP", "up")).toBe(true);
    expect(equalFold("A", "b")).toBe(false);
  });
});
