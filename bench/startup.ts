/**
 * Section 8, CLI start: how long `tidal --version`, `tidal --help` and `tidal validate` on one
 * file take, from process start to exit, beside `node -e 0` (Node's own start). Each command runs
 * sequentially, several times; the figures are medians. Run from the checkout (bin/tidal.js runs
 * the TypeScript in src/ with type stripping), as `npx tidal` does in development.
 */
import { spawnSync } from "node:child_process";
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

export async function startupSection(options: {
  root: string;
  quick: boolean;
}): Promise<Omit<SectionResult, "seconds">> {
  const runs = options.quick ? 5 : 15;
  const file = join(options.root, "examples", "quickstart", "tidal.yaml");
  const commands: [string, string, string[], number | undefined][] = [
    ["node", "node -e 0", ["-e", "0"], undefined],
    ["version", "tidal --version", ["bin/tidal.js", "--version"], 150],
    ["help", "tidal --help", ["bin/tidal.js", "--help"], 150],
    ["validate", "tidal validate -f (one file)", ["bin/tidal.js", "validate", "-f", file], 400],
  ];
  const details: Record<string, unknown> = { runs };
  const figures = [];
  let node = 0;
  for (const [id, label, args, target] of commands) {
    const times = timeRuns(options.root, args, runs);
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
    ],
  };
}
