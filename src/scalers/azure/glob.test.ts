import { describe, expect, it } from "vitest";
import { compileGlob } from "./glob.ts";

function matches(pattern: string, name: string): boolean {
  const compiled = compileGlob(pattern);
  if (!(compiled instanceof RegExp)) throw new Error(compiled.error);
  return compiled.test(name);
}

describe("compileGlob (gobwas/glob without separators)", () => {
  it.each([
    ["*.json", "a/b/c.json", true],
    ["*.json", "c.json.bak", false],
    ["foo**", "foo/bar/baz", true],
    ["file-?.csv", "file-1.csv", true],
    ["file-?.csv", "file-10.csv", false],
    ["[a-c]*", "banana", true],
    ["[!a-c]*", "banana", false],
    ["{in,out}/*.txt", "out/x.txt", true],
    ["{in,out}/*.txt", "err/x.txt", false],
    ["data.\\*", "data.*", true],
    ["data.\\*", "data.x", false],
    ["a+b(c).json", "a+b(c).json", true],
  ])("%s against %s → %s", (pattern, name, expected) => {
    expect(matches(pattern, name)).toBe(expected);
  });

  it.each(["[\\]", "[abc", "{a,b", "x\\", "[]", "[z-a]"])("rejects %s", (pattern) => {
    expect(compileGlob(pattern)).toHaveProperty("error");
  });
});
