import { expect } from "vitest";
import { runParseVectors, runValueVectors, stringMap } from "../../../test/support/keda-vectors.ts";
import { forgejoJobCount, forgejoJobsUrl } from "./forgejo-runner.ts";

const FILE = "forgejo_runner_scaler_test.json";

runParseVectors({
  file: FILE,
  table: "testForgejoRunnerMetadata",
  type: "forgejo-runner",
  inputs: (row) => ({ metadata: stringMap(row.metadata), authParams: stringMap(row.authentication) }),
  expect: (row) => ({
    metricName: "s0-forgejo",
    target: 1,
    params: { global: row.global },
    check: (prepared) => {
      const url = forgejoJobsUrl(prepared.params as unknown as Parameters<typeof forgejoJobsUrl>[0]);
      expect(url.startsWith(`${String(row.address)}/api/v1/`)).toBe(true);
    },
  }),
});

// KEDA's TestForgejoRunnerScalerGetGlobalRunnerJobsUrl: the jobs URL of each scope.
runValueVectors(FILE, "TestForgejoRunnerScalerGetGlobalRunnerJobsUrl.tests", {}, (row) => {
  const metadata = (row.fields as { metadata: Record<string, unknown> }).metadata;
  const url = forgejoJobsUrl({
    address: String(metadata.Address),
    labels: String(metadata.Labels),
    global: Boolean(metadata.Global),
    owner: metadata.Owner as string | undefined,
    repo: metadata.Repo as string | undefined,
    org: metadata.Org as string | undefined,
  });
  expect(url).toBe(row.want);
});

// KEDA's TestForgejoRunnerScalerGetMetricsAndActivity: the metric is the number of jobs (KEDA's
// milli-units are 1000 per job), active from one job.
runValueVectors(FILE, "TestForgejoRunnerScalerGetMetricsAndActivity.tests", {}, (row) => {
  const count = forgejoJobCount({ status: 200, body: JSON.stringify(row.jobsList) }, "http://forgejo");
  expect(count * 1000).toBe(row.wantMetricValue);
  expect(count > 0).toBe(row.wantActive);
});
