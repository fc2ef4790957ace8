import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { gcpCredentialParams, gcpCredentialProblems, triggerCredentialSource } from "./credentials.ts";
import { acquireMonitoring, stackdriverAggregation, type Aggregation } from "./monitoring.ts";

const params = {
  projectId: param.string({ description: "the Google Cloud project whose metrics are read" }),
  filter: param.string({
    description:
      'Cloud Monitoring filter of the time series, e.g. metric.type="storage.googleapis.com/storage/object_count"',
  }),
  targetValue: param.float({ default: 5, description: "target value per replica" }),
  activationTargetValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
  valueIfNull: param.float({
    optional: true,
    description: "value to use when no time series matches (default: an error)",
  }),
  filterDuration: param.int({
    optional: true,
    description: "minutes back from now that the read covers (default 2)",
  }),
  alignmentPeriodSeconds: param.int({
    optional: true,
    description:
      "aggregate each series over periods of this many seconds (at least 60); unset means no aggregation",
  }),
  alignmentAligner: param.string({
    optional: true,
    description:
      "per-series aligner with alignmentPeriodSeconds: none, delta, rate, mean, max, sum, percentile_99, …",
  }),
  alignmentReducer: param.string({
    optional: true,
    description:
      "cross-series reducer with alignmentPeriodSeconds: none, mean, min, max, sum, count, percentile_99, …",
  }),
  ...gcpCredentialParams,
};

/** KEDA's aggregation: only with alignmentPeriodSeconds; unknown aligners and reducers are errors. */
function aggregationOf(values: {
  alignmentPeriodSeconds?: number | undefined;
  alignmentAligner?: string | undefined;
  alignmentReducer?: string | undefined;
}): Aggregation | undefined {
  if (!values.alignmentPeriodSeconds) return undefined;
  return stackdriverAggregation(
    values.alignmentPeriodSeconds,
    values.alignmentAligner ?? "",
    values.alignmentReducer ?? "",
  );
}

export const gcpStackdriverScaler: ScalerDefinition<typeof params> = {
  type: "gcp-stackdriver",
  kedaScalerName: "stackdriverScaler",
  description:
    "The first point of the first time series a Cloud Monitoring (Stackdriver) filter selects. KEDA marks this scaler deprecated.",
  testedAgainst:
    "fake-gcp-monitoring (a loopback fake of Cloud Monitoring's documented REST API) and fake-gcp-metadata (of the GCE metadata server's)",
  example: {
    metadata: {
      projectId: "my-project",
      filter: 'metric.type="storage.googleapis.com/storage/object_count" resource.type="gcs_bucket"',
      targetValue: "100",
    },
    authParams: { GoogleApplicationCredentials: '{"type":"service_account", …}' },
    metricName: "s0-gcp-stackdriver-my-project",
  },
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const period = values.alignmentPeriodSeconds;
    if (period !== undefined && period !== 0 && period < 60) {
      problems.push({
        key: "alignmentPeriodSeconds",
        message: "alignmentPeriodSeconds must be at least 60",
        severity: "error",
      });
    } else {
      try {
        aggregationOf(values);
      } catch (error) {
        const key = /aligner/.test(String(error)) ? "alignmentAligner" : "alignmentReducer";
        problems.push({ key, message: (error as Error).message, severity: "error" });
      }
    }
    return [...problems, ...gcpCredentialProblems(values, context.podIdentity)];
  },
  metric: (values) => ({
    name: `gcp-stackdriver-${values.projectId}`,
    target: values.targetValue,
    activationTarget: values.activationTargetValue,
  }),
  connect(values, context) {
    const source = triggerCredentialSource(values, context.podIdentity);
    if (source === undefined) throw new Error("gcp-stackdriver trigger without credentials");
    const aggregation = aggregationOf(values);
    const lease = acquireMonitoring(context.pool, source, context.timeoutMs);
    return {
      async measure(signal) {
        const monitoring = await lease.client;
        const value = await monitoring.firstTimeSeriesValue(
          {
            filter: values.filter,
            projectId: await monitoring.projectOf(values.projectId),
            aggregation,
            valueIfNull: values.valueIfNull,
            filterDurationMinutes: values.filterDuration,
          },
          signal,
        );
        return { value, active: value > values.activationTargetValue };
      },
      close: () => lease.release(),
    };
  },
};
