import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { usableStateDir } from "./state-dir.ts";

describe("usableStateDir", () => {
  it("creates missing folders and returns the absolute path", async () => {
    const root = mkdtempSync(join(tmpdir(), "tidal-state-"));
    const path = await usableStateDir(join(root, "a", "b"));
    expect(path).toBe(join(root, "a", "b"));
    expect(statSync(path).isDirectory()).toBe(true);
  });

  it("refuses a file, and a folder that cannot exist, as usage errors naming --state-dir", async () => {
    const root = mkdtempSync(join(tmpdir(), "tidal-state-"));
    const file = join(root, "state.yaml");
    writeFileSync(file, "");
    await expect(usableStateDir(file)).rejects.toMatchObject({
      exitCode: 2,
      message: `--state-dir ${file}: cannot keep state there (ENOTDIR); pass --state-dir with a folder Tidal can write`,
    });
    await expect(usableStateDir("/proc/no-such-folder/state")).rejects.toMatchObject({ exitCode: 2 });
  });
});
