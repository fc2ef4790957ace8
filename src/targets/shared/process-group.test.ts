import { describe, expect, it } from "vitest";
import type { ProcessExit } from "./process-exit.ts";
import { type OutputStream, ProcessGroup } from "./process-group.ts";
import { isProcessRunning } from "./process-table.ts";
import { FIXTURES_DIR, fixtureCommand, waitFor } from "./test-support.ts";

function launch(argv: string[], cwd = FIXTURES_DIR) {
  const lines: [string, OutputStream][] = [];
  const exits: ProcessExit[] = [];
  let spawned = false;
  const group = new ProcessGroup(
    { argv, cwd, env: { GREETING: "hi" } },
    {
      onSpawn: () => (spawned = true),
      onExit: (exit) => exits.push(exit),
      onLine: (line, stream) => lines.push([line, stream]),
    },
  );
  return { group, lines, exits, spawned: () => spawned };
}

describe("ProcessGroup", () => {
  it("passes on output lines by stream and reports the exit", async () => {
    const { group, lines, exits, spawned } = launch(fixtureCommand("crash.js", "7"));
    expect(group.pid).toBeGreaterThan(0);
    await group.gone;
    await waitFor("the output", () => lines.length > 0);
    expect(lines).toEqual([["crashing", "stderr"]]);
    expect(spawned()).toBe(true);
    expect(exits).toEqual([{ code: 7, signal: null, at: expect.any(Date), ranForMs: expect.any(Number) }]);
  });

  it.each([
    [["tidal-no-such-command"], FIXTURES_DIR, "command not found: tidal-no-such-command"],
    [[process.execPath], "/tidal-no-such-dir", "working directory not found: /tidal-no-such-dir"],
    [["nul\u0000byte"], FIXTURES_DIR, expect.stringMatching(/^cannot start nul.byte: /)],
  ])("reports %j in %j as not started: %j", async (argv, cwd, error) => {
    const { group, exits, spawned } = launch(argv, cwd);
    await group.gone;
    expect(group.pid).toBeUndefined();
    expect(spawned()).toBe(false);
    expect(exits).toEqual([{ code: null, signal: null, error, at: expect.any(Date) }]);
  });

  it("ends with its leader: processes the leader left behind are killed", async () => {
    const { group, lines } = launch(fixtureCommand("spawn-grandchild.js"));
    const line = await waitFor(
      "the grandchild",
      () => lines.find(([text]) => text.startsWith("grandchild"))?.[0],
    );
    const grandchild = Number(line.split(" ")[1]);
    process.kill(group.pid!, "SIGTERM"); // the leader only; the grandchild would ignore SIGTERM anyway
    await group.gone;
    expect(isProcessRunning(grandchild)).toBe(false);
  });

  it("stops with SIGTERM, and reports whether it took a SIGKILL", async () => {
    const polite = launch(fixtureCommand("print-env.js"));
    const stubborn = launch(fixtureCommand("ignore-sigterm.js"));
    await waitFor("both to run", () => polite.lines.length > 0 && stubborn.lines.length > 0);
    expect(await Promise.all([polite.group.stop(5_000), stubborn.group.stop(200)])).toEqual([
      { killed: false },
      { killed: true },
    ]);
    expect(polite.exits[0]?.signal).toBe("SIGTERM");
    expect(stubborn.exits[0]?.signal).toBe("SIGKILL");
    expect(await stubborn.group.stop(200)).toEqual({ killed: true });
  });
});
