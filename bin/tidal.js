#!/usr/bin/env node
// Entry point of the `tidal` command. Sources are TypeScript, run by Node's built-in type stripping.
import { main } from "../src/cli/main.ts";

// A closed pipe (`tidal simulate ... | head`) ends the command quietly.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv.slice(2));
