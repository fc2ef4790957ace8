import { expect } from "vitest";
import {
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import {
  authType,
  scalerMode,
  sumDeploymentBacklog,
  TASK_QUEUE_TYPE,
  type VersionTaskQueue,
} from "./backlog.ts";

const FILE = "temporal_scaler_test.json";

runParseVectors({ file: FILE, table: "testTemporalMetadata", type: "temporal" });

/** KEDA's wantMeta (Go field names) as Tidal's parameters. */
const FIELDS: Record<string, string> = {
  Endpoint: "endpoint",
  Namespace: "namespace",
  TaskQueue: "taskQueue",
  TargetQueueSize: "targetQueueSize",
  ActivationTargetQueueSize: "activationTargetQueueSize",
  MinConnectTimeout: "minConnectTimeout",
  AllActive: "selectAllActive",
  Unversioned: "selectUnversioned",
  QueueTypes: "queueTypes",
  APIKey: "apiKey",
  TLSServerName: "tlsServerName",
  CA: "ca",
  Cert: "cert",
  Key: "key",
  KeyPassword: "keyPassword",
};

runParseVectors({
  file: FILE,
  table: "TestParseTemporalMetadata.cases",
  type: "temporal",
  kedaError: (row) => Boolean(row.wantErr),
  expect: (row) => ({
    params: Object.fromEntries(
      Object.entries(row.wantMeta as Record<string, unknown>).map(([field, value]) => [
        FIELDS[field] ?? field,
        value,
      ]),
    ),
  }),
});

runParseVectors({
  file: FILE,
  table: "temporalMetricIdentifiers",
  type: "temporal",
  inputs: (row) => ({
    metadata: stringMap((row.metadataTestData as KedaRow).metadata),
    index: Number(row.triggerIndex),
  }),
  kedaError: (row) => Boolean((row.metadataTestData as KedaRow).isError),
  expect: (row) => ({ metricName: String(row.name), target: 5 }),
});

const modeFields = (meta: Record<string, unknown>) => ({
  workerDeploymentName: meta.WorkerDeploymentName as string | undefined,
  buildId: meta.BuildID as string | undefined,
  selectAllActive: Boolean(meta.AllActive),
  selectUnversioned: Boolean(meta.Unversioned),
});

runValueVectors(FILE, "TestScalerMode.cases", {}, (row) => {
  expect(scalerMode(modeFields(row.meta as Record<string, unknown>))).toBe(row.want);
});

runValueVectors(FILE, "TestAuthType.cases", {}, (row) => {
  const meta = row.meta as Record<string, string | undefined>;
  expect(authType({ apiKey: meta.APIKey, cert: meta.Cert })).toBe(row.want);
});

/** enumspb.TASK_QUEUE_TYPE_* as written in KEDA's test. */
function queueType(value: unknown): number {
  const name = String((value as { $unevaluated?: string }).$unevaluated ?? "").replace(
    "enumspb.TASK_QUEUE_TYPE_",
    "",
  );
  return TASK_QUEUE_TYPE[name.toLowerCase() as keyof typeof TASK_QUEUE_TYPE] ?? 0;
}

runValueVectors(FILE, "TestSumDeploymentBacklog.cases", {}, (row) => {
  const taskQueues: VersionTaskQueue[] = (row.taskQueues as Record<string, unknown>[]).map((queue) => ({
    name: queue.Name as string,
    type: queueType(queue.Type),
    stats: queue.Stats
      ? {
          approximateBacklogCount: (queue.Stats as { ApproximateBacklogCount: number })
            .ApproximateBacklogCount,
        }
      : null,
  }));
  expect(
    sumDeploymentBacklog(taskQueues, String(row.taskQueueName ?? ""), row.queueTypes as string[] | undefined),
  ).toBe(row.want);
});
