import { describe, expect, it } from "vitest";
import { scaledJob } from "../api/schema/scaled-job.ts";
import { metricSpec } from "../engine/test-fixtures.ts";
import { simulateScaledJob } from "./scaled-job.ts";

const JOB = scaledJob.parse({
  apiVersion: "keda.sh/v1alpha1",
  kind: "ScaledJob",
  metadata: { name: "import", namespace: "default" },
  spec: {
    jobTargetRef: { template: { spec: { containers: [{ name: "worker", image: "worker:1" }] } } },
    maxReplicaCount: 10,
    triggers: [{ type: "redis", name: "queue", metadata: {} }],
  },
});

describe("simulateScaledJob", () => {
  it("creates Jobs each poll by KEDA's default strategy and lets them complete (golden)", () => {
    // pollingInterval 30 s (the default), 5 items per Job, Jobs run 45 s; the queue is 20 until t=90.
    // t=0: maxScale ceil(20 / 5) = 4, none running: create 4 (done at 45). t=30: 4 running, create 0.
    // t=60: none running, create 4 (done at 105). t=90: the queue is empty: inactive. t=120: none.
    const result = simulateScaledJob({
      scaledJob: JOB,
      metricSpecs: [metricSpec({ name: "queue", target: 5 })],
      trace: {
        columns: ["queue"],
        rows: [
          { t: 0, cells: [20] },
          { t: 90, cells: [0] },
        ],
      },
      jobSeconds: 45,
      durationSeconds: 150,
    });
    expect(result.steps.map((step) => [step.t, step.created, step.replicas, step.active])).toEqual([
      [0, 4, 4, true],
      [30, 0, 4, true],
      [60, 4, 4, true],
      [90, 0, 4, false],
      [120, 0, 0, false],
    ]);
    expect(result.summary).toEqual({ jobsCreated: 8, maxRunning: 4, jobSeconds: 360 });
    expect(result.metricColumns).toEqual(["queue"]);
    expect(result.steps[0]?.metrics).toEqual({ queue: 20 });
  });

  it("counts a Job cut off by the end only up to the end", () => {
    const result = simulateScaledJob({
      scaledJob: JOB,
      metricSpecs: [metricSpec({ name: "queue", target: 5 })],
      trace: { columns: ["s0"], rows: [{ t: 0, cells: [5] }] },
      jobSeconds: 100,
      durationSeconds: 40,
    });
    expect(result.summary).toEqual({ jobsCreated: 1, maxRunning: 1, jobSeconds: 40 });
  });
});
