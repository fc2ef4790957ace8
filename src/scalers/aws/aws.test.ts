import { describe, expect, it } from "vitest";
import { prepareScalerTrigger, withErrorMessages } from "../../../test/support/prepare-trigger.ts";
import { cloudwatchQueryWindow, cloudwatchRequest, cloudwatchValue } from "./cloudwatch.ts";
import { dynamoAttributeNames, dynamoAttributeValues } from "./dynamodb.ts";
import { sqsQueueName } from "./sqs.ts";

const keys = { awsAccessKeyID: "AKIAEXAMPLE", awsSecretAccessKey: "canary-secret" };
const sqs = { queueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/orders", awsRegion: "eu-west-1" };

describe("AWS identity through a trigger", () => {
  it("warns that identityOwner is deprecated, and still reads it", () => {
    const prepared = prepareScalerTrigger("aws-sqs-queue", { ...sqs, identityOwner: "operator" });
    expect(withErrorMessages(prepared).errors).toEqual([]);
    expect(prepared.problems).toContainEqual(
      expect.objectContaining({ key: "identityOwner", severity: "warning" }),
    );
  });

  it("checks the pod identity as KEDA's resolver does", () => {
    const workload = prepareScalerTrigger(
      "aws-kinesis-stream",
      { streamName: "s", awsRegion: "r" },
      {
        podIdentity: { provider: "aws", identityOwner: "workload", roleArn: "arn:aws:iam::1:role/r" },
      },
    );
    expect(withErrorMessages(workload).errors).toEqual([
      "roleArn of PodIdentity can't be set if KEDA isn't identityOwner: remove roleArn or identityOwner",
    ]);
    const aws = prepareScalerTrigger(
      "aws-kinesis-stream",
      { streamName: "s", awsRegion: "r" },
      {
        podIdentity: { provider: "aws", roleArn: "arn:aws:iam::1:role/r" },
      },
    );
    expect(withErrorMessages(aws).errors).toEqual([]);
    const eks = prepareScalerTrigger(
      "aws-kinesis-stream",
      { streamName: "s", awsRegion: "r" },
      {
        authParams: keys,
        podIdentity: { provider: "aws-eks" },
      },
    );
    expect(withErrorMessages(eks).errors[0]).toMatch(
      /"aws-eks" is deprecated in KEDA and not supported by Tidal/,
    );
  });

  it("marks keys and tokens secret: a message quoting them is redacted", () => {
    const prepared = prepareScalerTrigger("aws-sqs-queue", sqs, {
      authParams: { ...keys, awsSessionToken: "canary-token" },
    });
    const text = prepared.redact(`signed with AKIAEXAMPLE, canary-secret and canary-token`);
    expect(text).not.toMatch(/AKIAEXAMPLE|canary-secret|canary-token/);
  });

  it("reads keys from the target's environment through …FromEnv", () => {
    const prepared = withErrorMessages(
      prepareScalerTrigger(
        "aws-sqs-queue",
        { ...sqs, awsAccessKeyIDFromEnv: "KEY", awsSecretAccessKeyFromEnv: "SECRET" },
        { resolvedEnv: { KEY: "AKIAENV", SECRET: "s" } },
      ),
    );
    expect(prepared.errors).toEqual([]);
    expect(prepared.params).toMatchObject({ awsAccessKeyID: "AKIAENV", awsSecretAccessKey: "s" });
  });
});

describe("sqsQueueName", () => {
  it("takes the last part of /<account>/<name>, or a bare name", () => {
    expect(sqsQueueName(sqs.queueURL)).toBe("orders");
    expect(sqsQueueName("orders")).toBe("orders");
    expect(sqsQueueName("http://localhost:4566/000000000000/jobs.fifo")).toBe("jobs.fifo");
    expect(sqsQueueName("https://sqs.eu-west-1.amazonaws.com/123456789012")).toMatchObject({
      key: "queueURL",
    });
  });
});

describe("DynamoDB expressions", () => {
  it("reads typed values, nested ones too", () => {
    expect(
      dynamoAttributeValues(
        '{":s": {"S": "a"}, ":n": {"N": "1"}, ":b": {"BOOL": true}, ":l": {"L": [{"S": "x"}]}, ":m": {"M": {"k": {"NULL": true}}}}',
      ),
    ).toEqual({
      ":s": { S: "a" },
      ":n": { N: "1" },
      ":b": { BOOL: true },
      ":l": { L: [{ S: "x" }] },
      ":m": { M: { k: { NULL: true } } },
    });
    expect(dynamoAttributeValues('{":b": {"B": "raw"}}')).toEqual({ ":b": { B: Buffer.from("raw") } });
  });

  it("names what is wrong with a value", () => {
    expect(dynamoAttributeValues('{":n": {"N": 1994}}')).toBe(
      'invalid expressionAttributeValues: :n: N takes the number as a string, e.g. {"N": "12"}',
    );
    expect(dynamoAttributeValues('{":x": {"SS": ["a"]}}')).toBe(
      "invalid expressionAttributeValues: :x: unsupported data type for attribute value: SS",
    );
    expect(dynamoAttributeValues('{":x": "plain"}')).toMatch(/must be a typed value/);
    expect(dynamoAttributeValues("{")).toMatch(/^invalid expressionAttributeValues: /);
  });

  it("reads names as a non-empty object of strings", () => {
    expect(dynamoAttributeNames('{"#yr": "year"}')).toEqual({ "#yr": "year" });
    expect(dynamoAttributeNames("{}")).toMatch(/empty map/);
    expect(dynamoAttributeNames('{"#yr": 1}')).toMatch(/must be a string/);
  });

  it("needs targetValue unless the trigger feeds a formula", () => {
    const metadata = {
      tableName: "t",
      awsRegion: "r",
      keyConditionExpression: "#k = :v",
      expressionAttributeNames: '{"#k": "k"}',
      expressionAttributeValues: '{":v": {"S": "x"}}',
    };
    expect(
      withErrorMessages(prepareScalerTrigger("aws-dynamodb", metadata, { authParams: keys })).errors,
    ).toEqual(["no targetValue given: set the number of items per replica"]);
    const source = prepareScalerTrigger("aws-dynamodb", metadata, { authParams: keys, asMetricSource: true });
    expect(source.metricSpec?.target).toBe(0);
  });
});

describe("CloudWatch request", () => {
  const query = {
    namespace: "AWS/SQS",
    metricName: "ApproximateNumberOfMessagesVisible",
    dimensionName: "QueueName;Region",
    dimensionValue: "orders;eu",
    metricStat: "Sum",
    metricUnit: "Count",
    metricStatPeriod: 60,
    metricEndTimeOffset: 0,
    metricCollectionTime: 300,
    awsAccountId: "123456789012",
  };
  const now = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

  it("asks for one metric with its dimensions, newest first, over the window", () => {
    expect(cloudwatchRequest(query, now)).toEqual({
      StartTime: new Date(Date.UTC(2026, 0, 2, 2, 59, 0)),
      EndTime: new Date(Date.UTC(2026, 0, 2, 3, 4, 0)),
      ScanBy: "TimestampDescending",
      MetricDataQueries: [
        {
          Id: "c1",
          MetricStat: {
            Metric: {
              Namespace: "AWS/SQS",
              MetricName: "ApproximateNumberOfMessagesVisible",
              Dimensions: [
                { Name: "QueueName", Value: "orders" },
                { Name: "Region", Value: "eu" },
              ],
            },
            Period: 60,
            Stat: "Sum",
            Unit: "Count",
          },
          ReturnData: true,
          AccountId: "123456789012",
        },
      ],
    });
  });

  it("sends an expression as query q1", () => {
    expect(
      cloudwatchRequest({ ...query, expression: "SELECT MAX(x) FROM y", awsAccountId: undefined }, now),
    ).toMatchObject({
      MetricDataQueries: [{ Expression: "SELECT MAX(x) FROM y", Id: "q1", Period: 60 }],
    });
  });

  it("truncates the window's end as Go does, from year 1 (not the Unix epoch)", () => {
    // 420 s does not divide the seconds between year 1 and 1970; Go's Truncate counts from year 1.
    const { end } = cloudwatchQueryWindow(Date.UTC(2026, 0, 1, 0, 0, 0), 420, 0, 420);
    const sinceYearOne = (end.getTime() + 62_135_596_800_000) / 1000;
    expect(sinceYearOne % 420).toBe(0);
    expect(Date.UTC(2026, 0, 1) - end.getTime()).toBeLessThan(420_000);
  });

  it("reads the newest value, or minMetricValue without data", () => {
    expect(cloudwatchValue([{ Values: [7, 3] }], { ignoreNullValues: true, minMetricValue: 1 })).toBe(7);
    expect(cloudwatchValue([], { ignoreNullValues: false, minMetricValue: 1 })).toBe(1);
    expect(cloudwatchValue(undefined, { ignoreNullValues: true, minMetricValue: 2 })).toBe(2);
  });

  it("checks periods and collection times with KEDA's messages", () => {
    const base = {
      namespace: "n",
      metricName: "m",
      dimensionName: "d",
      dimensionValue: "v",
      targetMetricValue: "1",
      minMetricValue: "0",
      awsRegion: "r",
    };
    const errors = (metadata: Record<string, string>) =>
      withErrorMessages(
        prepareScalerTrigger("aws-cloudwatch", { ...base, ...metadata }, { authParams: keys }),
      ).errors;
    expect(errors({ metricStatPeriod: "25" })).toEqual([
      "metricStatPeriod < 60 has to be one of [1, 5, 10, 30], however, 25 is provided",
    ]);
    expect(errors({ metricStatPeriod: "90" })).toEqual([
      "metricStatPeriod >= 60 has to be a multiple of 60, however, 90 is provided",
    ]);
    expect(errors({ metricCollectionTime: "90", metricStatPeriod: "60" })[0]).toMatch(
      /metricCollectionTime must be greater than 0 and a multiple of metricStatPeriod\(60\)/,
    );
    expect(errors({ dimensionValue: "a;b" })[0]).toMatch(/not matching in size/);
    expect(errors({ metricUnit: "Hour" })[0]).toMatch(/metricUnit 'Hour' is not one of/);
    expect(errors({ namespace: "", metricName: "", expression: "SELECT 1" })).toEqual([]);
  });
});
