#!/usr/bin/env node
// Entry point of the `tidal` command. Sources are TypeScript, run by Node's built-in type stripping.
import { daemonRelaunchArgv } from "../src/cli/daemon-heap.ts";

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

const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
