/**
 * KEDA's own test tables for its AWS scalers (pkg/scalers/aws_*_scaler_test.go), row by row:
 * the metadata, authentication parameters, environments and pod identities KEDA's tests give,
 * and what they expect. Each row names its line in KEDA's test file. Rows where Tidal
 * deliberately differs are listed in DIFFERENCES with the reason (see docs/keda-differences.md).
 */
import { describe, expect, it } from "vitest";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import { awsAuthorization, type AwsAuthorization } from "../../auth/identity/aws.ts";
import { prepareScalerTrigger, withErrorMessages } from "../../../test/support/prepare-trigger.ts";
import { cloudwatchQueryWindow, cloudwatchRequest, cloudwatchValue } from "./cloudwatch.ts";
import { dynamoAttributeNames, dynamoAttributeValues } from "./dynamodb.ts";
import { sqsAttributeNames, sqsQueueLength } from "./sqs.ts";

interface ParseRow {
  name: string;
  /** Line of the row in KEDA's test file. */
  line: number;
  metadata: Record<string, string>;
  authParams?: Record<string, string>;
  resolvedEnv?: Record<string, string>;
  podIdentity?: PodIdentity;
  index?: number;
  isError?: boolean;
  /** What KEDA parsed: parameters in Tidal's names, and the identity in Tidal's terms. */
  expected?: {
    params?: Record<string, unknown>;
    authorization?: AwsAuthorization | null;
    index?: number;
    names?: Record<string, string>;
    values?: Record<string, unknown>;
    metricName?: string;
  };
}

