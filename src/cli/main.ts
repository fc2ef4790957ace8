import { Command, CommanderError } from "commander";
import { TidalError, messageOf } from "../util/errors.ts";
import { packageVersion } from "../util/version.ts";
import { dashboardCommand } from "./dashboard.ts";
import { explainCommand } from "./explain.ts";
import { runCommand } from "./run.ts";
import { simulateCommand } from "./simulate.ts";
import { migrateCommand } from "./migrate.ts";
import { operatorCommand } from "./operator.ts";
import { probeCommand } from "./probe.ts";
import { validateCommand } from "./validate.ts";

export function buildProgram(): Command {
  const program = new Command("tidal")
    .description(
      "Event-driven autoscaling with KEDA's ScaledObject/ScaledJob YAML: standalone on one machine or as a Kubernetes operator.",
    )
    .version(packageVersion(), "-v, --version", "print the version and exit")
    .helpOption("-h, --help", "show help for a command")
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError(true)
    .exitOverride();
  program.addCommand(validateCommand());
  program.addCommand(migrateCommand());
  program.addCommand(probeCommand());
  program.addCommand(runCommand());
  program.addCommand(explainCommand());
  program.addCommand(dashboardCommand());
  program.addCommand(simulateCommand());
  program.addCommand(operatorCommand());
  program.addHelpText(
    "after",
    `
Exit codes: 0 success, 1 a finding (invalid input, failed check), 2 usage error.
Documentation: README.md and docs/ in the Tidal repository.`,
  );
  return program;
}

/** Runs the CLI and returns the process exit code. Never prints a stack trace unless TIDAL_DEBUG=1. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  for (const command of program.commands) command.exitOverride();
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    return exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
    if (error.code === "commander.executeSubCommandAsync") return error.exitCode;
    return 2;
  }
  if (error instanceof TidalError) {
    process.stderr.write(`tidal: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(`tidal: internal error: ${messageOf(error)}\n`);
  if (process.env.TIDAL_DEBUG === "1" && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  } else {
    process.stderr.write("tidal: set TIDAL_DEBUG=1 to see the stack trace, and report it as a bug\n");
  }
  return 70;
}
