import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { gcpCredentialParams, gcpCredentialProblems, triggerCredentialSource } from "./credentials.ts";
import { acquireMonitoring } from "./monitoring.ts";

const params = {
  queueName: param.string({ description: "the Cloud Tasks queue id" }),
  projectID: param.string({ description: "the Google Cloud project of the queue" }),
  value: param.float({ default: 100, description: "target number of tasks in the queue per replica" }),
  activationValue: param.float({ default: 0, description: "active when the depth is greater than this" }),
  filterDuration: param.int({
    optional: true,
    description: "minutes back from now that the read covers (default 2)",
  }),
  ...gcpCredentialParams,
};

/** KEDA's escaping of a value inside a filter's double quotes. */
export function escapeFilterValue(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"');
}

export const gcpCloudTasksScaler: ScalerDefinition<typeof params> = {
  type: "gcp-cloudtasks",
  kedaScalerName: "gcpCloudTasksScaler",
  description:
    "Depth of a Google Cloud Tasks queue (cloudtasks.googleapis.com/queue/depth from Cloud Monitoring). KEDA marks this scaler deprecated.",
  testedAgainst:
    "fake-gcp-monitoring (a loopback fake of Cloud Monitoring's documented REST API) and fake-gcp-metadata (of the GCE metadata server's)",
  example: {
    metadata: { queueName: "emails", projectID: "my-project", value: "50" },
    authParams: { GoogleApplicationCredentials: '{"type":"service_account", …}' },
    metricName: "s0-gcp-ct-emails",
  },
  params,
  validate: (values, context) => gcpCredentialProblems(values, context.podIdentity),
  metric: (values) => ({
    name: `gcp-ct-${values.queueName}`,
    target: values.value,
    activationTarget: values.activationValue,
  }),
  connect(values, context) {
    const source = triggerCredentialSource(values, context.podIdentity);
    if (source === undefined) throw new Error("gcp-cloudtasks trigger without credentials");
    const filter = `metric.type="cloudtasks.googleapis.com/queue/depth" AND resource.labels.queue_id="${escapeFilterValue(values.queueName)}"`;
    const lease = acquireMonitoring(context.pool, source, context.timeoutMs);
    return {
      async measure(signal) {
        const monitoring = await lease.client;
        const value = await monitoring.firstTimeSeriesValue(
          {
            filter,
            projectId: await monitoring.projectOf(values.projectID),
            filterDurationMinutes: values.filterDuration,
          },
          signal,
        );
        return { value, active: value > values.activationValue };
      },
      close: () => lease.release(),
    };
  },
};
