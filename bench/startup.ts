/**
 * Section 8, CLI start: how long `tidal --version`, `tidal --help` and `tidal validate` on one
 * file take, from process start to exit, beside `node -e 0` (Node's own start). Each command runs
 * sequentially, several times; the figures are medians. Measured twice: as users run it, from the
 * package (`npm pack`, installed with `npm install -g --prefix` into a temporary folder: compiled
 * JavaScript), which the targets are for; and from the checkout (bin/tidal.js runs the TypeScript
 * in src/ with type stripping), as `npx tidal` does in development.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { figure, type SectionResult } from "./lib/report.ts";
import { distribution, median } from "./lib/stats.ts";

/** Milliseconds of each run of `args` under this Node. */
export function timeRuns(root: string, args: readonly string[], runs: number): number[] {
  const times: number[] = [];
  spawnSync(process.execPath, args, { cwd: root, stdio: "ignore" }); // warm the file cache
  for (let run = 0; run < runs; run += 1) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: root, stdio: "ignore" });
    const elapsed = performance.now() - started;
    if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${String(result.status)}`);
    times.push(elapsed);
  }
  return times;
}

function npm(args: readonly string[], cwd: string): void {
  const result = spawnSync("npm", args, { cwd, encoding: "utf8" });
  if (result.status !== 0)
    throw new Error(`npm ${args.join(" ")} failed: ${(result.stderr || result.stdout).trim().slice(-400)}`);
}

/** Packs the checkout and installs the tarball into `folder`; returns the installed bin script. */
function installPackage(root: string, folder: string): string {
  npm(["pack", "--pack-destination", folder, "--silent"], root);
  const tarball = readdirSync(folder).find((name) => name.endsWith(".tgz"));
  if (tarball === undefined) throw new Error(`npm pack wrote no tarball into ${folder}`);
  const prefix = join(folder, "prefix");
  npm(["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", join(folder, tarball)], folder);
  return join(prefix, "lib", "node_modules", "tidal-autoscaler", "bin", "tidal.js");
}

export async function startupSection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const runs = options.quick ? 5 : 15;
  const file = join(options.root, "examples", "quickstart", "tidal.yaml");
  const folder = mkdtempSync(join(tmpdir(), "tidal-bench-package-"));
  try {
    const installed = installPackage(options.root, folder);
    // The targets are for the installed command; the checkout's figures are shown beside them.
    const tidal = (bin: string, checkout: boolean): Command[] => {
      const id = checkout ? "-checkout" : "";
      const where = checkout ? " (checkout)" : "";
      const target = (ms: number) => (checkout ? undefined : ms);
      return [
        [`version${id}`, `tidal --version${where}`, [bin, "--version"], target(150)],
        [`help${id}`, `tidal --help${where}`, [bin, "--help"], target(150)],
        [`validate${id}`, `tidal validate -f (one file)${where}`, [bin, "validate", "-f", file], target(400)],
      ];
    };
    return measure(options.root, runs, [
      ["node", "node -e 0", ["-e", "0"], undefined],
      ...tidal(installed, false),
      ...tidal("bin/tidal.js", true),
    ]);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A figure's id, label, Node arguments and target (ms). */
type Command = [string, string, string[], number | undefined];

function measure(root: string, runs: number, commands: Command[]): Omit<SectionResult, "seconds"> {
  const details: Record<string, unknown> = { runs };
  const figures = [];
  let node = 0;
  for (const [id, label, args, target] of commands) {
    const times = timeRuns(root, args, runs);
    details[id] = distribution(times);
    const value = median(times);
    if (id === "node") node = value;
    figures.push(
      figure(
        `startup.${id}`,
        `${label} (median)`,
        value,
        "ms",
        target === undefined ? undefined : { comparison: "below", value: target },
        id === "node" ? undefined : `${Math.round(value - node)} ms above node -e 0`,
      ),
    );
  }
  return {
    id: "startup",
    title: "8. CLI start",
    figures,
    details,
    notes: [
      "Wall-clock from spawn to exit, sequential runs after one warm-up; targets are for an idle machine.",
      "tidal: the packed package installed with npm (compiled JavaScript), as users run it; (checkout): bin/tidal.js running src/ with type stripping.",
    ],
  };
}
