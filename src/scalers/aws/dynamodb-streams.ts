import { awsErrorMessage } from "../../auth/identity/aws.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { acquireAwsClient, awsParams, awsProblems } from "./common.ts";

const params = {
  tableName: param.string({ description: "the table whose stream is measured" }),
  shardCount: param.int({ default: 2, description: "target number of shards per replica" }),
  activationShardCount: param.int({
    default: 0,
    description: "active when the shard count is greater than this",
  }),
  ...awsParams,
};

export const awsDynamoDbStreamsScaler: ScalerDefinition<typeof params> = {
  type: "aws-dynamodb-streams",
  testedAgainst: "moto (AWS DynamoDB and DynamoDB Streams APIs)",
  example: {
    metadata: { tableName: "orders", awsRegion: "eu-west-1" },
    authParams: { awsAccessKeyID: "AKIAEXAMPLE", awsSecretAccessKey: "example" },
    metricName: "s0-aws-dynamodb-streams-orders",
  },
  kedaScalerName: "awsDynamoDBStreamsScaler",
  description: "Shards of a DynamoDB table's latest stream.",
  params,
  validate: (values, context) => awsProblems(values, context),
  metric: (values) => ({
    name: `aws-dynamodb-streams-${values.tableName}`,
    target: values.shardCount,
    activationTarget: values.activationShardCount,
  }),
  connect(values, context) {
    const tables = acquireAwsClient(
      {
        id: "DYNAMODB",
        create: async (config) => new (await import("@aws-sdk/client-dynamodb")).DynamoDBClient(config),
      },
      values,
      context,
    );
    const streams = acquireAwsClient(
      {
        id: "DYNAMODB_STREAMS",
        create: async (config) =>
          new (await import("@aws-sdk/client-dynamodb-streams")).DynamoDBStreamsClient(config),
      },
      values,
      context,
    );
    // KEDA looks the stream up once, when the scaler is built; Tidal at the first measurement,
    // and again after a failure (a stream enabled later is then found).
    let streamArn: string | undefined;
    async function latestStreamArn(signal: AbortSignal): Promise<string> {
      if (streamArn) return streamArn;
      const { client } = await tables.client;
      const { DescribeTableCommand } = await import("@aws-sdk/client-dynamodb");
      let arn: string | undefined;
      try {
        const answer = await client.send(new DescribeTableCommand({ TableName: values.tableName }), {
          abortSignal: signal,
        });
        arn = answer.Table?.LatestStreamArn;
      } catch (error) {
        throw new Error(`DynamoDB DescribeTable of ${values.tableName}: ${awsErrorMessage(error)}`, {
          cause: error,
        });
      }
      if (!arn) {
        throw new Error(
          `dynamodb stream arn for the table ${values.tableName} is empty: enable a stream on the table`,
        );
      }
      streamArn = arn;
      return arn;
    }
    return {
      async measure(signal) {
        const arn = await latestStreamArn(signal);
        const { client } = await streams.client;
        const { DescribeStreamCommand } = await import("@aws-sdk/client-dynamodb-streams");
        let shards = 0;
        let lastShardId: string | undefined;
        try {
          do {
            const answer = await client.send(
              new DescribeStreamCommand({
                StreamArn: arn,
                ...(lastShardId ? { ExclusiveStartShardId: lastShardId } : {}),
              }),
              { abortSignal: signal },
            );
            shards += answer.StreamDescription?.Shards?.length ?? 0;
            lastShardId = answer.StreamDescription?.LastEvaluatedShardId;
          } while (lastShardId);
        } catch (error) {
          streamArn = undefined;
          throw new Error(`DynamoDB Streams DescribeStream of ${arn}: ${awsErrorMessage(error)}`, {
            cause: error,
          });
        }
        return { value: shards, active: shards > values.activationShardCount };
      },
      close: async () => {
        await Promise.all([tables.release(), streams.release()]);
      },
    };
  },
};
