import { describe, expect, it } from "vitest";
import { eventually } from "../../test/support/isolation.ts";
import { stopWithNpmParent } from "./parent-watch.ts";

describe("stopWithNpmParent", () => {
  it("under npm, calls back once the parent process is gone", async () => {
    let parent = 100;
    let calls = 0;
    const stop = stopWithNpmParent(
      { npm_command: "exec" },
      () => (calls += 1),
      () => parent,
    );
    parent = 1;
    await eventually("the callback", () => calls === 1);
    stop();
  });

  it("watches nothing when npm did not start Tidal, or TIDAL_FOLLOW_NPM=0", async () => {
    let reads = 0;
    const parentPid = () => {
      reads += 1;
      return reads;
    };
    stopWithNpmParent({}, () => expect.unreachable(), parentPid)();
    stopWithNpmParent(
      { npm_lifecycle_event: "start", TIDAL_FOLLOW_NPM: "0" },
      () => expect.unreachable(),
      parentPid,
    )();
    expect(reads).toBe(0);
  });
});
