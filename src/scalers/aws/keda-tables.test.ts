/**
 * KEDA's own test tables for its AWS scalers (pkg/scalers/aws_*_scaler_test.go), from the data
 * extracted in test/conformance/keda/: the metadata, authentication parameters, environments and
 * pod identities KEDA's tests give, and what they expect. Rows where Tidal deliberately differs
 * would be listed per table with the reason (see docs/keda-differences.md); none does.
 */
import { expect } from "vitest";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import { awsAuthorization, type AwsAuthorization } from "../../auth/identity/aws.ts";
import {
  kedaVar,
  plain,
  prepareRow,
  rowInputs,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
  type VectorInputs,
} from "../../../test/support/keda-vectors.ts";
import type { PreparedTrigger } from "../prepared-trigger.ts";
import { cloudwatchQueryWindow, cloudwatchRequest, cloudwatchValue } from "./cloudwatch.ts";
import { dynamoAttributeNames, dynamoAttributeValues } from "./dynamodb.ts";
import { sqsAttributeNames, sqsQueueLength } from "./sqs.ts";

const SQS = "aws_sqs_queue_scaler_test.json";
const DYNAMO = "aws_dynamodb_scaler_test.json";
const STREAMS = "aws_dynamodb_streams_scaler_test.json";
const KINESIS = "aws_kinesis_stream_scaler_test.json";
const CLOUDWATCH = "aws_cloudwatch_scaler_test.json";

/** KEDA's mocked SQS answers (TestAWSSQSScalerGetMetrics): 200 visible, 100 in flight, 50 delayed. */
const SQS_MOCK_ATTRIBUTES: Record<string, Record<string, string>> = {
  "https://sqs.eu-west-1.amazonaws.com/account_id/BadData": {
    ApproximateNumberOfMessages: "NotInt",
    ApproximateNumberOfMessagesNotVisible: "NotInt",
  },
};
const SQS_MOCK_DEFAULT = {
  ApproximateNumberOfMessages: "200",
  ApproximateNumberOfMessagesNotVisible: "100",
  ApproximateNumberOfMessagesDelayed: "50",
};

/** KEDA's mocked CloudWatch answers (TestAWSCloudwatchScalerGetMetrics), by metric name. */
const CLOUDWATCH_MOCK: Record<string, { Values?: number[] }[]> = {
  NoValue: [],
  EmptyValues: [{ Values: [] }],
};

/** KEDA's AuthPodIdentity as Tidal's podIdentity; provider none is no pod identity. */
function podIdentityOf(value: unknown): { podIdentity?: PodIdentity } {
  const identity = plain(value) as { Provider?: string; RoleArn?: string; ExternalID?: string } | null;
  if (!identity?.Provider || identity.Provider === "none") return {};
  return {
    podIdentity: {
      provider: identity.Provider as PodIdentity["provider"],
      ...(identity.RoleArn !== undefined ? { roleArn: identity.RoleArn } : {}),
      ...(identity.ExternalID !== undefined ? { externalID: identity.ExternalID } : {}),
    },
  };
}

/** A row with KEDA's fixed environment for the test and the row's pod identity. */
function inputsWith(resolvedEnv: Record<string, string>, index?: (row: KedaRow) => number) {
  return (row: KedaRow): VectorInputs => ({
    ...rowInputs(row),
    resolvedEnv: { ...resolvedEnv, ...stringMap(row.resolvedEnv) },
    ...podIdentityOf(row.podIdentity),
    ...(index ? { index: index(row) } : {}),
  });
}

/** KEDA's awsAuthorization as the identity Tidal decides. */
function kedaAuthorization(value: unknown): AwsAuthorization {
  const auth = plain(value) as Record<string, string | boolean>;
  if (auth.AwsAccessKeyID) {
    return {
      kind: "keys",
      accessKeyId: String(auth.AwsAccessKeyID),
      secretAccessKey: String(auth.AwsSecretAccessKey),
      ...(auth.AwsSessionToken ? { sessionToken: String(auth.AwsSessionToken) } : {}),
    };
  }
  return { kind: "tidal", ...(auth.AwsRoleArn ? { assumeRoleArn: String(auth.AwsRoleArn) } : {}) };
}

/** The identity Tidal decides for a prepared trigger, as the scalers do. */
function identityOf(prepared: PreparedTrigger, inputs: VectorInputs) {
  const text = (key: string) => prepared.params[key] as string | undefined;
  return awsAuthorization({
    podIdentity: inputs.podIdentity,
    identityOwner: text("identityOwner"),
    roleArn: text("awsRoleArn"),
    accessKeyId: text("awsAccessKeyID"),
    secretAccessKey: text("awsSecretAccessKey"),
    sessionToken: text("awsSessionToken"),
  });
}

