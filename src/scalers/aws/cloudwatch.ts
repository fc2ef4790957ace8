import type { GetMetricDataCommandInput } from "@aws-sdk/client-cloudwatch";
import { awsErrorMessage } from "../../auth/identity/aws.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { acquireAwsClient, awsParams, awsProblems } from "./common.ts";

const params = {
  namespace: param.string({
    optional: true,
    description: "metric namespace, e.g. AWS/SQS (unless expression)",
  }),
  metricName: param.string({ optional: true, description: "metric name (unless expression)" }),
  dimensionName: param.string({
    optional: true,
    description: "dimension names separated by ; (unless expression)",
  }),
  dimensionValue: param.string({
    optional: true,
    description: "dimension values separated by ;, one per name (unless expression)",
  }),
  expression: param.string({
    optional: true,
    description: "a Metrics Insights query or metric math expression instead of one metric",
  }),
  targetMetricValue: param.float({ description: "target value per replica" }),
  activationTargetMetricValue: param.float({
    default: 0,
    description: "active when the value is greater than this",
  }),
  minMetricValue: param.float({ description: "the value used when CloudWatch returns no data" }),
  ignoreNullValues: param.bool({
    default: true,
    description: "read no data as minMetricValue (false: no data is an error)",
  }),
  metricCollectionTime: param.int({
    default: 300,
    description: "seconds of data to query, a multiple of metricStatPeriod",
  }),
  metricStat: param.string({ default: "Average", description: "statistic, e.g. Average, Sum, p99" }),
  metricUnit: param.string({ optional: true, description: "unit of the metric, e.g. Count" }),
  metricStatPeriod: param.int({
    default: 300,
    description: "period of each data point in seconds: 1, 5, 10, 30, 60 or a multiple of 60",
  }),
  metricEndTimeOffset: param.int({
    default: 0,
    description: "seconds before now where the queried window ends",
  }),
  awsAccountId: param.string({ optional: true, description: "account of the metric (cross-account)" }),
  ...awsParams,
};

/** CloudWatch's StandardUnit values. */
export const CLOUDWATCH_UNITS = [
  "Seconds",
  "Microseconds",
  "Milliseconds",
  "Bytes",
  "Kilobytes",
  "Megabytes",
  "Gigabytes",
  "Terabytes",
  "Bits",
  "Kilobits",
  "Megabits",
  "Gigabits",
  "Terabits",
  "Percent",
  "Count",
  "Bytes/Second",
  "Kilobytes/Second",
  "Megabytes/Second",
  "Gigabytes/Second",
  "Terabytes/Second",
  "Bits/Second",
  "Kilobits/Second",
  "Megabits/Second",
  "Gigabits/Second",
  "Terabits/Second",
  "Count/Second",
  "None",
] as const;

/** A `;`-separated metadata list, as KEDA splits it; undefined when the key is not set. */
function splitList(text: string | undefined): string[] | undefined {
  return text === undefined ? undefined : text.split(";").map((item) => item.trim());
}

function metricStatPeriodProblem(period: number): string | undefined {
  if (period < 1) return `metricStatPeriod can not be smaller than 1, however, ${period} is provided`;
  if (period <= 60) {
    return [1, 5, 10, 30, 60].includes(period)
      ? undefined
      : `metricStatPeriod < 60 has to be one of [1, 5, 10, 30], however, ${period} is provided`;
  }
  return period % 60 === 0
    ? undefined
    : `metricStatPeriod >= 60 has to be a multiple of 60, however, ${period} is provided`;
}

/** Milliseconds from Go's zero time (January 1, year 1, UTC) to the Unix epoch. */
const GO_ZERO_TIME_MS = 62_135_596_800_000;

/**
 * KEDA's query window: it ends `endOffset` seconds before now, rounded down to a multiple of the
 * period (Go's Time.Truncate, which counts from year 1), and spans `collectionTime` seconds.
 */
export function cloudwatchQueryWindow(
  nowMs: number,
  periodSeconds: number,
  endOffsetSeconds: number,
  collectionSeconds: number,
): { start: Date; end: Date } {
  const periodMs = periodSeconds * 1000;
  const sinceZero = nowMs - endOffsetSeconds * 1000 + GO_ZERO_TIME_MS;
  const endMs =
    periodMs > 0 ? sinceZero - (sinceZero % periodMs) - GO_ZERO_TIME_MS : sinceZero - GO_ZERO_TIME_MS;
  return { start: new Date(endMs - collectionSeconds * 1000), end: new Date(endMs) };
}

interface CloudwatchQuery {
  namespace?: string | undefined;
  metricName?: string | undefined;
  dimensionName?: string | undefined;
  dimensionValue?: string | undefined;
  expression?: string | undefined;
  metricStat: string;
  metricUnit?: string | undefined;
  metricStatPeriod: number;
  metricEndTimeOffset: number;
  metricCollectionTime: number;
  awsAccountId?: string | undefined;
}

