import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * A second checkout holding copies of some of this repository's scripts (files or folders): its own state folder,
 * nothing running, the same fixed ports. `run` runs one of its scripts; `remove` deletes it.
 */
export function otherCheckout(scripts: string[]): {
  root: string;
  run: (script: string, args: string[]) => { status: number | null; stdout: string; stderr: string };
  remove: () => void;
} {
  const root = mkdtempSync(join(tmpdir(), "tidal-other-checkout-"));
  mkdirSync(join(root, "scripts"));
  for (const script of scripts) {
    cpSync(
      fileURLToPath(new URL(`../../scripts/${script}`, import.meta.url)),
      join(root, "scripts", script),
      {
        recursive: true,
      },
    );
  }
  return {
    root,
    run: (script, args) => {
      const result = spawnSync("bash", [join(root, "scripts", script), ...args], {
        encoding: "utf8",
        timeout: 120_000,
      });
      return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