/** KEDA's parsed metadata fields, in Tidal's parameter names. */
const PARAM_OF: Record<string, string> = {
  TableName: "tableName",
  StreamName: "streamName",
  AwsRegion: "awsRegion",
  AwsEndpoint: "awsEndpoint",
  KeyConditionExpression: "keyConditionExpression",
  IndexName: "indexName",
  FilterExpression: "filterExpression",
  TargetValue: "targetValue",
  ActivationTargetValue: "activationTargetValue",
  TargetShardCount: "shardCount",
  ActivationTargetShardCount: "activationShardCount",
};

/** What KEDA's parse tests compare (the whole parsed metadata), where Tidal has it. */
function parsedFacts(expected: unknown, inputs: VectorInputs) {
  const want = plain(expected) as Record<string, unknown> | null;
  if (!want || Object.keys(want).length === 0) return undefined;
  const params = Object.fromEntries(
    Object.entries(PARAM_OF)
      .filter(([field]) => field in want)
      .map(([field, key]) => [key, want[field]]),
  );
  return {
    params,
    ...(want.metricName !== undefined ? { metricName: String(want.metricName) } : {}),
    check: (prepared: PreparedTrigger) => {
      expect(identityOf(prepared, inputs)).toEqual(kedaAuthorization(want.awsAuthorization));
      if (want.expressionAttributeNames) {
        expect(dynamoAttributeNames(prepared.params.expressionAttributeNames as string)).toEqual(
          want.expressionAttributeNames,
        );
      }
      if (want.expressionAttributeValues) {
        // KEDA's attribute values are SDK members ({Value}); Tidal's the JSON form ({N: …}).
        const values = dynamoAttributeValues(prepared.params.expressionAttributeValues as string);
        const asMembers = Object.fromEntries(
          Object.entries(values as unknown as Record<string, Record<string, unknown>>).map(
            ([name, member]) => [name, { Value: Object.values(member)[0] }],
          ),
        );
        expect(asMembers).toEqual(want.expressionAttributeValues);
      }
    },
  };
}

// aws-sqs-queue

const sqsInputs = inputsWith({});

runParseVectors({ file: SQS, table: "testAWSSQSMetadata", type: "aws-sqs-queue", inputs: sqsInputs });

