import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { AdoptedGroup } from "./adopted-group.ts";
import type { ProcessExit } from "./process-exit.ts";
import {
  isProcessRunning,
  isSameGroupLeader,
  processIdentity,
  remainsOfGroup,
  uptimeTicks,
  type ProcessIdentity,
} from "./process-table.ts";
import { fixtureCommand, waitFor } from "./test-support.ts";

const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone
    }
  }
});

/**
 * A fixture started as the leader of its own process group, as an earlier Tidal would have, but
 * not watched by anything here: its output lines are collected, its exit is not.
 */
function startOrphanLike(script: string) {
  const [command = "", ...args] = fixtureCommand(script);
  const child = spawn(command, args, { detached: true, stdio: ["ignore", "pipe", "ignore"] });
  child.unref();
  const pid = child.pid as number;
  started.push(pid);
  const lines: string[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => lines.push(line));
  return { pid, identity: processIdentity(pid) as ProcessIdentity, lines };
}

describe("AdoptedGroup", () => {
  it("stops a group it did not start: SIGTERM, then SIGKILL after the grace period", async () => {
    const polite = startOrphanLike("idle.js");
    const stubborn = startOrphanLike("ignore-sigterm.js");
    await waitFor("the stubborn one's handler", () => stubborn.lines.length > 0);
    expect(isSameGroupLeader(polite.identity)).toBe(true);
    const exits: ProcessExit[] = [];
    const groups = [polite, stubborn].map(
      ({ identity }) => new AdoptedGroup(identity, { onExit: (exit) => exits.push(exit) }),
    );
    expect(await Promise.all([groups[0]!.stop(10_000), groups[1]!.stop(200)])).toEqual([
      { killed: false },
      { killed: true },
    ]);
    expect([polite.pid, stubborn.pid].filter(isProcessRunning)).toEqual([]);
    expect(exits).toEqual([
      expect.objectContaining({ adopted: true, code: null, signal: null }),
      expect.objectContaining({ adopted: true, code: null, signal: null }),
    ]);
  });

  it("notices its leader's exit without being its parent, and kills what the leader left", async () => {
    const parent = startOrphanLike("spawn-grandchild.js");
    const line = await waitFor("the grandchild", () =>
      parent.lines.find((text) => text.startsWith("grandchild")),
    );
    const grandchild = Number(line.split(" ")[1]);
    const exits: ProcessExit[] = [];
    const group = new AdoptedGroup(parent.identity, { onExit: (exit) => exits.push(exit) }, { pollMs: 20 });
    process.kill(parent.pid, "SIGKILL"); // the leader only: the grandchild stays in the group
    await group.gone;
    expect(exits).toHaveLength(1);
    expect(isProcessRunning(grandchild)).toBe(false);
  });

  it("never signals a pid that names another process now (a recycled pid)", async () => {
    const bystander = startOrphanLike("idle.js");
    // The record of an earlier process with this pid: the same pid, started at another time.
    const recycled = { ...bystander.identity, startTicks: bystander.identity.startTicks - 1 };
    expect(isSameGroupLeader(recycled)).toBe(false);
    expect(remainsOfGroup(recycled, uptimeTicks() as number)).toEqual([]);
    const exits: ProcessExit[] = [];
    const group = new AdoptedGroup(recycled, { onExit: (exit) => exits.push(exit) });
    expect(await group.stop(0)).toEqual({ killed: false });
    await group.gone;
    expect(exits).toHaveLength(1); // the recorded process is gone…
    expect(isProcessRunning(bystander.pid)).toBe(true); // …and the process with its pid untouched
    const otherBoot = { ...bystander.identity, bootId: "another-boot" };
    expect(isSameGroupLeader(otherBoot)).toBe(false);
    await new AdoptedGroup(otherBoot, { onExit: () => {} }).stop(0);
    expect(isProcessRunning(bystander.pid)).toBe(true);
  });
});
