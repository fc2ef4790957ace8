import { awsErrorMessage } from "../../auth/identity/aws.ts";
import { param } from "../params.ts";
import type { ScalerDefinition } from "../types.ts";
import { acquireAwsClient, awsParams, awsProblems } from "./common.ts";

const params = {
  streamName: param.string({ description: "the Kinesis data stream" }),
  shardCount: param.int({ default: 2, description: "target number of open shards per replica" }),
  activationShardCount: param.int({
    default: 0,
    description: "active when the open shard count is greater than this",
  }),
  ...awsParams,
};

export const awsKinesisStreamScaler: ScalerDefinition<typeof params> = {
  type: "aws-kinesis-stream",
  testedAgainst: "moto (AWS Kinesis API)",
  example: {
    metadata: { streamName: "clicks", awsRegion: "eu-west-1" },
    authParams: { awsAccessKeyID: "AKIAEXAMPLE", awsSecretAccessKey: "example" },
    metricName: "s0-aws-kinesis-clicks",
  },
  kedaScalerName: "awsKinesisStreamScaler",
  description: "Open shards of a Kinesis data stream.",
  params,
  validate: (values, context) => awsProblems(values, context),
  metric: (values) => ({
    name: `aws-kinesis-${values.streamName}`,
    target: values.shardCount,
    activationTarget: values.activationShardCount,
  }),
  connect(values, context) {
    const lease = acquireAwsClient(
      {
        id: "KINESIS",
        create: async (config) => {
          const [{ KinesisClient }, { NodeHttpHandler }] = await Promise.all([
            import("@aws-sdk/client-kinesis"),
            import("@smithy/node-http-handler"),
          ]);
          // The Kinesis client speaks HTTP/2 by default (for SubscribeToShard); KEDA's Go client
          // and every Kinesis-compatible server speak HTTP/1.1, which DescribeStreamSummary needs.
          return new KinesisClient({ ...config, requestHandler: new NodeHttpHandler(config.requestHandler) });
        },
      },
      values,
      context,
    );
    return {
      async measure(signal) {
        const { client } = await lease.client;
        const { DescribeStreamSummaryCommand } = await import("@aws-sdk/client-kinesis");
        let shards: number;
        try {
          const answer = await client.send(
            new DescribeStreamSummaryCommand({ StreamName: values.streamName }),
            { abortSignal: signal },
          );
          shards = answer.StreamDescriptionSummary?.OpenShardCount ?? 0;
        } catch (error) {
          throw new Error(
            `Kinesis DescribeStreamSummary of ${values.streamName}: ${awsErrorMessage(error)}`,
            {
              cause: error,
            },
          );
        }
        return { value: shards, active: shards > values.activationShardCount };
      },
      close: () => lease.release(),
    };
  },
};
