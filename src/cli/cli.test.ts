import { describe, expect, it, vi } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectNoStackTrace, repositoryRoot, runTidal } from "../../test/cli/tidal-cli.ts";
import { packageVersion } from "../util/version.ts";

// Each test spawns `tidal` (a second or more per process on a busy machine): a generous budget, no timing assertions.
vi.setConfig({ testTimeout: 120_000 });

/** Each subcommand and options its --help must mention. */
const SUBCOMMANDS: Record<string, string[]> = {
  validate: ["--filename", "--strict", "--output", "Exit code"],
  migrate: ["--filename", "keda.sh/v1alpha1"],
  init: ["--trigger", "--image", "--functions", "--job", "placeholders"],
  probe: ["--filename", "--output", "--timeout"],
  run: ["--filename", "--port", "--state-dir", "--log-level", "tidal-run.json"],
  explain: [
    "[name]",
    "--server",
    "--state-dir",
    "TIDAL_SERVER",
    "--host",
    "--output",
    "--kubeconfig",
    "--context",
    "--operator-namespace",
    "tidal-operator-explain",
  ],
  interceptor: [
    "--proxy-port",
    "--admin-port",
    "--condition-wait-timeout",
    "KEDA_CONDITION_WAIT_TIMEOUT",
    "--log-level",
  ],
  completion: ["<shell>", "bashrc", "fish/completions"],
  logs: ["<pool>", "--follow", "--tail", "--timestamps", "--server", "--state-dir", "worker-0 |"],
  dashboard: ["[name]", "--server", "--state-dir", "--open"],
  simulate: [
    "--filename",
    "--metrics",
    "--workload",
    "--service-rate",
    "--startup-delay",
    "--initial-replicas",
    "--mode",
    "--duration",
    "--steps",
    "--job-duration",
    "--output",
    "--plot",
  ],
};

/** The machine's own Node when it is too old for type stripping (the case bin/tidal.js guards). */
function oldSystemNode(): string | undefined {
  const result = spawnSync("/usr/bin/node", ["-p", "process.versions.node"], { encoding: "utf8" });
  const [major = 0, minor = 0] = (result.stdout ?? "").trim().split(".").map(Number);
  return result.status === 0 && (major < 22 || (major === 22 && minor < 18)) ? "/usr/bin/node" : undefined;
}

