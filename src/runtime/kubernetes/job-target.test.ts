import { describe, expect, it } from "vitest";
import { scaledJob } from "../../api/schema/scaled-job.ts";
import { jobManifest } from "./job-target.ts";

function object(labels: Record<string, string>, annotations: Record<string, string>) {
  const parsed = scaledJob.parse({
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledJob",
    metadata: { name: "batch", namespace: "shop", labels, annotations },
    spec: {
      jobTargetRef: { template: { spec: { containers: [{ name: "work", image: "example.invalid/w" }] } } },
      triggers: [{ type: "redis", metadata: {} }],
    },
  });
  return { ...parsed, metadata: { ...parsed.metadata, uid: "uid-7", generation: 3 } };
}

interface Manifest {
  metadata: { generateName: string; labels: Record<string, string>; annotations: Record<string, string> };
  spec: { template: { metadata: { labels: Record<string, string> }; spec: { restartPolicy: string } } };
}

describe("jobManifest", () => {
  it("labels and annotates a Job as KEDA does, the ScaledJob's own labels and annotations winning", () => {
    const job = jobManifest(
      object(
        { "app.kubernetes.io/managed-by": "Helm", team: "a", dropped: "x" },
        { "scaledjob.keda.sh/job-excluded-labels": "dropped", note: "n" },
      ),
      "0.1.0",
    ) as unknown as Manifest;
    expect(job.metadata.generateName).toBe("batch-");
    expect(job.metadata.labels).toEqual({
      "app.kubernetes.io/name": "batch",
      "app.kubernetes.io/version": "0.1.0",
      "app.kubernetes.io/part-of": "batch",
      "app.kubernetes.io/managed-by": "Helm",
      "scaledjob.keda.sh/name": "batch",
      team: "a",
    });
    expect(job.metadata.annotations).toEqual({
      "scaledjob.keda.sh/generation": "3",
      "scaledjob.keda.sh/job-excluded-labels": "dropped",
      note: "n",
    });
    expect(job.spec.template.metadata.labels).toEqual({ "scaledjob.keda.sh/name": "batch" });
    expect(job.spec.template.spec.restartPolicy).toBe("OnFailure");
  });
});