runParseVectors({
  file: SQS,
  table: "awsSQSMetricIdentifiers",
  type: "aws-sqs-queue",
  inputs: (row) => ({ ...sqsInputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

runParseVectors({
  file: SQS,
  table: "TestQueueURLFromEnvResolution.testCases",
  type: "aws-sqs-queue",
  inputs: (row) => ({
    metadata: stringMap(row.metadata),
    resolvedEnv: stringMap(row.resolvedEnv),
    authParams: stringMap(kedaVar(SQS, "testAWSSQSAuthentication")),
  }),
  kedaError: (row) => Boolean(row.expectError),
  expect: (row) => ({ params: { queueURL: row.expectedURL } }),
});

runValueVectors(SQS, "TestProcessQueueLengthFromSqsQueueAttributesOutput.tests", {}, (row) => {
  const names = sqsAttributeNames({ scaleOnInFlight: true, scaleOnDelayed: true });
  const attributes = stringMap((row.attributes as { Attributes?: unknown }).Attributes);
  if (row.errExpected) expect(() => sqsQueueLength(attributes, names)).toThrow();
  else expect(sqsQueueLength(attributes, names)).toBe(row.expected);
});

runValueVectors(SQS, "awsSQSGetMetricTestData", {}, (row) => {
  const prepared = prepareRow("aws-sqs-queue", sqsInputs(row));
  expect(prepared.problems.filter((problem) => problem.severity === "error")).toEqual([]);
  const params = prepared.params as { queueURL: string; scaleOnInFlight: boolean; scaleOnDelayed: boolean };
  if (params.queueURL.endsWith("/Error")) return; // the SDK's error: measured against moto instead
  const names = sqsAttributeNames(params);
  const attributes = SQS_MOCK_ATTRIBUTES[params.queueURL] ?? SQS_MOCK_DEFAULT;
  if (params.queueURL.endsWith("/BadData")) {
    expect(() => sqsQueueLength(attributes, names)).toThrow();
    return;
  }
  const expected = 200 + (params.scaleOnInFlight ? 100 : 0) + (params.scaleOnDelayed ? 50 : 0);
  expect(sqsQueueLength(attributes, names)).toBe(expected);
});

// aws-dynamodb: KEDA's test parses every row as trigger 1 and compares the whole metadata.

const dynamoInputs = (row: KedaRow): VectorInputs => ({ ...rowInputs(row), index: 1 });
runParseVectors({
  file: DYNAMO,
  table: "dynamoTestCases",
  type: "aws-dynamodb",
  inputs: dynamoInputs,
  kedaError: (row) => row.expectedError != null,
  expect: (row) => parsedFacts(row.expectedMetadata, dynamoInputs(row)),
});

// aws-dynamodb-streams and aws-kinesis-stream: the same shape of table, with KEDA's environment.

for (const [file, prefix, type, env] of [
  [STREAMS, "AwsDynamoDBStream", "aws-dynamodb-streams", "testAwsDynamoDBStreamAuthentication"],
  [KINESIS, "AWSKinesis", "aws-kinesis-stream", "testAWSKinesisAuthentication"],
] as const) {
  const inputs = inputsWith(stringMap(kedaVar(file, env)), (row) => Number(row.triggerIndex ?? 0));
  runParseVectors({
    file,
    table: `test${prefix}Metadata`,
    type,
    inputs,
    expect: (row) => parsedFacts(row.expected, inputs(row)),
  });
  runParseVectors({
    file,
    table: `${prefix === "AWSKinesis" ? "awsKinesis" : "awsDynamoDBStream"}MetricIdentifiers`,
    type,
    inputs: (row) => ({ ...inputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
    kedaError: () => false,
    expect: (row) => ({ metricName: String(row.name) }),
  });
}

// aws-cloudwatch

const cloudwatchInputs = inputsWith(stringMap(kedaVar(CLOUDWATCH, "testAWSCloudwatchResolvedEnv")));

runParseVectors({
  file: CLOUDWATCH,
  table: "testAWSCloudwatchMetadata",
  type: "aws-cloudwatch",
  inputs: cloudwatchInputs,
});

runParseVectors({
  file: CLOUDWATCH,
  table: "awsCloudwatchMetricIdentifiers",
  type: "aws-cloudwatch",
  inputs: (row) => ({
    ...cloudwatchInputs(row.metadataTestData as KedaRow),
    index: Number(row.triggerIndex),
  }),
  kedaError: () => false,
  expect: (row) => ({ metricName: String(row.name) }),
});

runValueVectors(CLOUDWATCH, "awsCloudwatchComputeQueryWindowTestData", {}, (row) => {
  const { start, end } = cloudwatchQueryWindow(
    Date.parse(String(row.current)),
    Number(row.metricPeriodSec),
    Number(row.metricEndTimeOffsetSec),
    Number(row.metricCollectionTimeSec),
  );
  expect(start.getTime()).toBe(Date.parse(String(row.expectedStartTime)));
  expect(end.getTime()).toBe(Date.parse(String(row.expectedEndTime)));
});

runValueVectors(CLOUDWATCH, "awsCloudwatchGetMetricTestData", {}, (row) => {
  const metric = plain(row) as Record<string, unknown> & {
    DimensionName?: string[];
    DimensionValue?: string[];
  };
  if (metric.MetricsName === "Error") return; // the SDK's error: measured against moto instead
  const request = cloudwatchRequest(
    {
      namespace: metric.Namespace as string,
      metricName: metric.MetricsName as string,
      dimensionName: metric.DimensionName?.join(";"),
      dimensionValue: metric.DimensionValue?.join(";"),
      expression: metric.Expression as string | undefined,
      metricStat: metric.MetricStat as string,
      metricUnit: metric.MetricUnit as string,
      metricStatPeriod: metric.MetricStatPeriod as number,
      metricEndTimeOffset: metric.MetricEndTimeOffset as number,
      metricCollectionTime: metric.MetricCollectionTime as number,
    },
    Date.now(),
  );
  const query = request.MetricDataQueries?.[0];
  const name = query?.MetricStat?.Metric?.MetricName;
  const results = (name && CLOUDWATCH_MOCK[name]) || [{ Values: [10] }];
  const minMetricValue = Number(metric.MinMetricValue ?? 0);
  const settings = { ignoreNullValues: Boolean(metric.IgnoreNullValues), minMetricValue };
  if (name === "EmptyValues") expect(() => cloudwatchValue(results, settings)).toThrow();
  else if (name === "NoValue") expect(cloudwatchValue(results, settings)).toBe(minMetricValue);
  else expect(cloudwatchValue(results, settings)).toBe(10);
});