describe("tidal (command line)", () => {
  const oldNode = oldSystemNode();
  it.skipIf(oldNode === undefined)(
    "on a Node too old for type stripping, says what it needs and how to run it",
    () => {
      const result = spawnSync(oldNode!, ["bin/tidal.js", "--version"], {
        cwd: repositoryRoot,
        encoding: "utf8",
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/^tidal: needs Node 22\.18 or newer, and this is Node \d+\.\d+\.\d+\.$/m);
      expect(result.stderr).toContain("npx tidal");
      expectNoStackTrace({ code: result.status, stdout: result.stdout, stderr: result.stderr });
    },
  );

  it("--help lists every command and the exit codes; no arguments prints the same help", async () => {
    const [help, bare] = await Promise.all([runTidal(["--help"]), runTidal([])]);
    expect(help.code).toBe(0);
    for (const command of Object.keys(SUBCOMMANDS))
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    expect(help.stdout).toContain(
      "Exit codes: 0 success, 1 a finding (invalid input, failed check), 2 usage error.",
    );
    expect(bare.code).toBe(0);
    expect(bare.stdout).toBe(help.stdout);
  });

  it("every subcommand's --help exits 0 and mentions its options", async () => {
    const results = await Promise.all(
      Object.keys(SUBCOMMANDS).map((command) => runTidal([command, "--help"])),
    );
    for (const [index, [command, mentions]] of Object.entries(SUBCOMMANDS).entries()) {
      const result = results[index]!;
      expect(result.code, command).toBe(0);
      expect(result.stdout, command).toMatch(new RegExp(`^Usage: tidal ${command} `));
      for (const mention of mentions)
        expect(result.stdout, `${command} --help mentions ${mention}`).toContain(mention);
    }
  });

  it("--version and -v print the package version", async () => {
    const [long, short] = await Promise.all([runTidal(["--version"]), runTidal(["-v"])]);
    expect(long).toEqual({ code: 0, stdout: `${packageVersion()}\n`, stderr: "" });
    expect(short.stdout).toBe(`${packageVersion()}\n`);
    expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("an unknown command exits 2 with a message, a suggestion for a near miss, and no stack trace", async () => {
    const [bogus, nearMiss] = await Promise.all([runTidal(["bogus"]), runTidal(["valdate", "-f", "x.yaml"])]);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("error: unknown command 'bogus'");
    expect(bogus.stderr).toContain("(run with --help for usage)");
    expectNoStackTrace(bogus);
    expect(nearMiss.code).toBe(2);
    expect(nearMiss.stderr).toContain("Did you mean validate?");
  });

  it("a missing required option, an unknown option or a bad choice exits 2 naming it", async () => {
    const [validate, simulate, unknown, choice, argument] = await Promise.all([
      runTidal(["validate"]),
      runTidal(["simulate", "--metrics", "trace.csv"]),
      runTidal(["validate", "-f", "x.yaml", "--bogus"]),
      runTidal(["validate", "-f", "x.yaml", "--output", "xml"]),
      runTidal(["explain"]),
    ]);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain("error: required option '-f, --filename <path...>' not specified");
    expect(simulate.code).toBe(2);
    expect(simulate.stderr).toContain("error: required option '-f, --filename <file>' not specified");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("error: unknown option '--bogus'");
    expect(choice.code).toBe(2);
    expect(choice.stderr).toContain(
      "error: option '-o, --output <format>' argument 'xml' is invalid. Allowed choices are text, json.",
    );
    expect(argument.code).toBe(2);
    expect(argument.stderr).toContain("error: missing required argument 'name'");
    for (const result of [validate, simulate, unknown, choice, argument]) expectNoStackTrace(result);
  });

  it("tidal explain on a cluster: --server or the cluster flags, a kubeconfig it can read, a context it has", async () => {
    const kubeconfig = join(mkdtempSync(join(tmpdir(), "tidal-kubeconfig-")), "config");
    writeFileSync(
      kubeconfig,
      "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: here, context: {cluster: c, user: u}}]\ncurrent-context: here\n",
    );
    const [both, missing, context] = await Promise.all([
      runTidal(["explain", "orders", "--server", "http://127.0.0.1:1", "--context", "prod"]),
      runTidal(["explain", "orders", "--kubeconfig", join(tmpdir(), "no-such-kubeconfig")]),
      runTidal(["explain", "orders", "--kubeconfig", kubeconfig, "--context", "prod"]),
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("give one or the other");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no-such-kubeconfig");
    expect(context.code).toBe(2);
    expect(context.stderr).toContain("--context prod: the kubeconfig has no such context (it has: here)");
    for (const result of [both, missing, context]) expectNoStackTrace(result);
  });

  it("tidal run names a bad timeout's source, equal ports, and a state folder it cannot use, before starting", async () => {
    const manifest = "examples/quickstart/";
    const [fromEnv, samePorts, stateInFile] = await Promise.all([
      runTidal(["run", "-f", manifest, "--port", "0"], { env: { KEDA_HTTP_DEFAULT_TIMEOUT: "3s" } }),
      runTidal(["run", "-f", manifest, "--port", "18080", "--http-port", "18080"]),
      runTidal(["run", "-f", manifest, "--port", "0", "--http-port", "0", "--state-dir", "package.json"]),
    ]);
    const stdin = await runTidal(["run", "-f", "-", "--port", "0", "--http-port", "0"]);
    expect(stdin.code).toBe(2);
    expect(stdin.stderr).toContain("-f - (standard input) cannot be watched for changes; add --no-watch");
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain(
      'KEDA_HTTP_DEFAULT_TIMEOUT must be a whole number of milliseconds from 1 to 2147483647, got "3s"',
    );
    expect(samePorts.code).toBe(2);
    expect(samePorts.stderr).toContain("--port and --http-port must differ (both are 18080)");
    expect(stateInFile.code).toBe(2);
    expect(stateInFile.stderr).toContain("--state-dir package.json: cannot keep state there (ENOTDIR)");
    for (const result of [fromEnv, samePorts, stateInFile]) expectNoStackTrace(result);
  });

  it("a file that does not exist is a usage error naming it", async () => {
    const result = await runTidal(["validate", "-f", "test/fixtures/manifests/no-such-file.yaml"]);
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toBe("tidal: test/fixtures/manifests/no-such-file.yaml: no such file or folder\n");
  });
});
