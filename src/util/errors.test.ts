import { describe, expect, it } from "vitest";
import { TidalError, UsageError, messageOf } from "./errors.ts";

describe("errors", () => {
  it("TidalError carries a code and exit code 1 by default; UsageError exit code 2", () => {
    const finding = new TidalError("TIDAL_E_X", "bad");
    expect([finding.code, finding.exitCode, finding.message]).toEqual(["TIDAL_E_X", 1, "bad"]);
    expect(new UsageError("wrong flag").exitCode).toBe(2);
    expect(new TidalError("TIDAL_E_Y", "m", { exitCode: 3 }).exitCode).toBe(3);
  });

  it("messageOf gives the message without a stack, joining AggregateErrors", () => {
    expect(messageOf(new Error("one"))).toBe("one");
    expect(messageOf(new AggregateError([new Error("a"), new Error("b")], "outer"))).toBe("a; b");
    expect(messageOf("plain")).toBe("plain");
    expect(messageOf(new TypeError(""))).toBe("TypeError");
    expect(messageOf(new Error("x"))).not.toContain(" at ");
  });
});
