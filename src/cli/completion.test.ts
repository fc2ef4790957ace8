import { spawnSync } from "node:child_process";
import { describe, expect, it, vi } from "vitest";
import { runTidal } from "../../test/cli/tidal-cli.ts";
import { completionCommands, completionScript } from "./completion.ts";

vi.setConfig({ testTimeout: 120_000 });

/** What bash completes for `words` (the last one being typed) with the generated script. */
function bashCompletes(script: string, words: string[]): string[] {
  const program = `${script}
COMP_WORDS=(${words.map((word) => `'${word}'`).join(" ")}); COMP_CWORD=${words.length - 1}; COMPREPLY=()
_tidal; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const result = spawnSync("bash", ["--norc", "-c", program], { encoding: "utf8" });
  expect(result.stderr).toBe("");
  return result.stdout.split("\n").filter(Boolean);
}

describe("shell completion", () => {
  it("completes commands, their options, option choices and help topics in bash", async () => {
    const script = completionScript("bash", await completionCommands());
    expect(bashCompletes(script, ["tidal", ""])).toEqual(
      expect.arrayContaining(["validate", "run", "explain", "logs", "completion", "help", "--version"]),
    );
    expect(bashCompletes(script, ["tidal", "ex"])).toEqual(["explain"]);
    expect(bashCompletes(script, ["tidal", "run", "--log-"])).toEqual(["--log-format", "--log-level"]);
    expect(bashCompletes(script, ["tidal", "run", "--log-level", ""])).toEqual([
      "debug",
      "info",
      "warn",
      "error",
    ]);
    expect(bashCompletes(script, ["tidal", "validate", "-o", "j"])).toEqual(["json"]);
    expect(bashCompletes(script, ["tidal", "logs", "--f"])).toEqual(["--follow"]);
    expect(bashCompletes(script, ["tidal", "completion", "z"])).toEqual(["zsh"]);
    expect(bashCompletes(script, ["tidal", "help", "si"])).toEqual(["simulate"]);
    // a file argument: nothing from tidal, so bash completes file names (-o default)
    expect(bashCompletes(script, ["tidal", "validate", "-f", ""])).toEqual([]);
    expect(script).toContain("complete -o default -F _tidal tidal");
  });

  it("prints zsh (through bashcompinit) and fish scripts", async () => {
    const commands = await completionCommands();
    expect(completionScript("zsh", commands)).toMatch(
      /^#compdef tidal\n.*\nautoload -U \+X bashcompinit && bashcompinit\n/,
    );
    const fish = completionScript("fish", commands);
    expect(fish).toContain("complete -c tidal -n __fish_use_subcommand -a logs -d ");
    expect(fish).toContain(
      "complete -c tidal -n '__fish_seen_subcommand_from run' -l log-level -x -a 'debug info warn error' -d 'least severe log level written'",
    );
    expect(fish).toContain(
      "complete -c tidal -n '__fish_seen_subcommand_from validate' -l filename -s f -r -F -d ",
    );
  });

  it("is a command that names an unknown shell", async () => {
    const bash = await runTidal(["completion", "bash"]);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain("_tidal()");
    const unknown = await runTidal(["completion", "tcsh"]);
    expect(unknown).toMatchObject({
      code: 2,
      stderr: 'tidal: completion: unknown shell "tcsh"; choose one of bash, zsh, fish\n',
    });
  });
});
