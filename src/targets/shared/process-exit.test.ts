import { describe, expect, it } from "vitest";
import { backOffMessage, describeExit, formatSeconds } from "./process-exit.ts";

describe("exit descriptions", () => {
  it.each([
    [40, "0.04 s"],
    [100, "0.1 s"],
    [1_500, "1.5 s"],
    [4_000, "4 s"],
    [360_000, "360 s"],
  ])("formats %j ms as %j", (ms, text) => {
    expect(formatSeconds(ms)).toBe(text);
  });

  it("says how a process ended", () => {
    const at = new Date();
    expect(describeExit({ code: 1, signal: null, at, ranForMs: 100 })).toBe("exited with code 1 after 0.1 s");
    expect(describeExit({ code: null, signal: "SIGKILL", at, ranForMs: 3_000 })).toBe(
      "killed by SIGKILL after 3 s",
    );
    expect(describeExit({ code: null, signal: null, error: "command not found: foo", at })).toBe(
      "command not found: foo",
    );
    expect(backOffMessage("worker 2", { code: 1, signal: null, at, ranForMs: 100 }, 4_000)).toBe(
      "Back-off restarting failed worker 2: exited with code 1 after 0.1 s; next start in 4 s",
    );
  });
});
