import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const run = (script: string, ...args: string[]) =>
  spawnSync(`scripts/${script}`, args, { cwd: root, encoding: "utf8" });

describe.each(["services.sh", "kube.sh", "kube-build.sh", "keda-build.sh", "keda-vectors.sh"])(
  "scripts/%s",
  (script) => {
    it("prints usage for --help and -h and exits 0", () => {
      for (const flag of ["--help", "-h"]) {
        const result = run(script, flag);
        expect(result.status).toBe(0);
        expect(result.stdout).toMatch(/^Usage: scripts\//m);
      }
    });

    it("rejects an unknown subcommand with usage on stderr and exit 2", () => {
      const result = run(script, "bogus");
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/Usage: scripts\//);
    });
  },
);

describe("scripts/services/*.sh", () => {
  it("name their step functions as services.sh looks them up: dashes become underscores", () => {
    const dir = join(root, "scripts/services");
    const dashed = readdirSync(dir)
      .filter((file) => file.endsWith(".sh"))
      .flatMap((file) =>
        [...readFileSync(join(dir, file), "utf8").matchAll(/^([a-z_]+-[a-z-]+)\(\)/gm)].map(
          (match) => `${file}: ${match[1]}`,
        ),
      );
    expect(dashed).toEqual([]);
  });
});
