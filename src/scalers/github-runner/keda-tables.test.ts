import { describe, expect, it } from "vitest";
import { kedaVar, runParseVectors, stringMap, type KedaRow } from "../../../test/support/keda-vectors.ts";
import { runnerCanRunJob } from "./github-runner.ts";

const FILE = "github_runner_scaler_test.json";
const authParams = stringMap(kedaVar(FILE, "testAuthParams"));

function inputs(row: KedaRow) {
  return {
    metadata: stringMap(row.metadata),
    authParams,
    resolvedEnv: stringMap(
      kedaVar(FILE, row.hasEnvs ? "testGitHubRunnerResolvedEnv" : "testGitHubRunnerTokenEnv"),
    ),
  };
}

runParseVectors({ file: FILE, table: "testGitHubRunnerMetadata", type: "github-runner", inputs });

runParseVectors({
  file: FILE,
  table: "githubRunnerMetricIdentifiers",
  type: "github-runner",
  inputs: (row) => ({
    metadata: stringMap(row.metadataTestData),
    authParams,
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name), target: 1 }),
});

// KEDA's TestNewGitHubRunnerScaler_QueueLength_* cases on labels, as the match they exercise.
describe("KEDA's label matching of jobs and runners", () => {
  const defaults = { noDefaultLabels: false, matchUnlabeledJobsWithUnlabeledRunners: false };
  it("needs every job label among the runner's labels and the default ones, ignoring case", () => {
    expect(runnerCanRunJob(["self-hosted", "Linux", "golang"], ["golang"], defaults)).toBe(true);
    expect(runnerCanRunJob(["self-hosted", "linux", "x64", "golang"], ["other"], defaults)).toBe(false);
    expect(runnerCanRunJob(["foo", "bar"], ["foo", "bar"], { ...defaults, noDefaultLabels: true })).toBe(
      true,
    );
    expect(runnerCanRunJob(["self-hosted", "foo"], ["foo"], { ...defaults, noDefaultLabels: true })).toBe(
      false,
    );
  });
  it("counts a job without labels for any runner, or only an unlabeled one when asked", () => {
    expect(runnerCanRunJob([], ["golang"], defaults)).toBe(true);
    expect(
      runnerCanRunJob([], ["golang"], { ...defaults, matchUnlabeledJobsWithUnlabeledRunners: true }),
    ).toBe(false);
    expect(runnerCanRunJob([], [], { ...defaults, matchUnlabeledJobsWithUnlabeledRunners: true })).toBe(true);
  });
});
