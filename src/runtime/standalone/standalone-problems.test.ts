import { describe, expect, it } from "vitest";
import { readResources } from "../../api/resources.ts";
import { legacyTriggerRules } from "../../scalers/registry.ts";
import { standaloneProblems } from "./standalone-problems.ts";

function scaledJob(container: Record<string, unknown>) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledJob",
    metadata: { name: "batch" },
    spec: {
      jobTargetRef: { template: { spec: { containers: [{ name: "work", ...container }] } } },
      triggers: [{ type: "redis", metadata: { address: "127.0.0.1:6379", listName: "q" } }],
    },
  };
}

describe("standaloneProblems", () => {
  it("needs a command for a ScaledJob's local processes, naming the field, and accepts one that has it", () => {
    const { set, problems } = readResources(
      [{ file: "jobs.yaml", doc: 1, value: scaledJob({ image: "example.invalid/worker" }) }],
      legacyTriggerRules,
    );
    expect(problems).toEqual([]);
    expect(standaloneProblems(set)).toEqual([
      {
        file: "jobs.yaml",
        doc: 1,
        kind: "ScaledJob",
        name: "batch",
        path: "spec.jobTargetRef.template.spec.containers[0].command",
        message: "required to run jobs as local processes (tidal run does not use the image)",
        severity: "error",
      },
    ]);
    const withCommand = readResources(
      [{ file: "jobs.yaml", doc: 1, value: scaledJob({ command: ["node", "job.js"] }) }],
      legacyTriggerRules,
    );
    expect(standaloneProblems(withCommand.set)).toEqual([]);
  });
});
