#!/usr/bin/env node
// Entry point of the `tidal` command. Sources are TypeScript, run by Node's built-in type stripping,
// which needs Node 22.18 or newer: say so plainly rather than fail on the first `.ts` import.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `tidal: needs Node 22.18 or newer, and this is Node ${process.versions.node}.\n` +
      "In a checkout, run it as `npx tidal ...`: npm puts the project's Node 24 first on PATH.\n",
  );
  process.exit(1);
}

const { daemonRelaunchArgv } = await import("../src/cli/daemon-heap.ts");
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
