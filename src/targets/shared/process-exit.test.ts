import { describe, expect, it } from "vitest";
import { backOffMessage, describeExit, formatSeconds, stderrTail, tellingLine } from "./process-exit.ts";

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

describe("a failed process's stderr", () => {
  /** What Node prints when an import cannot be resolved. */
  const nodeCrash = [
    "node:internal/modules/package_json_reader:314",
    "  throw new ERR_MODULE_NOT_FOUND(packageName, fileURLToPath(base), null);",
    "        ^",
    "",
    "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'left-pad' imported from /app/worker.js",
    "    at Object.getPackageJSONURL (node:internal/modules/package_json_reader:314:9)",
    "    at packageResolve (node:internal/modules/esm/resolve:767:81) {",
    "  code: 'ERR_MODULE_NOT_FOUND'",
    "}",
    "",
    "Node.js v24.21.0",
  ];

  it("names the line that says why", () => {
    expect(tellingLine(nodeCrash)).toBe(
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'left-pad' imported from /app/worker.js",
    );
    expect(tellingLine(["starting", "Traceback (most recent call last):", "KeyError: 'QUEUE'"])).toBe(
      "KeyError: 'QUEUE'",
    );
    expect(tellingLine(["listening", "shutting down"])).toBe("shutting down");
    expect(tellingLine(["", "   "])).toBeUndefined();
    expect(tellingLine([`error ${"x".repeat(400)}`])).toHaveLength(300);
  });

  it("keeps the last lines worth showing, without stack frames or blank lines", () => {
    expect(stderrTail(nodeCrash, 3)).toEqual([
      "Error [ERR_MODULE_NOT_FOUND]: Cannot find package 'left-pad' imported from /app/worker.js",
      "  code: 'ERR_MODULE_NOT_FOUND'",
      "}",
    ]);
  });
});