const SQS_METADATA: ParseRow[] = [
  {
    name: "metadata empty",
    line: 97,
    metadata: {},
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "properly formed queue and region",
    line: 103,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "properly formed queue and region with custom endpoint",
    line: 112,
    metadata: {
      awsEndpoint: "http://localhost:4566",
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "improperly formed queue, missing queueName",
    line: 122,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "improperly formed queue, missing path",
    line: 131,
    metadata: { awsRegion: "eu-west-1", queueLength: "1", queueURL: "https://sqs.eu-west-1.amazonaws.com" },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "properly formed queue, empty region",
    line: 140,
    metadata: {
      awsRegion: "",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "properly formed queue, integer queueLength",
    line: 149,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "invalid integer value for queueLength",
    line: 158,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "a",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "properly formed queue, integer activationQueueLength",
    line: 167,
    metadata: {
      activationQueueLength: "1",
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "invalid integer value for activationQueueLength",
    line: 177,
    metadata: {
      activationQueueLength: "a",
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "with AWS static credentials from TriggerAuthentication",
    line: 187,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication",
    line: 199,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none", awsSessionToken: "none" },
    isError: false,
  },
  {
    name: "with AWS static credentials from TriggerAuthentication, missing Access Key Id",
    line: 212,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication, missing Secret Access Key",
    line: 224,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "" },
    isError: true,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication, missing Access Key Id",
    line: 236,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "", awsSecretAccessKey: "none", awsSessionToken: "none" },
    isError: true,
  },
  {
    name: "with AWS static credentials from TriggerAuthentication, missing Secret Access Key",
    line: 249,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "", awsSessionToken: "none" },
    isError: true,
  },
  {
    name: "with AWS Role from Pod Identity",
    line: 262,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    podIdentity: { provider: "aws", roleArn: "none" },
    isError: false,
  },
  {
    name: "with AWS Role and External ID from Pod Identity",
    line: 274,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    podIdentity: { provider: "aws", roleArn: "none", externalID: "test-external-id" },
    isError: false,
  },
  {
    name: "with AWS Role assigned on KEDA operator itself",
    line: 287,
    metadata: {
      awsRegion: "eu-west-1",
      identityOwner: "operator",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "", awsSecretAccessKey: "" },
    isError: false,
  },
  {
    name: "with AWS Role assigned on KEDA operator itself (deprecated path)",
    line: 300,
    metadata: {
      awsRegion: "eu-west-1",
      identityOwner: "operator",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    authParams: { awsAccessKeyId: "", awsRoleArn: "none", awsSecretAccessKey: "" },
    isError: false,
  },
  {
    name: "properly formed queue and region",
    line: 314,
    metadata: { awsRegion: "eu-west-1", queueLength: "1", queueURL: "my-queue" },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "properly formed queue and region",
    line: 323,
    metadata: { awsRegion: "eu-west-1", queueLength: "1", queueURL: "my-queue", scaleOnInFlight: "false" },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "properly formed queue and region",
    line: 333,
    metadata: { awsRegion: "eu-west-1", queueLength: "1", queueURL: "my-queue", scaleOnInFlight: "true" },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "properly formed queue loaded from env",
    line: 343,
    metadata: { awsRegion: "eu-west-1", queueLength: "1", queueURLFromEnv: "QUEUE_URL" },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    resolvedEnv: { QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ" },
    isError: false,
  },
  {
    name: "missing queue url from both queueURL and queueURLFromEnv",
    line: 352,
    metadata: { awsRegion: "eu-west-1", queueLength: "1" },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "empty QUEUE_URL env value",
    line: 360,
    metadata: { awsRegion: "eu-west-1", queueLength: "1", queueURLFromEnv: "QUEUE_URL" },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    resolvedEnv: { QUEUE_URL: "" },
    isError: true,
  },
  {
    name: "with External ID but missing Role ARN (still valid, just won't use external ID)",
    line: 371,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    podIdentity: { provider: "aws", externalID: "test-external-id" },
    isError: false,
  },
];
const SQS_GET_METRIC: ParseRow[] = [
  {
    name: "not error with scaleOnInFlight disabled",
    line: 391,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
      scaleOnInFlight: "false",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "not error with scaleOnInFlight enabled",
    line: 401,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
      scaleOnInFlight: "true",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "not error with scaleOnDelayed disabled",
    line: 411,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
      scaleOnDelayed: "false",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "not error with scaleOnDelayed enabled",
    line: 421,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
      scaleOnDelayed: "true",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "not error with scaledOnInFlight and scaleOnDelayed disabled",
    line: 431,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
      scaleOnDelayed: "false",
      scaleOnInFlight: "false",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "not error with scaledOnInFlight and scaleOnDelayed enabled",
    line: 442,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
      scaleOnDelayed: "true",
      scaleOnInFlight: "true",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "error queue",
    line: 453,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/Error",
      scaleOnInFlight: "false",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "bad data",
    line: 463,
    metadata: {
      awsRegion: "eu-west-1",
      queueLength: "1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/BadData",
      scaleOnInFlight: "true",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
];
const SQS_QUEUE_URL_FROM_ENV: {
  name: string;
  metadata: Record<string, string>;
  resolvedEnv: Record<string, string>;
  expectedURL: string;
  expectError: boolean;
}[] = [
  {
    expectError: false,
    expectedURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    metadata: {
      awsRegion: "eu-west-1",
      queueURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    },
    name: "direct queueURL",
    resolvedEnv: {},
  },
  {
    expectError: false,
    expectedURL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ",
    metadata: { awsRegion: "eu-west-1", queueURLFromEnv: "QUEUE_URL" },
    name: "queueURL from environment variable",
    resolvedEnv: { QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ" },
  },
  {
    expectError: true,
    expectedURL: "",
    metadata: { awsRegion: "eu-west-1", queueURLFromEnv: "MISSING_ENV_VAR" },
    name: "missing environment variable",
    resolvedEnv: { QUEUE_URL: "https://sqs.eu-west-1.amazonaws.com/account_id/DeleteArtifactQ" },
  },
  {
    expectError: true,
    expectedURL: "",
    metadata: { awsRegion: "eu-west-1", queueURLFromEnv: "EMPTY_ENV_VAR" },
    name: "empty environment variable value",
    resolvedEnv: { EMPTY_ENV_VAR: "" },
  },
];
const SQS_ATTRIBUTES = [
  {
    name: "properly formed queue attributes",
    attributes: {
      ApproximateNumberOfMessages: "1",
      ApproximateNumberOfMessagesDelayed: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    },
    expected: 1,
    errExpected: false,
  },
  { name: "missing ApproximateNumberOfMessages", attributes: {}, expected: -1, errExpected: true },
  {
    name: "invalid ApproximateNumberOfMessages",
    attributes: {
      ApproximateNumberOfMessages: "NotInt",
      ApproximateNumberOfMessagesDelayed: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    },
    expected: -1,
    errExpected: true,
  },
  {
    name: "32 bit int upper bound",
    attributes: {
      ApproximateNumberOfMessages: "2147483647",
      ApproximateNumberOfMessagesDelayed: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    },
    expected: 2147483647,
    errExpected: false,
  },
  {
    name: "32 bit int upper bound + 1",
    attributes: {
      ApproximateNumberOfMessages: "2147483648",
      ApproximateNumberOfMessagesDelayed: "0",
      ApproximateNumberOfMessagesNotVisible: "0",
    },
    expected: 2147483648,
    errExpected: false,
  },
];
const SQS_METRIC_IDENTIFIERS = [
  { row: "testAWSSQSMetadata[1]", index: 0, name: "s0-aws-sqs-DeleteArtifactQ" },
  { row: "testAWSSQSMetadata[1]", index: 1, name: "s1-aws-sqs-DeleteArtifactQ" },
];

const DYNAMO_METADATA: ParseRow[] = [
  { name: "no tableName given", line: 56, metadata: {}, isError: true },
  { name: "no awsRegion given", line: 62, metadata: { tableName: "test" }, isError: true },
  {
    name: "no keyConditionExpression given",
    line: 68,
    metadata: { awsRegion: "eu-west-1", tableName: "test" },
    isError: true,
  },
  {
    name: "no expressionAttributeNames given",
    line: 77,
    metadata: { awsRegion: "eu-west-1", keyConditionExpression: "#yr = :yyyy", tableName: "test" },
    isError: true,
  },
  {
    name: "no expressionAttributeValues given",
    line: 87,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
    },
    isError: true,
  },
  {
    name: "no targetValue given",
    line: 98,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
    },
    isError: true,
  },
  {
    name: "invalid targetValue given",
    line: 110,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "no-valid",
    },
    isError: true,
  },
  {
    name: "invalid activationTargetValue given",
    line: 123,
    metadata: {
      activationTargetValue: "no-valid",
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "1",
    },
    isError: true,
  },
  {
    name: "malformed expressionAttributeNames",
    line: 137,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "malformed" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    isError: true,
  },
  {
    name: "empty expressionAttributeNames",
    line: 150,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: "{}",
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    isError: true,
  },
  {
    name: "malformed expressionAttributeValues",
    line: 163,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": 1994 }}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    isError: true,
  },
  {
    name: "no aws given",
    line: 176,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    isError: true,
  },
  {
    name: "authentication provided",
    line: 189,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
    expected: {
      params: {
        tableName: "test",
        awsRegion: "eu-west-1",
        keyConditionExpression: "#yr = :yyyy",
        targetValue: 3,
        activationTargetValue: 0,
      },
      names: { "#yr": "year" },
      values: { ":yyyy": { N: "1994" } },
      metricName: "s1-aws-dynamodb-test",
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none" },
    },
  },
  {
    name: "properly formed dynamo name and region with custom endpoint",
    line: 220,
    metadata: {
      awsEndpoint: "http://localhost:4566",
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
    expected: {
      params: {
        tableName: "test",
        awsRegion: "eu-west-1",
        keyConditionExpression: "#yr = :yyyy",
        targetValue: 3,
        awsEndpoint: "http://localhost:4566",
        activationTargetValue: 0,
      },
      names: { "#yr": "year" },
      values: { ":yyyy": { N: "1994" } },
      metricName: "s1-aws-dynamodb-test",
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none" },
    },
  },
  {
    name: "properly formed dynamo name and region with activationTargetValue",
    line: 253,
    metadata: {
      activationTargetValue: "1",
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
    expected: {
      params: {
        tableName: "test",
        awsRegion: "eu-west-1",
        keyConditionExpression: "#yr = :yyyy",
        targetValue: 3,
        activationTargetValue: 1,
      },
      names: { "#yr": "year" },
      values: { ":yyyy": { N: "1994" } },
      metricName: "s1-aws-dynamodb-test",
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none" },
    },
  },
  {
    name: "properly formed dynamo name and region with index name",
    line: 286,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      indexName: "test-index",
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
    expected: {
      params: {
        tableName: "test",
        awsRegion: "eu-west-1",
        keyConditionExpression: "#yr = :yyyy",
        targetValue: 3,
        indexName: "test-index",
        activationTargetValue: 0,
      },
      names: { "#yr": "year" },
      values: { ":yyyy": { N: "1994" } },
      metricName: "s1-aws-dynamodb-test",
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none" },
    },
  },
  {
    name: "with AWS static credentials from TriggerAuthentication, missing Secret Access Key",
    line: 319,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    authParams: { awsAccessKeyId: "none" },
    isError: true,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication, missing Secret Access Key",
    line: 334,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    authParams: { awsAccessKeyId: "none", awsSessionToken: "none" },
    isError: true,
  },
  {
    name: "with AWS static credentials from TriggerAuthentication, missing Access Key Id",
    line: 350,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    authParams: { awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication, missing Access Key Id",
    line: 365,
    metadata: {
      awsRegion: "eu-west-1",
      expressionAttributeNames: '{ "#yr" : "year" }',
      expressionAttributeValues: '{":yyyy": {"N": "1994"}}',
      keyConditionExpression: "#yr = :yyyy",
      tableName: "test",
      targetValue: "3",
    },
    authParams: { awsSecretAccessKey: "none", awsSessionToken: "none" },
    isError: true,
  },
];

const STREAMS_METADATA: ParseRow[] = [
  {
    name: "metadata empty",
    line: 125,
    metadata: {},
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "properly formed dynamodb table name and region",
    line: 131,
    metadata: {
      activationShardCount: "1",
      awsRegion: "ap-northeast-1",
      shardCount: "2",
      tableName: "smalltable",
    },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 0,
    isError: false,
    expected: {
      params: {
        shardCount: 2,
        activationShardCount: 1,
        tableName: "smalltable",
        awsRegion: "ap-northeast-1",
      },
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none" },
      index: 0,
    },
  },
  {
    name: "properly formed dynamodb table name and region",
    line: 155,
    metadata: {
      activationShardCount: "1",
      awsEndpoint: "http://localhost:4566",
      awsRegion: "ap-northeast-1",
      shardCount: "2",
      tableName: "smalltable",
    },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 0,
    isError: false,
    expected: {
      params: {
        shardCount: 2,
        activationShardCount: 1,
        tableName: "smalltable",
        awsRegion: "ap-northeast-1",
        awsEndpoint: "http://localhost:4566",
      },
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none" },
      index: 0,
    },
  },
  {
    name: "missing dynamodb table name",
    line: 181,
    metadata: { awsRegion: "ap-northeast-1", shardCount: "2", tableName: "" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 1,
    isError: true,
  },
  {
    name: "properly formed dynamodb table name, empty region",
    line: 192,
    metadata: { awsRegion: "", shardCount: "2", tableName: "smalltable" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 2,
    isError: true,
  },
  {
    name: "properly formed table name and region, empty shard count",
    line: 203,
    metadata: { awsRegion: "ap-northeast-1", shardCount: "", tableName: "smalltable" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 3,
    isError: false,
    expected: {
      params: {
        shardCount: 2,
        activationShardCount: 0,
        tableName: "smalltable",
        awsRegion: "ap-northeast-1",
      },
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none" },
      index: 3,
    },
  },
  {
    name: "invalid value - should cause error",
    line: 226,
    metadata: { awsRegion: "ap-northeast-1", shardCount: "a", tableName: "smalltable" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 4,
    isError: true,
  },
  {
    name: "with AWS static credentials from TriggerAuthentication, missing Access Key Id",
    line: 237,
    metadata: { awsRegion: "ap-northeast-1", shardCount: "2", tableName: "smalltable" },
    authParams: { awsAccessKeyID: "", awsSecretAccessKey: "none" },
    index: 5,
    isError: true,
  },
  {
    name: "with AWS static credentials from TriggerAuthentication, missing Secret Access Key",
    line: 251,
    metadata: { awsRegion: "ap-northeast-1", shardCount: "2", tableName: "smalltable" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "" },
    index: 6,
    isError: true,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication",
    line: 264,
    metadata: { awsRegion: "ap-northeast-1", shardCount: "2", tableName: "smalltable" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none", awsSessionToken: "none" },
    index: 5,
    isError: false,
    expected: {
      params: { shardCount: 2, tableName: "smalltable", awsRegion: "ap-northeast-1" },
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none", sessionToken: "none" },
      index: 5,
    },
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication, missing Access Key Id",
    line: 291,
    metadata: { awsRegion: "ap-northeast-1", shardCount: "2", tableName: "smalltable" },
    authParams: { awsAccessKeyID: "", awsSecretAccessKey: "none", awsSessionToken: "none" },
    index: 5,
    isError: true,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication, missing Secret Access Key",
    line: 306,
    metadata: { awsRegion: "ap-northeast-1", shardCount: "2", tableName: "smalltable" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "", awsSessionToken: "none" },
    index: 6,
    isError: true,
  },
  {
    name: "with AWS Role from TriggerAuthentication",
    line: 320,
    metadata: { awsRegion: "ap-northeast-1", shardCount: "2", tableName: "smalltable" },
    authParams: { awsRoleArn: "none" },
    index: 7,
    isError: false,
    expected: {
      params: { shardCount: 2, tableName: "smalltable", awsRegion: "ap-northeast-1" },
      authorization: { kind: "tidal", assumeRoleArn: "none" },
      index: 7,
    },
  },
  {
    name: "with AWS Role assigned on KEDA operator itself",
    line: 342,
    metadata: {
      awsRegion: "ap-northeast-1",
      identityOwner: "operator",
      shardCount: "2",
      tableName: "smalltable",
    },
    index: 8,
    isError: false,
    expected: {
      params: { shardCount: 2, tableName: "smalltable", awsRegion: "ap-northeast-1" },
      authorization: { kind: "tidal" },
      index: 8,
    },
  },
];
const STREAMS_METRIC_IDENTIFIERS = [
  { row: "testAwsDynamoDBStreamMetadata[1]", index: 0, name: "s0-aws-dynamodb-streams-smalltable" },
  { row: "testAwsDynamoDBStreamMetadata[1]", index: 1, name: "s1-aws-dynamodb-streams-smalltable" },
];

const KINESIS_METADATA: ParseRow[] = [
  {
    name: "metadata empty",
    line: 67,
    metadata: {},
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "properly formed stream name and region",
    line: 74,
    metadata: { activationShardCount: "1", awsRegion: "eu-west-1", shardCount: "2", streamName: "test" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 0,
    isError: false,
    expected: {
      params: { shardCount: 2, activationShardCount: 1, streamName: "test", awsRegion: "eu-west-1" },
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none" },
      index: 0,
    },
  },
  {
    name: "properly formed stream name and region with custom endpoint",
    line: 98,
    metadata: {
      activationShardCount: "1",
      awsEndpoint: "http://localhost:4566",
      awsRegion: "eu-west-1",
      shardCount: "2",
      streamName: "test",
    },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 0,
    isError: false,
    expected: {
      params: {
        shardCount: 2,
        activationShardCount: 1,
        streamName: "test",
        awsRegion: "eu-west-1",
        awsEndpoint: "http://localhost:4566",
      },
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none" },
      index: 0,
    },
  },
  {
    name: "missing stream name",
    line: 124,
    metadata: { awsRegion: "eu-west-1", shardCount: "2", streamName: "" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 1,
    isError: true,
  },
  {
    name: "properly formed stream name, empty region",
    line: 135,
    metadata: { awsRegion: "", shardCount: "2", streamName: "test" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 2,
    isError: true,
  },
  {
    name: "properly formed stream name and region, empty shard count",
    line: 146,
    metadata: { activationShardCount: "", awsRegion: "eu-west-1", shardCount: "", streamName: "test" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 3,
    isError: false,
    expected: {
      params: { shardCount: 2, activationShardCount: 0, streamName: "test", awsRegion: "eu-west-1" },
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none" },
      index: 3,
    },
  },
  {
    name: "invalid shardCount value",
    line: 170,
    metadata: { awsRegion: "eu-west-1", shardCount: "a", streamName: "test" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
    index: 4,
    isError: true,
  },
  {
    name: "with AWS static credentials from TriggerAuthentication, missing Access Key Id",
    line: 181,
    metadata: { awsRegion: "eu-west-1", shardCount: "2", streamName: "test" },
    authParams: { awsAccessKeyID: "", awsSecretAccessKey: "none" },
    index: 5,
    isError: true,
  },
  {
    name: "with AWS static credentials from TriggerAuthentication, missing Secret Access Key",
    line: 195,
    metadata: { awsRegion: "eu-west-1", shardCount: "2", streamName: "test" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "" },
    index: 6,
    isError: true,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication",
    line: 208,
    metadata: { awsRegion: "eu-west-1", shardCount: "2", streamName: "test" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none", awsSessionToken: "none" },
    index: 5,
    isError: false,
    expected: {
      params: { shardCount: 2, streamName: "test", awsRegion: "eu-west-1" },
      authorization: { kind: "keys", accessKeyId: "none", secretAccessKey: "none", sessionToken: "none" },
      index: 5,
    },
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication, missing Access Key Id",
    line: 235,
    metadata: { awsRegion: "eu-west-1", shardCount: "2", streamName: "test" },
    authParams: { awsAccessKeyID: "", awsSecretAccessKey: "none", awsSessionToken: "none" },
    index: 5,
    isError: true,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication, missing Secret Access Key",
    line: 250,
    metadata: { awsRegion: "eu-west-1", shardCount: "2", streamName: "test" },
    authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "", awsSessionToken: "none" },
    index: 6,
    isError: true,
  },
  {
    name: "with AWS Role from TriggerAuthentication",
    line: 264,
    metadata: { awsRegion: "eu-west-1", shardCount: "2", streamName: "test" },
    authParams: { awsRoleArn: "none" },
    index: 7,
    isError: false,
    expected: {
      params: { shardCount: 2, streamName: "test", awsRegion: "eu-west-1" },
      authorization: { kind: "tidal", assumeRoleArn: "none" },
      index: 7,
    },
  },
  {
    name: "with AWS Role assigned on KEDA operator itself",
    line: 286,
    metadata: { awsRegion: "eu-west-1", identityOwner: "operator", shardCount: "2", streamName: "test" },
    index: 8,
    isError: false,
    expected: {
      params: { shardCount: 2, streamName: "test", awsRegion: "eu-west-1" },
      authorization: { kind: "tidal" },
      index: 8,
    },
  },
];
const KINESIS_METRIC_IDENTIFIERS = [
  { row: "testAWSKinesisMetadata[1]", index: 0, name: "s0-aws-kinesis-test" },
  { row: "testAWSKinesisMetadata[1]", index: 1, name: "s1-aws-kinesis-test" },
];

const CLOUDWATCH_METADATA: ParseRow[] = [
  {
    name: "Empty structures",
    line: 53,
    metadata: {},
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "properly formed cloudwatch query and awsRegion",
    line: 55,
    metadata: {
      activationTargetMetricValue: "0",
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "properly formed cloudwatch expression query and awsRegion",
    line: 71,
    metadata: {
      activationTargetMetricValue: "0",
      awsRegion: "eu-west-1",
      expression:
        "SELECT MIN(MessageCount) FROM \"AWS/AmazonMQ\" WHERE Broker = 'production' and Queue = 'worker'",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "Properly formed cloudwatch query with optional parameters",
    line: 86,
    metadata: {
      activationTargetMetricValue: "0",
      awsEndpoint: "http://localhost:4566",
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricCollectionTime: "300",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "300",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "properly formed cloudwatch query but Region is empty",
    line: 105,
    metadata: {
      activationTargetMetricValue: "0",
      awsRegion: "",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "Missing namespace",
    line: 121,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "Missing dimensionName",
    line: 135,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "Missing dimensionValue",
    line: 149,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "Missing metricName",
    line: 163,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "with AWS Credentials from TriggerAuthentication",
    line: 177,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricCollectionTime: "300",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "300",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "with AWS Credentials from TriggerAuthentication",
    line: 198,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricCollectionTime: "300",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "300",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none", awsSessionToken: "none" },
    isError: false,
  },
  {
    name: "with AWS Role from TriggerAuthentication",
    line: 220,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricCollectionTime: "300",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "300",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsRoleArn: "none" },
    isError: false,
  },
  {
    name: "with AWS Role assigned on KEDA operator itself",
    line: 239,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      identityOwner: "operator",
      metricCollectionTime: "300",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "300",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    isError: false,
  },
  {
    name: "if metricCollectionTime assigned with a string, need to be a number",
    line: 257,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      identityOwner: "operator",
      metricCollectionTime: "a",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "300",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    isError: true,
  },
  {
    name: "if metricStatPeriod assigned with a string, need to be a number",
    line: 275,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      identityOwner: "operator",
      metricCollectionTime: "300",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "a",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    isError: true,
  },
  {
    name: "Missing metricCollectionTime not generate error because will get the default value",
    line: 293,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "300",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "Missing metricStat not generate error because will get the default value",
    line: 308,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricCollectionTime: "300",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStatPeriod: "300",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "Missing metricStatPeriod not generate error because will get the default value",
    line: 323,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricCollectionTime: "300",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "set a supported metricUnit",
    line: 338,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricEndTimeOffset: "60",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricUnit: "Count",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "metricCollectionTime smaller than metricStatPeriod",
    line: 354,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricCollectionTime: "100",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "300",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "unsupported metricStatPeriod",
    line: 370,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "250",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "unsupported metricStatPeriod",
    line: 385,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "25",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "unsupported metricUnit",
    line: 400,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "25",
      metricUnit: "Hour",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "with ignoreNullValues set to false",
    line: 417,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      ignoreNullValues: "false",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "60",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "with ignoreNullValues set to true",
    line: 434,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      ignoreNullValues: "true",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "60",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "unsupported value for ignoreNullValues",
    line: 451,
    metadata: {
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      ignoreNullValues: "maybe",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      metricStatPeriod: "60",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "Multiple dimensions with valid separator",
    line: 468,
    metadata: {
      awsRegion: "us-west-2",
      dimensionName: "QueueName;Region",
      dimensionValue: "queue1;us-west-2",
      metricName: "ApproximateNumberOfMessagesVisible",
      metricStat: "Average",
      minMetricValue: "1",
      namespace: "AWS/SQS",
      targetMetricValue: "5",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "properly formed cloudwatch query from another AWS account",
    line: 484,
    metadata: {
      activationTargetMetricValue: "0",
      awsAccountId: "123456789012",
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSecretAccessKey: "none" },
    isError: false,
  },
  {
    name: "with AWS static credentials from TriggerAuthentication, missing Secret Access Key",
    line: 500,
    metadata: {
      activationTargetMetricValue: "0",
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none" },
    isError: true,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication, missing Secret Access Key",
    line: 517,
    metadata: {
      activationTargetMetricValue: "0",
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsAccessKeyId: "none", awsSessionToken: "none" },
    isError: true,
  },
  {
    name: "with AWS static credentials from TriggerAuthentication, missing Access Key Id",
    line: 535,
    metadata: {
      activationTargetMetricValue: "0",
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsSecretAccessKey: "none" },
    isError: true,
  },
  {
    name: "with AWS temporary credentials from TriggerAuthentication, missing Access Key Id",
    line: 552,
    metadata: {
      activationTargetMetricValue: "0",
      awsRegion: "eu-west-1",
      dimensionName: "QueueName",
      dimensionValue: "keda",
      metricName: "ApproximateNumberOfMessagesVisible",
      minMetricValue: "0",
      namespace: "AWS/SQS",
      targetMetricValue: "2",
    },
    authParams: { awsSecretAccessKey: "none", awsSessionToken: "none" },
    isError: true,
  },
];
const CLOUDWATCH_METRIC_IDENTIFIERS = [
  { row: "testAWSCloudwatchMetadata[1]", index: 0, name: "s0-aws-cloudwatch" },
  { row: "testAWSCloudwatchMetadata[1]", index: 3, name: "s3-aws-cloudwatch" },
  { row: "testAWSCloudwatchMetadata[2]", index: 5, name: "s5-aws-cloudwatch" },
];
const CLOUDWATCH_QUERY_WINDOW = [
  {
    current: "2021-11-07T15:04:05.999Z",
    expectedEndTime: "2021-11-07T15:04:00Z",
    expectedStartTime: "2021-11-07T15:03:00Z",
    metricCollectionTimeSec: 60,
    metricEndTimeOffsetSec: 0,
    metricPeriodSec: 60,
    name: "normal",
  },
  {
    current: "2021-11-07T15:04:05.999Z",
    expectedEndTime: "2021-11-07T15:03:00Z",
    expectedStartTime: "2021-11-07T15:02:00Z",
    metricCollectionTimeSec: 60,
    metricEndTimeOffsetSec: 30,
    metricPeriodSec: 60,
    name: "normal with offset",
  },
];
const CLOUDWATCH_GET_METRIC = [
  {
    AwsRegion: "us-west-2",
    DimensionName: ["DIM"],
    DimensionValue: ["DIM_VALUE"],
    MetricCollectionTime: 60,
    MetricEndTimeOffset: 60,
    MetricStat: "Average",
    MetricStatPeriod: 60,
    MetricUnit: "SampleCount",
    MetricsName: "HasData",
    MinMetricValue: 0,
    Namespace: "Custom",
    TargetMetricValue: 100,
    triggerIndex: 0,
  },
  {
    AwsRegion: "us-west-2",
    DimensionName: ["DIM"],
    DimensionValue: ["DIM_VALUE"],
    MetricCollectionTime: 60,
    MetricEndTimeOffset: 60,
    MetricStat: "Average",
    MetricStatPeriod: 60,
    MetricUnit: "",
    MetricsName: "HasDataNoUnit",
    MinMetricValue: 0,
    Namespace: "Custom",
    TargetMetricValue: 100,
    triggerIndex: 0,
  },
  {
    AwsRegion: "us-west-2",
    Expression:
      "SELECT MIN(MessageCount) FROM \"AWS/AmazonMQ\" WHERE Broker = 'production' and Queue = 'worker'",
    MetricCollectionTime: 60,
    MetricEndTimeOffset: 60,
    MetricStat: "Average",
    MetricStatPeriod: 60,
    MetricUnit: "SampleCount",
    MetricsName: "HasDataFromExpression",
    MinMetricValue: 0,
    Namespace: "Custom",
    TargetMetricValue: 100,
    triggerIndex: 0,
  },
  {
    $comment: "Test for metric with no data, no error expected as we are ignoring null values",
    AwsRegion: "us-west-2",
    DimensionName: ["DIM"],
    DimensionValue: ["DIM_VALUE"],
    MetricCollectionTime: 60,
    MetricEndTimeOffset: 60,
    MetricStat: "Average",
    MetricStatPeriod: 60,
    MetricUnit: "",
    MetricsName: "Error",
    MinMetricValue: 0,
    Namespace: "Custom",
    TargetMetricValue: 100,
    triggerIndex: 0,
  },
  {
    $comment: "Test for metric with no data, and the scaler errors when metric data values are empty",
    AwsRegion: "us-west-2",
    DimensionName: ["DIM"],
    DimensionValue: ["DIM_VALUE"],
    MetricCollectionTime: 60,
    MetricEndTimeOffset: 60,
    MetricStat: "Average",
    MetricStatPeriod: 60,
    MetricUnit: "",
    MetricsName: "NoValue",
    MinMetricValue: 0,
    Namespace: "Custom",
    TargetMetricValue: 100,
    triggerIndex: 0,
  },
  {
    AwsRegion: "us-west-2",
    Expression:
      "SELECT MIN(MessageCount) FROM \"AWS/AmazonMQ\" WHERE Broker = 'production' and Queue = 'worker'",
    MetricCollectionTime: 60,
    MetricEndTimeOffset: 60,
    MetricStat: "Average",
    MetricStatPeriod: 60,
    MetricUnit: "SampleCount",
    MetricsName: "HasDataFromExpression",
    MinMetricValue: 0,
    Namespace: "Custom",
    TargetMetricValue: 100,
    triggerIndex: 0,
  },
];

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

/** Rows where Tidal's verdict differs from KEDA's on purpose, by table and KEDA line. */
const DIFFERENCES: Record<string, Record<number, { tidalError: boolean; reason: string }>> = {};

function prepare(type: string, row: ParseRow, index = row.index ?? 0) {
  return withErrorMessages(
    prepareScalerTrigger(type, row.metadata, {
      index,
      authParams: row.authParams ?? {},
      resolvedEnv: row.resolvedEnv ?? {},
      ...(row.podIdentity ? { podIdentity: row.podIdentity } : {}),
    }),
  );
}

/** The identity Tidal decides for a prepared trigger, as the scalers do. */
function identityOf(params: Record<string, unknown>, podIdentity?: PodIdentity) {
  const text = (key: string) => params[key] as string | undefined;
  return awsAuthorization({
    podIdentity,
    identityOwner: text("identityOwner"),
    roleArn: text("awsRoleArn"),
    accessKeyId: text("awsAccessKeyID"),
    secretAccessKey: text("awsSecretAccessKey"),
    sessionToken: text("awsSessionToken"),
  });
}

/** Parses each row as KEDA's parse test does: error or not, and the parsed values where KEDA checks them. */
function parseTable(table: string, type: string, rows: readonly ParseRow[]) {
  describe(`${type}: KEDA's ${table}`, () => {
    it.each(rows.map((row) => [`${row.name} (line ${row.line})`, row] as const))("%s", (_, row) => {
      const prepared = prepare(type, row);
      const difference = DIFFERENCES[table]?.[row.line];
      const expectError = difference ? difference.tidalError : Boolean(row.isError);
      expect(prepared.errors.length > 0, prepared.errors.join("; ") || "no error").toBe(expectError);
      const expected = row.expected;
      if (expectError || expected === undefined) return;
      if (expected.params) expect(prepared.params).toMatchObject(expected.params);
      if (expected.authorization) {
        expect(identityOf(prepared.params, row.podIdentity)).toEqual(expected.authorization);
      }
      if (expected.names) {
        expect(dynamoAttributeNames(prepared.params.expressionAttributeNames as string)).toEqual(
          expected.names,
        );
      }
      if (expected.values) {
        expect(dynamoAttributeValues(prepared.params.expressionAttributeValues as string)).toEqual(
          expected.values,
        );
      }
      if (expected.metricName) expect(prepared.metricSpec?.metricName).toBe(expected.metricName);
    });
  });
}

function metricNames(
  type: string,
  rows: readonly ParseRow[],
  identifiers: readonly { row: string; index: number; name: string }[],
) {
  it.each(identifiers.map((identifier) => [identifier.name, identifier] as const))(
    "%s: KEDA's metric name",
    (_, identifier) => {
      const row = rows[Number(/\[(\d+)\]$/.exec(identifier.row)?.[1])];
      expect(row).toBeDefined();
      expect(prepare(type, row!, identifier.index).metricSpec?.metricName).toBe(identifier.name);
    },
  );
}

parseTable("testAWSSQSMetadata", "aws-sqs-queue", SQS_METADATA);
parseTable(
  "dynamoTestCases",
  "aws-dynamodb",
  DYNAMO_METADATA.map((row) => ({ ...row, index: 1 })),
);
parseTable("testAwsDynamoDBStreamMetadata", "aws-dynamodb-streams", STREAMS_METADATA);
parseTable("testAWSKinesisMetadata", "aws-kinesis-stream", KINESIS_METADATA);
parseTable("testAWSCloudwatchMetadata", "aws-cloudwatch", CLOUDWATCH_METADATA);

describe("aws-sqs-queue: KEDA's other tables", () => {
  metricNames("aws-sqs-queue", SQS_METADATA, SQS_METRIC_IDENTIFIERS);

  it.each(SQS_QUEUE_URL_FROM_ENV.map((row) => [row.name, row] as const))(
    "TestQueueURLFromEnvResolution: %s",
    (_, row) => {
      const prepared = prepare("aws-sqs-queue", {
        name: row.name,
        line: 0,
        metadata: row.metadata,
        resolvedEnv: row.resolvedEnv,
        authParams: { awsAccessKeyID: "none", awsSecretAccessKey: "none" },
      });
      if (row.expectError) expect(prepared.errors).not.toEqual([]);
      else expect(prepared.params.queueURL).toBe(row.expectedURL);
    },
  );

  it.each(SQS_ATTRIBUTES.map((row) => [row.name, row] as const))(
    "TestProcessQueueLengthFromSqsQueueAttributesOutput: %s",
    (_, row) => {
      const names = sqsAttributeNames({ scaleOnInFlight: true, scaleOnDelayed: true });
      const attributes = row.attributes as Record<string, string>;
      if (row.errExpected) expect(() => sqsQueueLength(attributes, names)).toThrow();
      else expect(sqsQueueLength(attributes, names)).toBe(row.expected);
    },
  );

  it.each(SQS_GET_METRIC.map((row) => [row.name, row] as const))(
    "TestAWSSQSScalerGetMetrics: %s",
    (_, row) => {
      const prepared = prepare("aws-sqs-queue", row);
      expect(prepared.errors).toEqual([]);
      const params = prepared.params as {
        queueURL: string;
        scaleOnInFlight: boolean;
        scaleOnDelayed: boolean;
      };
      if (params.queueURL.endsWith("/Error")) return; // the SDK's error: measured against moto instead
      const names = sqsAttributeNames(params);
      const attributes = SQS_MOCK_ATTRIBUTES[params.queueURL] ?? SQS_MOCK_DEFAULT;
      if (params.queueURL.endsWith("/BadData")) {
        expect(() => sqsQueueLength(attributes, names)).toThrow();
        return;
      }
      const expected = 200 + (params.scaleOnInFlight ? 100 : 0) + (params.scaleOnDelayed ? 50 : 0);
      expect(sqsQueueLength(attributes, names)).toBe(expected);
    },
  );
});

describe("aws-dynamodb-streams and aws-kinesis-stream: KEDA's metric names", () => {
  metricNames("aws-dynamodb-streams", STREAMS_METADATA, STREAMS_METRIC_IDENTIFIERS);
  metricNames("aws-kinesis-stream", KINESIS_METADATA, KINESIS_METRIC_IDENTIFIERS);
});

describe("aws-cloudwatch: KEDA's other tables", () => {
  metricNames("aws-cloudwatch", CLOUDWATCH_METADATA, CLOUDWATCH_METRIC_IDENTIFIERS);

  it.each(CLOUDWATCH_QUERY_WINDOW.map((row) => [row.name, row] as const))(
    "TestComputeQueryWindow: %s",
    (_, row) => {
      const { start, end } = cloudwatchQueryWindow(
        Date.parse(row.current),
        row.metricPeriodSec,
        row.metricEndTimeOffsetSec,
        row.metricCollectionTimeSec,
      );
      expect(start.getTime()).toBe(Date.parse(row.expectedStartTime));
      expect(end.getTime()).toBe(Date.parse(row.expectedEndTime));
    },
  );

  it.each(CLOUDWATCH_GET_METRIC.map((row, index) => [`${index} ${row.MetricsName}`, row] as const))(
    "TestAWSCloudwatchScalerGetMetrics: %s",
    (_, row) => {
      if (row.MetricsName === "Error") return; // the SDK's error: measured against moto instead
      const request = cloudwatchRequest(
        {
          namespace: row.Namespace,
          metricName: row.MetricsName,
          dimensionName: row.DimensionName?.join(";"),
          dimensionValue: row.DimensionValue?.join(";"),
          expression: row.Expression,
          metricStat: row.MetricStat,
          metricUnit: row.MetricUnit,
          metricStatPeriod: row.MetricStatPeriod,
          metricEndTimeOffset: row.MetricEndTimeOffset,
          metricCollectionTime: row.MetricCollectionTime,
        },
        Date.now(),
      );
      const query = request.MetricDataQueries?.[0];
      const name = query?.MetricStat?.Metric?.MetricName;
      const results = (name && CLOUDWATCH_MOCK[name]) || [{ Values: [10] }];
      // KEDA's struct rows leave IgnoreNullValues false.
      const settings = { ignoreNullValues: false, minMetricValue: row.MinMetricValue };
      if (name === "EmptyValues") expect(() => cloudwatchValue(results, settings)).toThrow();
      else if (name === "NoValue") expect(cloudwatchValue(results, settings)).toBe(row.MinMetricValue);
      else expect(cloudwatchValue(results, settings)).toBe(10);
    },
  );
});
