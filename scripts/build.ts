/**
 * Builds what the npm package ships: src/ compiled to JavaScript in dist/ (Node does not strip
 * types under node_modules), plus the runtime files that are not TypeScript. Runs at `npm pack`
 * (prepack); in a checkout Tidal runs from src/ and needs no build.
 */
import { spawnSync } from "node:child_process";
import { cpSync, readdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const dist = join(root, "dist");
/** Files of src/ read at run time besides the compiled modules: gRPC protos, the dashboard's page. */
const RUNTIME_ASSETS = /\.proto$|\/runtime\/status\/page\/[^/]+\.(?:html|js|css|svg)$/;

function files(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? files(path) : [path];
  });
}

rmSync(dist, { recursive: true, force: true });
process.stdout.write("compiling src/ to dist/ ...\n");
const tsc = spawnSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
  {
    cwd: root,
    stdio: "inherit",
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
for (const file of files(join(root, "src")).filter((path) => RUNTIME_ASSETS.test(path))) {
  cpSync(file, join(dist, relative(join(root, "src"), file)));
}
process.stdout.write(`built dist/ (${files(dist).length} files)\n`);
