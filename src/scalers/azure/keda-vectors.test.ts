/**
 * KEDA's test tables of azure-pipelines, azure-monitor, azure-log-analytics, azure-app-insights
 * and azure-data-explorer (test/conformance/keda/), run through test/support/keda-vectors.ts.
 * (The older Azure scalers' rows are in keda-tables.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { runParseVectors, runValueVectors, stringMap } from "../../../test/support/keda-vectors.ts";
import {
  agentCanRunJob,
  jobRequestsUrl,
  pipelinesQueueLength,
  poolIdFromNameAnswer,
  type JobRequest,
} from "./pipelines.ts";

const PIPELINES = "azure_pipelines_scaler_test.json";

// TestParseAzurePipelinesMetadata. KEDA also looks the pool up while parsing (its stub answers
// every request with one pool); Tidal looks it up at the first measurement (below, and in the
// integration test), so these rows check the parameters alone.
runParseVectors({
  file: PIPELINES,
  table: "testAzurePipelinesMetadata",
  type: "azure-pipelines",
  expect: () => ({ metricName: "s0-azure-pipelines-1", target: 1 }),
});

runParseVectors({
  file: PIPELINES,
  table: "azurePipelinesMetricIdentifiers",
  type: "azure-pipelines",
  inputs: (row) => ({
    metadata: { poolID: "1", targetPipelinesQueueLength: "1" },
    authParams: { organizationURL: "https://dev.azure.com/sample", personalAccessToken: "sample" },
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

// TestValidateAzurePipelinesPool: what the pool lookup makes of the API's answer.
runValueVectors(PIPELINES, "testValidateAzurePipelinesPoolData", {}, (row) => {
  const metadata = stringMap(row.metadata);
  const status = Number(row.httpCode);
  const resolve = () => {
    if (status < 200 || status > 299) throw new Error(`status ${status}`);
    if (metadata.poolName) return poolIdFromNameAnswer(String(row.response), metadata.poolName);
    return Number(metadata.poolID);
  };
  expect(row.queryParam).toBe(metadata.poolName ? "poolName" : "poolID");
  if (row.isError) expect(resolve).toThrow();
  else expect(resolve()).toBe(1);
});

// TestAzurePipelinesQueueURLTest.
runValueVectors(PIPELINES, "testValidateAzurePipelinesQueueURLData", {}, (row) => {
  const metadata = row.metadata as {
    Parent?: string;
    JobsToFetch?: number;
    FetchUnfinishedJobsOnly?: boolean;
  };
  const url = jobRequestsUrl(
    {
      organizationURL: "http://org",
      parent: metadata.Parent,
      jobsToFetch: metadata.JobsToFetch ?? 0,
      fetchUnfinishedJobsOnly: metadata.FetchUnfinishedJobsOnly ?? false,
    },
    1,
  );
  expect(url).toBe(String(row.expectedURL).replace("%s", "http://org").replace("%d", "1"));
});

// KEDA's TestAzurePipelines* queue-length tests (not tables): the same jobs and verdicts.
describe("KEDA's queue length of job requests", () => {
  const base = {
    organizationURL: "http://org",
    requireAllDemands: false,
    requireAllDemandsAndIgnoreOthers: false,
    caseInsensitiveDemandsProcessing: false,
    targetPipelinesQueueLength: 1,
    activationTargetPipelinesQueueLength: 0,
    jobsToFetch: 250,
    fetchUnfinishedJobsOnly: false,
  };
  const queued = (demands: string[], agents: string[] = []): JobRequest => ({
    demands,
    matchedAgents: agents.map((name) => ({ name })),
  });
  it("counts waiting jobs only: not finished, not received by an agent", () => {
    expect(
      pipelinesQueueLength(
        [
          queued(["kubectl"]),
          { ...queued(["kubectl"]), result: "succeeded", receiveTime: "2022-09-28T11:20:32Z" },
          { ...queued(["kubectl"]), receiveTime: "2022-09-28T11:20:32Z" },
          { ...queued(["kubectl"]), receiveTime: "0001-01-01T00:00:00" },
        ],
        base,
      ),
    ).toBe(2);
  });
  it("matches the parent agent by name", () => {
    const values = { ...base, parent: "dotnet60-keda-template" };
    expect(
      pipelinesQueueLength(
        [queued([], ["dotnet60-keda-template"]), queued([], ["other"]), queued([])],
        values,
      ),
    ).toBe(1);
  });
  it("matches demands: all of the job's, exactly, or all of the agent's", () => {
    const job = queued(["dotnet60", "java", "Agent.Version -gtVersion 2.182.1"]);
    expect(agentCanRunJob(job, { ...base, demands: "dotnet60,java" })).toBe(true);
    expect(agentCanRunJob(job, { ...base, demands: "dotnet60" })).toBe(false);
    expect(agentCanRunJob(job, { ...base, demands: "dotnet60,java,cmake", requireAllDemands: true })).toBe(
      false,
    );
    expect(
      agentCanRunJob(job, { ...base, demands: "dotnet60", requireAllDemandsAndIgnoreOthers: true }),
    ).toBe(true);
    expect(agentCanRunJob(queued(["DotNet60"]), { ...base, demands: "dotnet60" })).toBe(false);
    expect(
      agentCanRunJob(queued(["DotNet60"]), {
        ...base,
        demands: "dotnet60",
        caseInsensitiveDemandsProcessing: true,
      }),
    ).toBe(true);
  });
});
