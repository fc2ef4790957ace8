import type { ScaledJob } from "../../api/schema/scaled-job.ts";
import type { JobTarget } from "../job-loop.ts";
import { resourcePath, type KubeClient } from "./kube-api.ts";
import { KEDA_API_VERSION, SCALED_JOB_LABEL } from "../../api/names.ts";

const GENERATION_ANNOTATION = "scaledjob.keda.sh/generation";
const EXCLUDED_LABELS_ANNOTATION = "scaledjob.keda.sh/job-excluded-labels";

interface JobCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

interface Job {
  metadata: { name: string; labels?: Record<string, string>; creationTimestamp?: string };
  status?: { conditions?: JobCondition[]; completionTime?: string };
}

interface Pod {
  metadata: { labels?: Record<string, string> };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

const finished = (job: Job, type: "Complete" | "Failed") =>
  job.status?.conditions?.some((condition) => condition.type === type && condition.status === "True") ??
  false;

/** When a finished job finished: completionTime, else its Failed condition's time. */
function finishedAt(job: Job): number {
  const failed = job.status?.conditions?.find(
    (condition) => condition.type === "Failed" && condition.status === "True",
  );
  return (
    Date.parse(
      job.status?.completionTime ?? failed?.lastTransitionTime ?? job.metadata.creationTimestamp ?? "",
    ) || 0
  );
}

/** The batch/v1 Job KEDA creates for a ScaledJob. */
export function jobManifest(
  object: ScaledJob & { metadata: { uid?: string; generation?: number } },
  version: string,
): Record<string, unknown> {
  const { metadata, spec } = object;
  const excluded = new Set(
    (metadata.annotations?.[EXCLUDED_LABELS_ANNOTATION] ?? "").split(",").map((label) => label.trim()),
  );
  // The ScaledJob's own labels and annotations win over KEDA's, as in KEDA.
  const labels = {
    "app.kubernetes.io/name": metadata.name,
    "app.kubernetes.io/version": version,
    "app.kubernetes.io/part-of": metadata.name,
    "app.kubernetes.io/managed-by": "keda-operator",
    [SCALED_JOB_LABEL]: metadata.name,
    ...Object.fromEntries(Object.entries(metadata.labels ?? {}).filter(([key]) => !excluded.has(key))),
  };
  const template = spec.jobTargetRef.template as {
    metadata?: { labels?: Record<string, string> };
    spec: { restartPolicy?: string };
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      generateName: `${metadata.name}-`,
      namespace: metadata.namespace ?? "default",
      labels,
      annotations: { [GENERATION_ANNOTATION]: String(metadata.generation ?? 1), ...metadata.annotations },
      ownerReferences: [
        {
          apiVersion: KEDA_API_VERSION,
          kind: "ScaledJob",
          name: metadata.name,
          uid: metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      ...spec.jobTargetRef,
      template: {
        ...template,
        metadata: {
          ...template.metadata,
          labels: { ...template.metadata?.labels, [SCALED_JOB_LABEL]: metadata.name },
        },
        spec: { ...template.spec, restartPolicy: template.spec.restartPolicy || "OnFailure" },
      },
    },
  };
}

/**
 * A ScaledJob's batch/v1 Jobs, created and counted as KEDA does: generateName `<name>-`, KEDA's
 * labels and annotations, a controller reference to the ScaledJob, and history cleanup of
 * finished jobs beyond the limits (oldest first, background propagation).
 */
export class KubernetesJobTarget implements JobTarget {
  readonly #api: KubeClient;
  readonly #object: ScaledJob & { metadata: { uid?: string; generation?: number } };
  readonly #version: string;

  constructor(
    api: KubeClient,
    object: ScaledJob & { metadata: { uid?: string; generation?: number } },
    version: string,
  ) {
    this.#api = api;
    this.#object = object;
    this.#version = version;
  }

  get #namespace(): string {
    return this.#object.metadata.namespace ?? "default";
  }

  get #selector(): string {
    return encodeURIComponent(`${SCALED_JOB_LABEL}=${this.#object.metadata.name}`);
  }

  async #jobs(): Promise<Job[]> {
    const list = await this.#api.get<{ items: Job[] }>(
      `${resourcePath("batch/v1", "jobs", this.#namespace)}?labelSelector=${this.#selector}`,
    );
    return list.items;
  }

  async counts(): Promise<{ running: number; pending: number }> {
    const running = (await this.#jobs()).filter(
      (job) => !finished(job, "Complete") && !finished(job, "Failed"),
    );
    if (running.length === 0) return { running: 0, pending: 0 };
    const pods = await this.#api.get<{ items: Pod[] }>(
      `${resourcePath("v1", "pods", this.#namespace)}?labelSelector=${this.#selector}`,
    );
    const conditions = this.#object.spec.scalingStrategy.pendingPodConditions ?? [];
    const started = (pod: Pod) =>
      conditions.length > 0
        ? conditions.every((type) =>
            pod.status?.conditions?.some(
              (condition) => condition.type === type && condition.status === "True",
            ),
          )
        : pod.status?.phase === "Running" || pod.status?.phase === "Succeeded";
    const pending = running.filter(
      (job) =>
        !pods.items.some(
          (pod) =>
            (pod.metadata.labels?.["batch.kubernetes.io/job-name"] ?? pod.metadata.labels?.["job-name"]) ===
              job.metadata.name && started(pod),
        ),
    );
    return { running: running.length, pending: pending.length };
  }

  async createJobs(count: number): Promise<string[]> {
    const names: string[] = [];
    for (let index = 0; index < count; index += 1) {
      const job = await this.#api.create<Job>(
        resourcePath("batch/v1", "jobs", this.#namespace),
        jobManifest(this.#object, this.#version),
      );
      names.push(job.metadata.name);
    }
    return names;
  }

  async cleanupHistory(): Promise<void> {
    const jobs = await this.#jobs();
    const { successfulJobsHistoryLimit, failedJobsHistoryLimit } = this.#object.spec;
    for (const [type, limit] of [
      ["Complete", successfulJobsHistoryLimit],
      ["Failed", failedJobsHistoryLimit],
    ] as const) {
      const done = jobs.filter((job) => finished(job, type)).sort((a, b) => finishedAt(a) - finishedAt(b));
      for (const job of done.slice(0, Math.max(0, done.length - limit))) {
        await this.#api.delete(resourcePath("batch/v1", "jobs", this.#namespace, job.metadata.name), {
          apiVersion: "v1",
          kind: "DeleteOptions",
          propagationPolicy: "Background",
        });
      }
    }
  }
}
