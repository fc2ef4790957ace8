import { Command, CommanderError } from "commander";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";
import { packageVersion } from "../util/version.ts";
import { COMMANDS } from "./commands.ts";

/**
 * The `tidal` program: every command listed by name and summary, and `loaded` (the one about to
 * run, or whose help is asked for) complete.
 */
function buildProgram(loaded?: Command): Command {
  const program = new Command("tidal")
    .description(
      "Event-driven autoscaling with KEDA's ScaledObject/ScaledJob YAML: standalone on one machine or as a Kubernetes operator.",
    )
    .version(packageVersion(), "-v, --version", "print the version and exit")
    .helpOption("-h, --help", "show help for a command")
    .showHelpAfterError("(run with --help for usage)")
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const entry of COMMANDS) {
    if (entry.name === loaded?.name()) program.addCommand(loaded);
    else program.command(entry.name).description(entry.summary);
  }
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
  try {
    const program = buildProgram(await commandFor(argv));
    for (const command of program.commands) command.exitOverride();
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

/** The command `argv` names (`tidal NAME …` or `tidal help NAME`), loaded; undefined for none. */
async function commandFor(argv: readonly string[]): Promise<Command | undefined> {
  const name = argv[0] === "help" ? argv[1] : argv[0];
  const entry = COMMANDS.find((candidate) => candidate.name === name);
  if (argv[0] === "help" && name !== undefined && entry === undefined) {
    throw new UsageError(
      `help: unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(", ")}`,
    );
  }
  return entry?.load();
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
