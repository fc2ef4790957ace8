import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { awsErrorMessage } from "../../auth/identity/aws.ts";
import type { ParamProblem } from "../params.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { acquireAwsClient, awsParams, awsProblems } from "./common.ts";

const params = {
  tableName: param.string({ description: "the table to query" }),
  keyConditionExpression: param.string({ description: "the Query's key condition, e.g. #yr = :yyyy" }),
  expressionAttributeNames: param.string({
    description: 'JSON object of the names in the expressions, e.g. {"#yr": "year"}',
  }),
  expressionAttributeValues: param.string({
    description:
      'JSON object of the values in the expressions, typed as DynamoDB writes them, e.g. {":yyyy": {"N": "1994"}}',
  }),
  indexName: param.string({ optional: true, description: "a secondary index to query instead of the table" }),
  filterExpression: param.string({ optional: true, description: "the Query's filter expression" }),
  targetValue: param.int({
    optional: true,
    description:
      "target number of items per replica (required unless the trigger feeds a scalingModifiers formula)",
  }),
  activationTargetValue: param.int({ default: 0, description: "active when the count is greater than this" }),
  ...awsParams,
};

/** KEDA's reading of expressionAttributeNames: a non-empty JSON object of strings. */
export function dynamoAttributeNames(text: string): Record<string, string> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return `invalid expressionAttributeNames: ${(error as Error).message}`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return "invalid expressionAttributeNames: it must be a JSON object of names";
  }
  const entries = Object.entries(parsed);
  if (entries.length === 0) return "expressionAttributeNames is an empty map: name at least one attribute";
  for (const [name, value] of entries) {
    if (typeof value !== "string") {
      return `invalid expressionAttributeNames: the value of "${name}" must be a string`;
    }
  }
  return parsed as Record<string, string>;
}

/**
 * KEDA's reading of expressionAttributeValues: a JSON object whose values are DynamoDB typed
 * values ({"S": "text"}, {"N": "12"} with the number as a string, {"BOOL": true}, {"B": "bytes"},
 * {"L": [...]}, {"M": {...}}, {"NULL": true}).
 */
export function dynamoAttributeValues(text: string): Record<string, AttributeValue> | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return `invalid expressionAttributeValues: ${(error as Error).message}`;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return "invalid expressionAttributeValues: it must be a JSON object of typed values";
  }
  const values: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(parsed)) {
    const converted = attributeValue(value, name);
    if (typeof converted === "string") return `invalid expressionAttributeValues: ${converted}`;
    values[name] = converted;
  }
  return values;
}

function attributeValue(value: unknown, where: string): AttributeValue | string {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `${where} must be a typed value such as {"S": "text"}`;
  }
  const [entry] = Object.entries(value);
  if (entry === undefined) return `${where} must be a typed value such as {"S": "text"}`;
  const [type, inner] = entry;
  const wrong = (what: string) => `${where}: ${type} takes ${what}`;
  switch (type) {
    case "S":
      return typeof inner === "string" ? { S: inner } : wrong("a string");
    case "N":
      return typeof inner === "string" ? { N: inner } : wrong('the number as a string, e.g. {"N": "12"}');
    case "BOOL":
      return typeof inner === "boolean" ? { BOOL: inner } : wrong("true or false");
    case "B":
      return typeof inner === "string" ? { B: Buffer.from(inner, "utf8") } : wrong("a string");
    case "L": {
      if (!Array.isArray(inner)) return wrong("a list of typed values");
      const list: AttributeValue[] = [];
      for (const [index, item] of inner.entries()) {
        const converted = attributeValue(item, `${where}[${index}]`);
        if (typeof converted === "string") return converted;
        list.push(converted);
      }
      return { L: list };
    }
    case "M": {
      if (typeof inner !== "object" || inner === null || Array.isArray(inner)) {
        return wrong("an object of typed values");
      }
      const map: Record<string, AttributeValue> = {};
      for (const [key, item] of Object.entries(inner)) {
        const converted = attributeValue(item, `${where}.${key}`);
        if (typeof converted === "string") return converted;
        map[key] = converted;
      }
      return { M: map };
    }
    case "NULL":
      return { NULL: true };
    default:
      return `${where}: unsupported data type for attribute value: ${type}`;
  }
}

export const awsDynamoDbScaler: ScalerDefinition<typeof params> = {
  type: "aws-dynamodb",
  testedAgainst: "moto (AWS DynamoDB API)",
  example: {
    metadata: {
      tableName: "orders",
      awsRegion: "eu-west-1",
      keyConditionExpression: "#status = :status",
      expressionAttributeNames: '{"#status": "status"}',
      expressionAttributeValues: '{":status": {"S": "pending"}}',
      targetValue: "10",
    },
    authParams: { awsAccessKeyID: "AKIAEXAMPLE", awsSecretAccessKey: "example" },
    metricName: "s0-aws-dynamodb-orders",
  },
  kedaScalerName: "awsDynamoDBScaler",
  description: "Items a DynamoDB Query returns (one page, as KEDA reads it).",
  params,
  validate(values, context) {
    const problems: ParamProblem[] = awsProblems(values, context);
    const names = dynamoAttributeNames(values.expressionAttributeNames);
    if (typeof names === "string") {
      problems.push({ key: "expressionAttributeNames", message: names, severity: "error" });
    }
    const attributeValues = dynamoAttributeValues(values.expressionAttributeValues);
    if (typeof attributeValues === "string") {
      problems.push({ key: "expressionAttributeValues", message: attributeValues, severity: "error" });
    }
    if (values.targetValue === undefined && !context.asMetricSource) {
      problems.push({
        key: "targetValue",
        message: "no targetValue given: set the number of items per replica",
        severity: "error",
      });
    }
    return problems;
  },
  metric: (values) => ({
    name: `aws-dynamodb-${values.tableName}`,
    target: values.targetValue ?? 0,
    activationTarget: values.activationTargetValue,
  }),
  connect(values, context) {
    const lease = acquireAwsClient(
      {
        id: "DYNAMODB",
        create: async (config) => new (await import("@aws-sdk/client-dynamodb")).DynamoDBClient(config),
      },
      values,
      context,
    );
    const names = dynamoAttributeNames(values.expressionAttributeNames) as Record<string, string>;
    const attributeValues = dynamoAttributeValues(values.expressionAttributeValues) as Record<
      string,
      AttributeValue
    >;
    return {
      async measure(signal) {
        const { client } = await lease.client;
        const { QueryCommand } = await import("@aws-sdk/client-dynamodb");
        let count: number;
        try {
          const answer = await client.send(
            new QueryCommand({
              TableName: values.tableName,
              KeyConditionExpression: values.keyConditionExpression,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: attributeValues,
              ...(values.filterExpression ? { FilterExpression: values.filterExpression } : {}),
              ...(values.indexName ? { IndexName: values.indexName } : {}),
            }),
            { abortSignal: signal },
          );
          count = answer.Count ?? 0;
        } catch (error) {
          throw new Error(`DynamoDB Query on table ${values.tableName}: ${awsErrorMessage(error)}`, {
            cause: error,
          });
        }
        return { value: count, active: count > values.activationTargetValue };
      },
      close: () => lease.release(),
    };
  },
};
