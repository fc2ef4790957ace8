import { Command, type Option } from "commander";
import { UsageError } from "../util/errors.ts";
import { COMMANDS } from "./commands.ts";

/** What a completion script needs to know of one command. */
export interface CompletionCommand {
  name: string;
  summary: string;
  /** Words completed as the first argument (e.g. the shells of `completion`). */
  words?: string[];
  options: CompletionOption[];
}

export interface CompletionOption {
  long: string;
  short?: string;
  description: string;
  takesValue: boolean;
  choices?: readonly string[];
}

const SHELLS = ["bash", "zsh", "fish"] as const;
type Shell = (typeof SHELLS)[number];

function optionOf(option: Option): CompletionOption {
  return {
    long: option.long ?? option.flags,
    ...(option.short ? { short: option.short } : {}),
    description: option.description,
    takesValue: option.required || option.optional,
    ...(option.argChoices ? { choices: option.argChoices } : {}),
  };
}

/** Every command with its options, loaded (the script is generated once, so loading all is fine). */
export async function completionCommands(): Promise<CompletionCommand[]> {
  const loaded = await Promise.all(
    COMMANDS.map(async (entry) => ({ entry, command: await entry.load().catch(() => undefined) })),
  );
  const commands: CompletionCommand[] = loaded.map(({ entry, command }) => ({
    name: entry.name,
    summary: entry.summary,
    ...(entry.name === "completion" ? { words: [...SHELLS] } : {}),
    options: [
      ...(command?.options ?? []).map(optionOf),
      { long: "--help", short: "-h", description: "show help", takesValue: false },
    ],
  }));
  commands.push({
    name: "help",
    summary: "show help for a command",
    words: COMMANDS.map((c) => c.name),
    options: [],
  });
  return commands;
}

const quoteSingle = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;
const fishQuote = (text: string) => `'${text.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

/** The completion script for `shell`. */
export function completionScript(shell: Shell, commands: readonly CompletionCommand[]): string {
  if (shell === "fish") return fishScript(commands);
  const bash = bashScript(commands);
  return shell === "bash"
    ? bash
    : `#compdef tidal\n# tidal completion for zsh (through bash completion)\nautoload -U +X bashcompinit && bashcompinit\n${bash}`;
}

function bashScript(commands: readonly CompletionCommand[]): string {
  const names = commands.map((command) => command.name).join(" ");
  const valued = commands.flatMap((command) =>
    command.options.filter((option) => option.takesValue && option.choices === undefined),
  );
  const valueFlags = [...new Set(valued.flatMap((option) => [option.long, option.short ?? []].flat()))];
  const choiceCases = [
    ...new Map(
      commands
        .flatMap((command) => command.options)
        .filter((option) => option.choices !== undefined)
        .map((option) => [[option.long, option.short].filter(Boolean).join("|"), option.choices!.join(" ")]),
    ),
  ]
    .map(
      ([flags, words]) =>
        `    ${flags}) COMPREPLY=($(compgen -W ${quoteSingle(words)} -- "$cur")); return ;;`,
    )
    .join("\n");
  const commandCases = commands
    .map((command) => {
      const words = [
        ...(command.words ?? []),
        ...command.options.flatMap((option) => [option.long, option.short ?? []].flat()),
      ].join(" ");
      return `    ${command.name}) words=${quoteSingle(words)} ;;`;
    })
    .join("\n");
  return `# tidal completion for bash: eval "$(tidal completion bash)" in ~/.bashrc
_tidal() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" words=""
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=($(compgen -W ${quoteSingle(`${names} --help --version`)} -- "$cur"))
    return
  fi
  case "$prev" in
${choiceCases}
    ${valueFlags.join("|")}) COMPREPLY=(); return ;;
  esac
  case "\${COMP_WORDS[1]}" in
${commandCases}
  esac
  if [[ "$cur" == -* || ( $COMP_CWORD -eq 2 && ( "\${COMP_WORDS[1]}" == help || "\${COMP_WORDS[1]}" == completion ) ) ]]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
}
complete -o default -F _tidal tidal
`;
}

function fishScript(commands: readonly CompletionCommand[]): string {
  const lines = [
    "# tidal completion for fish: tidal completion fish > ~/.config/fish/completions/tidal.fish",
    "complete -c tidal -f",
    `complete -c tidal -n __fish_use_subcommand -s v -l version -d ${fishQuote("print the version and exit")}`,
  ];
  for (const command of commands) {
    lines.push(
      `complete -c tidal -n __fish_use_subcommand -a ${command.name} -d ${fishQuote(command.summary)}`,
    );
    const when = `-n ${fishQuote(`__fish_seen_subcommand_from ${command.name}`)}`;
    if (command.words) lines.push(`complete -c tidal ${when} -a ${fishQuote(command.words.join(" "))}`);
    for (const option of command.options) {
      const flags = [
        `-l ${option.long.replace(/^--/, "")}`,
        option.short ? `-s ${option.short.replace(/^-/, "")}` : "",
      ].filter(Boolean);
      const value = option.choices
        ? `-x -a ${fishQuote(option.choices.join(" "))}`
        : option.takesValue
          ? "-r -F"
          : "";
      lines.push(
        `complete -c tidal ${when} ${[...flags, value].filter(Boolean).join(" ")} -d ${fishQuote(option.description)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

export function completionCommand(): Command {
  return new Command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText(
      "after",
      `
Install:
  bash   echo 'eval "$(tidal completion bash)"' >> ~/.bashrc
  zsh    echo 'eval "$(tidal completion zsh)"' >> ~/.zshrc
  fish   tidal completion fish > ~/.config/fish/completions/tidal.fish`,
    )
    .action(async (shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell))
        throw new UsageError(`completion: unknown shell "${shell}"; choose one of ${SHELLS.join(", ")}`);
      process.stdout.write(completionScript(shell as Shell, await completionCommands()));
    });
}
