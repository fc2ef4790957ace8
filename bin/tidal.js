#!/usr/bin/env node
// Entry point of the `tidal` command. An installed package runs the JavaScript compiled into
// dist/; a checkout runs the TypeScript in src/ with Node's type stripping (no build step).
import { existsSync } from "node:fs";
import module from "node:module";

const checkout = existsSync(new URL("../src/cli/main.ts", import.meta.url));
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
const supported = checkout
  ? major > 22 || (major === 22 && minor >= 18)
  : (major === 22 && minor >= 22) || (major === 24 && minor >= 6) || major > 24;
if (!supported) {
  process.stderr.write(
    `tidal: needs Node ${checkout ? "22.18" : "22.22 or 24.6"} or newer, and this is Node ${process.versions.node}.\n` +
      (checkout
        ? "In a checkout, run it as `npx tidal ...`: npm puts the project's Node 24 first on PATH.\n"
        : "Install a current Node LTS (https://nodejs.org) and run tidal with it.\n"),
  );
  process.exit(1);
}
// V8's code cache for every module loaded from here on (and, in a checkout, the TypeScript already
// stripped): a later start skips most of the parsing and compiling, which is most of its CPU.
// Node keeps it in os.tmpdir()/node-compile-cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();
const source = (path) => new URL(checkout ? `../src/${path}.ts` : `../dist/${path}.js`, import.meta.url).href;

const { daemonRelaunchArgv } = await import(source("cli/daemon-heap"));
const relaunch = daemonRelaunchArgv(process.argv, process.execArgv, process.env.NODE_OPTIONS);
if (relaunch !== undefined && typeof process.execve === "function") {
  process.execve(process.execPath, relaunch, process.env);
}

// A closed pipe (`tidal simulate ... | head`) ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

const { main } = await import(source("cli/main"));
process.exitCode = await main(process.argv.slice(2));