/** KEDA's GetMetricData request: one query, newest data point first. */
export function cloudwatchRequest(values: CloudwatchQuery, nowMs: number): GetMetricDataCommandInput {
  const { start, end } = cloudwatchQueryWindow(
    nowMs,
    values.metricStatPeriod,
    values.metricEndTimeOffset,
    values.metricCollectionTime,
  );
  const account = values.awsAccountId ? { AccountId: values.awsAccountId } : {};
  if (values.expression) {
    return {
      StartTime: start,
      EndTime: end,
      ScanBy: "TimestampDescending",
      MetricDataQueries: [
        { Expression: values.expression, Id: "q1", Period: values.metricStatPeriod, ...account },
      ],
    };
  }
  const names = splitList(values.dimensionName) ?? [];
  const dimensionValues = splitList(values.dimensionValue) ?? [];
  return {
    StartTime: start,
    EndTime: end,
    ScanBy: "TimestampDescending",
    MetricDataQueries: [
      {
        Id: "c1",
        MetricStat: {
          Metric: {
            Namespace: values.namespace,
            MetricName: values.metricName,
            Dimensions: names.map((name, index) => ({ Name: name, Value: dimensionValues[index] })),
          },
          Period: values.metricStatPeriod,
          Stat: values.metricStat,
          ...(values.metricUnit ? { Unit: values.metricUnit as never } : {}),
        },
        ReturnData: true,
        ...account,
      },
    ],
  };
}

/**
 * The value KEDA reads from GetMetricData's answer: the first (newest) value of the first result;
 * no data is minMetricValue, or an error when ignoreNullValues is false.
 */
export function cloudwatchValue(
  results: readonly { Values?: number[] | undefined }[] | undefined,
  values: { ignoreNullValues: boolean; minMetricValue: number },
): number {
  const first = results?.[0];
  if (first !== undefined && (first.Values ?? []).length === 0 && !values.ignoreNullValues) {
    throw new Error(
      "empty metric data received, ignoreNullValues is false (set it to true to read no data as minMetricValue)",
    );
  }
  const value = first?.Values?.[0];
  return value === undefined ? values.minMetricValue : value;
}

export const awsCloudwatchScaler: ScalerDefinition<typeof params> = {
  type: "aws-cloudwatch",
  testedAgainst: "moto (AWS CloudWatch API)",
  example: {
    metadata: {
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensionName: "QueueName",
      dimensionValue: "orders",
      targetMetricValue: "10",
      minMetricValue: "0",
      awsRegion: "eu-west-1",
    },
    authParams: { awsAccessKeyID: "AKIAEXAMPLE", awsSecretAccessKey: "example" },
    metricName: "s0-aws-cloudwatch",
  },
  kedaScalerName: "awsCloudwatchScaler",
  description: "Latest value of a CloudWatch metric or metric query.",
  params,
  validate(values, context) {
    const problems: ParamProblem[] = [];
    const error = (key: string, message: string) => problems.push({ key, message, severity: "error" });
    if (!values.expression) {
      const names = splitList(values.dimensionName);
      const dimensionValues = splitList(values.dimensionValue);
      if (!values.namespace) error("namespace", "namespace not given: set it, or use expression");
      else if (!values.metricName)
        error("metricName", "metric name not given: set metricName, or use expression");
      else if (names === undefined) error("dimensionName", "dimension name not given: set dimensionName");
      else if (dimensionValues === undefined)
        error("dimensionValue", "dimension value not given: set dimensionValue");
      else if (names.length !== dimensionValues.length) {
        error(
          "dimensionValue",
          `dimensionName and dimensionValue are not matching in size (${names.length} names, ${dimensionValues.length} values)`,
        );
      } else if (values.metricUnit && !(CLOUDWATCH_UNITS as readonly string[]).includes(values.metricUnit)) {
        error("metricUnit", `metricUnit '${values.metricUnit}' is not one of ${CLOUDWATCH_UNITS.join(", ")}`);
      }
    }
    const periodProblem = metricStatPeriodProblem(values.metricStatPeriod);
    if (periodProblem) error("metricStatPeriod", periodProblem);
    else if (values.metricCollectionTime < 0 || values.metricCollectionTime % values.metricStatPeriod !== 0) {
      error(
        "metricCollectionTime",
        `metricCollectionTime must be greater than 0 and a multiple of metricStatPeriod(${values.metricStatPeriod}), ${values.metricCollectionTime} is given`,
      );
    }
    return [...problems, ...awsProblems(values, context)];
  },
  metric: (values) => ({
    name: "aws-cloudwatch",
    target: values.targetMetricValue,
    activationTarget: values.activationTargetMetricValue,
  }),
  connect(values, context) {
    const lease = acquireAwsClient(
      {
        id: "CLOUDWATCH",
        create: async (config) => new (await import("@aws-sdk/client-cloudwatch")).CloudWatchClient(config),
      },
      values,
      context,
    );
    return {
      async measure(signal) {
        const { client } = await lease.client;
        const { GetMetricDataCommand } = await import("@aws-sdk/client-cloudwatch");
        let results;
        try {
          const answer = await client.send(new GetMetricDataCommand(cloudwatchRequest(values, Date.now())), {
            abortSignal: signal,
          });
          results = answer.MetricDataResults;
        } catch (error) {
          throw new Error(`CloudWatch GetMetricData: ${awsErrorMessage(error)}`, { cause: error });
        }
        const value = cloudwatchValue(results, values);
        return { value, active: value > values.activationTargetMetricValue };
      },
      close: () => lease.release(),
    };
  },
};
