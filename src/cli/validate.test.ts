import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { expectNoStackTrace, repositoryRoot, runTidal } from "../../test/cli/tidal-cli.ts";

// Each test spawns `tidal` (a second or more per process on a busy machine): a generous budget, no timing assertions.
vi.setConfig({ testTimeout: 120_000 });

const FIXTURES = "test/fixtures/manifests";
const INVALID = `${FIXTURES}/invalid`;
const SEEDS = `${FIXTURES}/seeds`;

interface JsonProblem {
  file: string;
  doc: number;
  line?: number;
  col?: number;
  kind: string;
  name: string;
  path: string;
  message: string;
  severity: "error" | "warning";
}

/** What `tidal validate --output json` must say about each file of test/fixtures/manifests/invalid. */
const EXPECTED: Record<string, Omit<JsonProblem, "file" | "doc" | "kind">[]> = {
  "duplicate-trigger-names.yaml": [
    {
      name: "duplicate-trigger-names",
      path: "spec.triggers[1].name",
      message: 'duplicate trigger name "backlog" (also spec.triggers[0].name); names must be unique',
      severity: "error",
    },
  ],
  "formula-unknown-trigger.yaml": [
    {
      name: "formula-unknown-trigger",
      path: "spec.advanced.scalingModifiers.formula",
      message:
        'formula names trigger "retires" which is not a named trigger of this ScaledObject; named triggers: jobs, retries',
      severity: "error",
    },
  ],
  "idle-not-below-min.yaml": [
    {
      name: "idle-not-below-min",
      path: "spec.idleReplicaCount",
      message: "idleReplicaCount (2) must be less than minReplicaCount (2)",
      severity: "error",
    },
  ],
  "min-greater-than-max.yaml": [
    {
      name: "min-greater-than-max",
      path: "spec.minReplicaCount",
      message: "minReplicaCount (5) must be less than or equal to maxReplicaCount (2)",
      severity: "error",
    },
  ],
  // in source order (line, then column)
  "negative-counts.yaml": [
    {
      name: "negative-counts",
      path: "spec.minReplicaCount",
      message: "must be ≥ 0 (got -1)",
      severity: "error",
    },
    {
      name: "negative-counts",
      path: "spec.cooldownPeriod",
      message: "must be ≥ 0 (got -30)",
      severity: "error",
    },
  ],
  "unknown-field.yaml": [
    {
      name: "unknown-field",
      path: "spec.maxReplicaCont",
      message: 'unknown field "maxReplicaCont"; did you mean "maxReplicaCount"?',
      severity: "error",
    },
  ],
  "unknown-metadata-key.yaml": [
    {
      name: "unknown-metadata-key",
      path: "spec.triggers[0].metadata.listLenght",
      message: 'unknown parameter "listLenght" for trigger type "redis"; did you mean "listLength"?',
      severity: "warning",
    },
  ],
  "unsupported-trigger-type.yaml": [
    {
      name: "unsupported-trigger-type",
      path: "spec.triggers[0].type",
      message: 'trigger type "no-such-scaler" is not supported',
      severity: "error",
    },
  ],
  "wrong-types.yaml": [
    {
      name: "wrong-types",
      path: "spec.pollingInterval",
      message: 'expected a number, got "30" (a string); write it without quotes',
      severity: "error",
    },
    {
      name: "wrong-types",
      path: "spec.maxReplicaCount",
      message: 'expected a number, got "lots" (a string)',
      severity: "error",
    },
    {
      name: "wrong-types",
      path: "spec.triggers[0].metadata.listLength",
      message: "expected a string, got a number; put it in quotes",
      severity: "error",
    },
  ],
};

function parseJson(stdout: string): JsonProblem[] {
  return JSON.parse(stdout) as JsonProblem[];
}

