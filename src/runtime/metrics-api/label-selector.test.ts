import { describe, expect, it } from "vitest";
import { LabelSelectorError, parseLabelSelector } from "./label-selector.ts";

describe("parseLabelSelector", () => {
  it.each([
    ["", {}],
    ["scaledobject.keda.sh/name=foo", { "scaledobject.keda.sh/name": "foo" }],
    ["a=b,c==d", { a: "b", c: "d" }],
    [" a = b , c == d ", { a: "b", c: "d" }],
    ["app in (web)", { app: "web" }],
    ["app in (web, web),tier=x", { app: "web", tier: "x" }],
    ["a=", { a: "" }],
    ["a=b,a=b", { a: "b" }],
    ["example.com/My_Key-1=Val.ue_2", { "example.com/My_Key-1": "Val.ue_2" }],
  ])("parses %j", (text, expected) => {
    expect(parseLabelSelector(text)).toEqual(expected);
  });

  it.each([
    ["a!=b", /unsupported requirement "a!=b"/],
    ["a notin (b)", /unsupported requirement "a notin \(b\)"/],
    ["a in (b,c)", /unsupported requirement "a in \(b,c\)"/],
    ["a", /unsupported requirement "a"/],
    ["!a", /unsupported requirement "!a"/],
    ["a>1", /unsupported requirement "a>1"/],
    ["a=b,a=c", /both "b" and "c"/],
    ["a=b c", /expected ","/],
    ["a=b,", /trailing ","/],
    ["a in (b", /missing "\)"/],
    ["a in b", /expected "\("/],
    ["=b", /expected a label key/],
    ["-a=b", /invalid label key/],
    ["Bad_Prefix/a=b", /prefix must be a DNS subdomain/],
    [`a=${"x".repeat(64)}`, /invalid value/],
    ["a=b-", /invalid value/],
  ])("rejects %j", (text, message) => {
    expect(() => parseLabelSelector(text)).toThrow(LabelSelectorError);
    expect(() => parseLabelSelector(text)).toThrow(message);
  });

  it("returns frozen, cached maps", () => {
    const first = parseLabelSelector("x=y");
    expect(Object.isFrozen(first)).toBe(true);
    expect(parseLabelSelector("x=y")).toBe(first);
  });
});
