import { describe, expect, it } from "vitest";
import { daemonRelaunchArgv } from "./daemon-heap.ts";

const node = "/usr/bin/node";
const script = "/opt/tidal/bin/tidal.js";

describe("daemonRelaunchArgv", () => {
  it("relaunches tidal run and tidal operator with a bounded young generation", () => {
    expect(daemonRelaunchArgv([node, script, "run", "-f", "app.yaml"], [], undefined)).toEqual([
      node,
      "--max-semi-space-size=16",
      script,
      "run",
      "-f",
      "app.yaml",
    ]);
    expect(daemonRelaunchArgv([node, script, "operator"], ["--inspect"], "")).toEqual([
      node,
      "--max-semi-space-size=16",
      "--inspect",
      script,
      "operator",
    ]);
  });

  it("leaves short commands alone", () => {
    expect(daemonRelaunchArgv([node, script, "validate", "run"], [], undefined)).toBeUndefined();
    expect(daemonRelaunchArgv([node, script], [], undefined)).toBeUndefined();
  });

  it("keeps a semi-space size the user chose", () => {
    expect(
      daemonRelaunchArgv([node, script, "run"], ["--max-semi-space-size=64"], undefined),
    ).toBeUndefined();
    expect(
      daemonRelaunchArgv([node, script, "run"], [], "--enable-source-maps --max-semi-space-size 8"),
    ).toBeUndefined();
  });
});
