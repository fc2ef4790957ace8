import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CANARY, manifestText, oddYaml } from "../../test/support/fuzz/manifests.ts";
import { TidalMetrics } from "../observability/metrics.ts";
import { ScalingHistory } from "../runtime/history.ts";
import { createStatusServer } from "../runtime/status/server.ts";
import { main } from "./main.ts";

// The standing fuzz suite: generated manifests through every command that reads them, in
// process. Every run must end with exit code 0, 1 or 2, print no stack trace and no internal
// error, and never print the canary every Secret value holds. Deterministic: a fixed seed and a
// bounded number of runs here; `npm run fuzz` runs many more (TIDAL_FUZZ_RUNS, TIDAL_FUZZ_SEED).
const RUNS = Number(process.env.TIDAL_FUZZ_RUNS ?? 300);
const SEED = Number(process.env.TIDAL_FUZZ_SEED ?? 20261203);
/** A hang guard per input (not a performance budget): an input this slow is a defect. */
const PER_INPUT_LIMIT_MS = 60_000;

const STACK_FRAME = /^\s+at\s/m;

let directory = "";
let serverUrl = "";
const { server } = createStatusServer({
  status: {
    scaledObjects: () => [],
    scaledJobs: () => [],
    trace: () => undefined,
    events: () => [],
    processPools: () => [],
  },
  dashboard: {
    title: "fuzz",
    history: new ScalingHistory(),
    objects: () => [],
    eventsOf: () => [],
    recentEvents: () => [],
    onEvent: () => {},
  },
  metrics: new TidalMetrics("fuzz"),
  loopbackOnly: true,
});

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), "tidal-fuzz-"));
  writeFileSync(join(directory, "trace.csv"), "t,s0\n0,1\n30,50\n60,0\n");
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  rmSync(directory, { recursive: true, force: true });
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

interface Outcome {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one command in this process, capturing what it writes. */
async function tidal(args: string[]): Promise<Outcome> {
  const captured = { stdout: "", stderr: "" };
  const { write: out } = process.stdout;
  const { write: err } = process.stderr;
  const capture = (stream: "stdout" | "stderr") => (chunk: string | Uint8Array) => {
    captured[stream] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    return true;
  };
  process.stdout.write = capture("stdout") as typeof process.stdout.write;
  process.stderr.write = capture("stderr") as typeof process.stderr.write;
  process.exitCode = undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const code = await Promise.race([
      main(args),
      new Promise<number>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`tidal ${args.join(" ")} ran over ${PER_INPUT_LIMIT_MS} ms`)),
          PER_INPUT_LIMIT_MS,
        );
      }),
    ]);
    return { args, code, ...captured };
  } finally {
    clearTimeout(timer);
    process.stdout.write = out;
    process.stderr.write = err;
    process.exitCode = undefined;
  }
}

/**
 * `migrate` prints the documents it was given (Secrets included: they are the user's own data), so
 * for it only the messages on stderr are held to the canary rule.
 */
function expectWellBehaved(outcome: Outcome, input: string): void {
  const output = `${outcome.stdout}${outcome.stderr}`;
  const messages = outcome.args[0] === "migrate" ? outcome.stderr : output;
  const context = `tidal ${outcome.args.join(" ")}\n--- input ---\n${input.slice(0, 4000)}\n--- output ---\n${output.slice(0, 4000)}`;
  expect([0, 1, 2], context).toContain(outcome.code);
  expect(output, context).not.toMatch(STACK_FRAME);
  expect(output, context).not.toContain("internal error");
  expect(messages, context).not.toContain(CANARY);
  expect(messages, context).not.toContain("[object Object]");
}

let counter = 0;
function writeInput(text: string): string {
  counter += 1;
  const file = join(directory, `input-${counter}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** The names of the ScaledObjects in a generated text, for simulate. */
function scaledObjectNames(text: string): string[] {
  return [...text.matchAll(/kind: ScaledObject\nmetadata:\n {2}name: ([a-z0-9.-]+)\n/g)].map(
    (match) => match[1]!,
  );
}

describe("fuzz: generated manifests through every command", () => {
  it(
    `validate, validate --strict --output json, migrate and simulate (${RUNS} inputs, seed ${SEED})`,
    { timeout: 600_000 },
    async () => {
      await fc.assert(
        fc.asyncProperty(manifestText, async (text) => {
          const file = writeInput(text);
          for (const args of [
            ["validate", "-f", file],
            ["validate", "-f", file, "--strict", "--output", "json"],
            ["migrate", "-f", file],
          ])
            expectWellBehaved(await tidal(args), text);
          for (const name of scaledObjectNames(text).slice(0, 1))
            expectWellBehaved(
              await tidal([
                "simulate",
                "-f",
                file,
                "--name",
                name,
                "--metrics",
                join(directory, "trace.csv"),
                "--duration",
                "120",
                "--output",
                "json",
              ]),
              text,
            );
        }),
        { numRuns: RUNS, seed: SEED, endOnFailure: true },
      );
    },
  );

  it("YAML at its edges", async () => {
    await fc.assert(
      fc.asyncProperty(oddYaml, async (text) => {
        const file = writeInput(text);
        for (const args of [
          ["validate", "-f", file],
          ["migrate", "-f", file],
        ])
          expectWellBehaved(await tidal(args), text);
      }),
      { numRuns: 30, seed: SEED },
    );
  });

  it("explain with hostile names against a status API", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 40 }),
          fc.constantFrom("%ff", "..", "../..", "a/b", "?x=1", "#", "%", "é", " "),
        ),
        async (name) => {
          const outcome = await tidal(["explain", "--server", serverUrl, "--", name]);
          expectWellBehaved(outcome, name);
          expect(outcome.code, outcome.stderr).not.toBe(0);
        },
      ),
      { numRuns: Math.max(30, Math.round(RUNS / 4)), seed: SEED },
    );
  });
});
