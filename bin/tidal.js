#!/usr/bin/env node
// Entry point of the `tidal` command. Sources are TypeScript, run by Node's built-in type stripping.
import { main } from "../src/cli/main.ts";

process.exitCode = await main(process.argv.slice(2));
