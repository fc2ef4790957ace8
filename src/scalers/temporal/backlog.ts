/**
 * The pure parts of KEDA's temporal scaler: which mode a trigger is in, which task queue types it
 * asks about, how it sums backlogs, and the visibility query that counts running workflows.
 */

/** Temporal's TaskQueueType enum values (temporal.api.enums.v1). */
export const TASK_QUEUE_TYPE = { unspecified: 0, workflow: 1, activity: 2, nexus: 3 } as const;

/** Temporal's WorkerDeploymentVersionStatus enum values. */
export const VERSION_STATUS = {
  unspecified: 0,
  inactive: 1,
  current: 2,
  ramping: 3,
  draining: 4,
  drained: 5,
} as const;

export type ScalerMode = "deployment-version" | "build-id" | "unversioned";

export interface ModeFields {
  workerDeploymentName?: string | undefined;
  buildId?: string | undefined;
  selectAllActive: boolean;
  selectUnversioned: boolean;
}

export function scalerMode(values: ModeFields): ScalerMode {
  if (values.workerDeploymentName) return "deployment-version";
  if (values.buildId || values.selectAllActive || values.selectUnversioned) return "build-id";
  return "unversioned";
}

/** Which credentials a trigger connects with (KEDA's authType, for logs and messages). */
export function authType(values: { apiKey?: string | undefined; cert?: string | undefined }): string {
  if (values.apiKey) return "apiKey";
  if (values.cert) return "mtls";
  return "none";
}

/**
 * The task queue types to ask about: the named ones (a name KEDA does not know becomes the
 * unspecified type, as in KEDA), or activity, workflow and nexus when none are named.
 */
export function queueTypes(names: readonly string[] | undefined): number[] {
  if (!names || names.length === 0)
    return [TASK_QUEUE_TYPE.activity, TASK_QUEUE_TYPE.workflow, TASK_QUEUE_TYPE.nexus];
  return names.map((name) =>
    name === "workflow" || name === "activity" || name === "nexus"
      ? TASK_QUEUE_TYPE[name]
      : TASK_QUEUE_TYPE.unspecified,
  );
}

/** A protobuf int64 (a Long, a number or absent) as a number. */
export function int64(value: unknown): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "number") return value;
  const long = value as { toNumber?: () => number };
  return typeof long.toNumber === "function" ? long.toNumber() : Number(value);
}

export interface VersionTaskQueue {
  name?: string | null;
  type?: number | null;
  stats?: { approximateBacklogCount?: unknown } | null;
}

/**
 * KEDA's sumDeploymentBacklog: the backlog of a deployment version's task queues, only those of
 * `taskQueueName` (when given) and of the named types (when any are named; unknown names match none).
 */
export function sumDeploymentBacklog(
  taskQueues: readonly VersionTaskQueue[],
  taskQueueName: string,
  allowedQueueTypes: readonly string[] | undefined,
): number {
  const allowed =
    allowedQueueTypes && allowedQueueTypes.length > 0
      ? new Set<number>(
          allowedQueueTypes
            .filter((name) => name === "workflow" || name === "activity" || name === "nexus")
            .map((name) => TASK_QUEUE_TYPE[name as "workflow" | "activity" | "nexus"]),
        )
      : undefined;
  let total = 0;
  for (const queue of taskQueues) {
    if (allowed && !allowed.has(queue.type ?? 0)) continue;
    if (taskQueueName !== "" && queue.name !== taskQueueName) continue;
    if (queue.stats) total += int64(queue.stats.approximateBacklogCount);
  }
  return total;
}

/** Values Temporal's visibility queries accept as literals (KEDA refuses others to prevent injection). */
export const VISIBILITY_LITERAL = /^[a-zA-Z0-9\-_./:]+$/;

/** KEDA's query for running workflows that keep an otherwise idle trigger active. */
export function runningWorkflowCountQuery(values: {
  taskQueue: string;
  workflowTaskQueueForCount?: string | undefined;
  workerDeploymentName?: string | undefined;
  workerDeploymentBuildId?: string | undefined;
  buildId?: string | undefined;
  selectAllActive: boolean;
  selectUnversioned: boolean;
}): string {
  const taskQueue = values.workflowTaskQueueForCount || values.taskQueue;
  if (!VISIBILITY_LITERAL.test(taskQueue)) {
    throw new Error(`task queue name "${taskQueue}" contains characters not allowed in visibility queries`);
  }
  const query = `ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue}'`;
  switch (scalerMode(values)) {
    case "deployment-version": {
      const name = values.workerDeploymentName ?? "";
      const build = values.workerDeploymentBuildId ?? "";
      if (!VISIBILITY_LITERAL.test(name) || !VISIBILITY_LITERAL.test(build)) {
        throw new Error(
          "workerDeploymentName/workerDeploymentBuildId contain characters not allowed in visibility queries",
        );
      }
      return `${query} AND TemporalWorkerDeploymentVersion = '${name}:${build}'`;
    }
    case "build-id":
      return query;
    case "unversioned":
      return `${query} AND TemporalWorkerDeploymentVersion is null`;
  }
}