describe("tidal validate: bad input", () => {
  it("explains every bad file of a folder in JSON: field path, wording, severity; exit 1; no stack trace", async () => {
    const result = await runTidal(["validate", "-f", INVALID, "--output", "json"]);
    expect(result.code).toBe(1);
    expectNoStackTrace(result);
    const problems = parseJson(result.stdout);
    for (const problem of problems)
      expect(Object.keys(problem)).toEqual([
        "file",
        "doc",
        "line",
        "col",
        "kind",
        "name",
        "path",
        "message",
        "severity",
      ]);
    // every problem says where it is, as FILE:LINE:COL does
    expect(problems.filter((problem) => typeof problem.line !== "number")).toEqual([]);
    const byFile = (file: string) => problems.filter((problem) => problem.file === `${INVALID}/${file}`);
    for (const [file, expected] of Object.entries(EXPECTED)) {
      expect(
        byFile(file).map(({ name, path, message, severity }) => ({ name, path, message, severity })),
        file,
      ).toEqual(expected);
      expect(
        byFile(file).every((problem) => problem.doc === 1 && problem.kind === "ScaledObject"),
        file,
      ).toBe(true);
    }
    // Malformed YAML: a message with line and column, not about any object.
    const [malformed, ...others] = byFile("malformed-yaml.yaml");
    expect(others).toEqual([]);
    expect(malformed).toMatchObject({
      doc: 1,
      line: 5,
      col: 1,
      kind: "",
      name: "",
      path: "",
      severity: "error",
    });
    expect(malformed?.message).toMatch(/^Flow sequence in block collection/);
    // A formula syntax error says where in the formula.
    const syntax = byFile("formula-syntax-error.yaml");
    expect(syntax).toHaveLength(1);
    expect(syntax[0]).toMatchObject({ path: "spec.advanced.scalingModifiers.formula", severity: "error" });
    expect(syntax[0]?.message).toMatch(/column \d+/);
    // Files are reported in name order.
    const files = problems.map((problem) => problem.file);
    expect(files).toEqual([...files].sort());
  });

  it("prints one line per problem as FILE:LINE:COL: KIND/NAME: FIELD.PATH: message, with a summary on stderr", async () => {
    const result = await runTidal([
      "validate",
      "-f",
      `${INVALID}/min-greater-than-max.yaml`,
      `${INVALID}/malformed-yaml.yaml`,
      `${INVALID}/unknown-metadata-key.yaml`,
    ]);
    expect(result.code).toBe(1);
    expectNoStackTrace(result);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      `${INVALID}/malformed-yaml.yaml:5:1: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    );
    expect(lines[1]).toBe(
      `${INVALID}/min-greater-than-max.yaml:8:3: ScaledObject/min-greater-than-max: spec.minReplicaCount: minReplicaCount (5) must be less than or equal to maxReplicaCount (2)`,
    );
    expect(lines[2]).toBe(
      `${INVALID}/unknown-metadata-key.yaml:14:9: ScaledObject/unknown-metadata-key: spec.triggers[0].metadata.listLenght: warning: unknown parameter "listLenght" for trigger type "redis"; did you mean "listLength"?`,
    );
    expect(result.stderr).toBe("2 errors, 1 warning\n");
  });

  it("unknown metadata keys are warnings (exit 0) and errors with --strict (exit 1)", async () => {
    const file = `${INVALID}/unknown-metadata-key.yaml`;
    const [lenient, strict] = await Promise.all([
      runTidal(["validate", "-f", file, "-o", "json"]),
      runTidal(["validate", "-f", file, "--strict", "-o", "json"]),
    ]);
    expect(lenient.code).toBe(0);
    expect(parseJson(lenient.stdout).map((problem) => problem.severity)).toEqual(["warning"]);
    expect(strict.code).toBe(1);
    expect(parseJson(strict.stdout).map((problem) => [problem.severity, problem.path])).toEqual([
      ["error", "spec.triggers[0].metadata.listLenght"],
    ]);
  });

  it("never prints a Secret's value, in text or JSON, even for triggers whose parameters are wrong", async () => {
    const file = `${FIXTURES}/secrets/canary.yaml`;
    const [text, json] = await Promise.all([
      runTidal(["validate", "-f", file]),
      runTidal(["validate", "-f", file, "-o", "json"]),
    ]);
    expect(text.code).toBe(1);
    expect(json.code).toBe(1);
    // The problems are there (the check ran on the secret values)…
    const paths = parseJson(json.stdout).map((problem) => problem.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "spec.triggers[0].metadata.address",
        "spec.triggers[1].metadata.host",
        "spec.triggers[2].metadata.connection",
      ]),
    );
    // …but the canary is not, in any form.
    for (const output of [text.stdout, text.stderr, json.stdout, json.stderr]) {
      expect(output).not.toContain("canary-Xq7-secret");
      expect(output).not.toContain("Y2FuYXJ5LVhxNy1zZWNyZXQtN2Q0MWU");
    }
  });
});

describe("tidal validate: the seed articles' YAML", () => {
  it("accepts the KEDA 2.x examples (mysql StatefulSet, rabbitmq) and the KEDA 1.x Event Hubs kafka example read as keda.sh", async () => {
    const result = await runTidal([
      "validate",
      "-f",
      `${SEEDS}/mysql-statefulset.yaml`,
      `${SEEDS}/rabbitmq-consumer.yaml`,
      `${SEEDS}/kafka-eventhubs-legacy.yaml`,
      "-o",
      "json",
    ]);
    expect(result.code).toBe(0);
    // The Event Hubs article's Secret holds a <placeholder> password, and the rabbitmq article's
    // TriggerAuthentication is not in it: warnings, not errors.
    expect(parseJson(result.stdout)).toEqual([
      {
        file: `${SEEDS}/kafka-eventhubs-legacy.yaml`,
        doc: 2,
        line: 37,
        col: 7,
        kind: "ScaledObject",
        name: "kafka-scaledobject",
        path: "spec.triggers[0].authenticationRef",
        message: "password is still a <placeholder> in the files: fill in the Secret before applying",
        severity: "warning",
      },
      {
        file: `${SEEDS}/rabbitmq-consumer.yaml`,
        doc: 1,
        line: 20,
        col: 9,
        kind: "ScaledObject",
        name: "rabbitmq-consumer",
        path: "spec.triggers[0].authenticationRef.name",
        message:
          'TriggerAuthentication "rabbitmq-consumer-trigger" is not in the given files; its parameters were not checked',
        severity: "warning",
      },
    ]);
  });

  it("counts the resources it checked and skips other kinds (the Event Hubs article's Secret and Deployment)", async () => {
    const result = await runTidal([
      "validate",
      "-f",
      `${SEEDS}/kafka-eventhubs-legacy.yaml`,
      `${SEEDS}/mysql-statefulset.yaml`,
    ]);
    expect(result).toEqual({
      code: 0,
      stdout: `${SEEDS}/kafka-eventhubs-legacy.yaml:37:7: ScaledObject/kafka-scaledobject: spec.triggers[0].authenticationRef: warning: password is still a <placeholder> in the files: fill in the Secret before applying\n`,
      stderr: "4 resources valid (1 warning)\n",
    });
  });

  it("reads standard input for -f -, as kubectl does", () => {
    const result = spawnSync(process.execPath, ["bin/tidal.js", "validate", "-f", "-"], {
      cwd: repositoryRoot,
      input: readFileSync("test/fixtures/manifests/invalid/min-greater-than-max.yaml"),
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(
      /^-:8:3: ScaledObject\/\S+: spec\.minReplicaCount: minReplicaCount \(5\) must be/m,
    );
  });

  it("counts Tidal's own kinds too (the quickstart's ProcessPool and HTTPScaledObject)", async () => {
    const result = await runTidal(["validate", "-f", "examples/quickstart/"]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: "2 resources valid\n" });
  });

  it("notes what tidal run runs of a scaled Deployment with a command, in text output only", async () => {
    const file = `${FIXTURES}/workloads/deployment-worker.yaml`;
    expect(await runTidal(["validate", "-f", file])).toEqual({
      code: 0,
      stdout:
        `${file}:3:1: Deployment/orders-worker: note: runs as local processes under tidal run: containers[0] ("worker") ` +
        "command, env; spec.replicas (2) is only the first count, the scaler decides after that; not used: image, resources\n",
      stderr: "1 resource valid\n",
    });
    const json = await runTidal(["validate", "-f", file, "-o", "json"]);
    expect(json.code).toBe(0);
    expect(parseJson(json.stdout)).toEqual([]);
  });

  it("reads the KEDA 1.x Service Bus function example as its keda.sh form, which is valid", async () => {
    const result = await runTidal(["validate", "-f", `${SEEDS}/keda-service-bus-function-legacy.yaml`]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: "1 resource valid\n" });
  });
});
