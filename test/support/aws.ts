/**
 * AWS resources on the moto test server, made with the real SDK: unique names, removed by the
 * cleanup. Any credentials work on moto (services.motoUrl); `testCredentials` are what the tests
 * give triggers, with a canary secret that must never appear in output.
 */
import { randomBytes } from "node:crypto";
import { services } from "./services.ts";
import { uniqueName, type Cleanup } from "./isolation.ts";

export const REGION = "eu-west-1";

/** Credentials for triggers: the secret and token are canaries that no output may contain. */
export function testCredentials() {
  const canary = randomBytes(8).toString("hex");
  return {
    awsAccessKeyID: `AKIATIDAL${canary.slice(0, 11).toUpperCase()}`,
    awsSecretAccessKey: `canary-Xq7-secret-${canary}`,
    awsSessionToken: `canary-Xq7-token-${canary}`,
  };
}

/** SDK client settings for moto at `endpoint` (default services.motoUrl). */
export function motoClientConfig(endpoint = services.motoUrl) {
  return {
    region: REGION,
    endpoint,
    credentials: { accessKeyId: "AKIATESTSETUP", secretAccessKey: "setup" },
    maxAttempts: 1,
  };
}

/** A queue on moto (removed by the cleanup); returns its URL. */
export async function sqsQueue(
  cleanup: Cleanup,
  prefix: string,
  attributes: Record<string, string> = {},
): Promise<string> {
  const sqs = await import("@aws-sdk/client-sqs");
  const client = new sqs.SQSClient(motoClientConfig());
  const answer = await client.send(
    new sqs.CreateQueueCommand({ QueueName: uniqueName(prefix), Attributes: attributes }),
  );
  const url = answer.QueueUrl!;
  cleanup.add(async () => {
    await client.send(new sqs.DeleteQueueCommand({ QueueUrl: url })).catch(() => undefined);
    client.destroy();
  });
  return url;
}

/**
 * A DynamoDB table on moto keyed by `pk` (string) and `sk` (number), with a global secondary
 * index `by-status` on `status` (string); a stream of new images when `stream` is set. Removed by
 * the cleanup; returns its name.
 */
export async function dynamoTable(cleanup: Cleanup, prefix: string, stream = false): Promise<string> {
  const dynamo = await import("@aws-sdk/client-dynamodb");
  const client = new dynamo.DynamoDBClient(motoClientConfig());
  const name = uniqueName(prefix);
  await client.send(
    new dynamo.CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "N" },
        { AttributeName: "status", AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: "by-status",
          KeySchema: [{ AttributeName: "status", KeyType: "HASH" }],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      BillingMode: "PAY_PER_REQUEST",
      ...(stream ? { StreamSpecification: { StreamEnabled: true, StreamViewType: "NEW_IMAGE" } } : {}),
    }),
  );
  cleanup.add(async () => {
    await client.send(new dynamo.DeleteTableCommand({ TableName: name })).catch(() => undefined);
    client.destroy();
  });
  return name;
}

/** Puts items `{pk, sk, status}` into a table made by dynamoTable. */
export async function putItems(table: string, items: { pk: string; sk: number; status: string }[]) {
  const dynamo = await import("@aws-sdk/client-dynamodb");
  const client = new dynamo.DynamoDBClient(motoClientConfig());
  try {
    for (const item of items) {
      await client.send(
        new dynamo.PutItemCommand({
          TableName: table,
          Item: { pk: { S: item.pk }, sk: { N: String(item.sk) }, status: { S: item.status } },
        }),
      );
    }
  } finally {
    client.destroy();
  }
}

/** A Kinesis data stream on moto with `shards` shards (removed by the cleanup); returns its name. */
export async function kinesisStream(cleanup: Cleanup, prefix: string, shards: number): Promise<string> {
  const kinesis = await import("@aws-sdk/client-kinesis");
  const { NodeHttpHandler } = await import("@smithy/node-http-handler");
  // moto speaks HTTP/1.1; the Kinesis client defaults to HTTP/2.
  const client = new kinesis.KinesisClient({ ...motoClientConfig(), requestHandler: new NodeHttpHandler() });
  const name = uniqueName(prefix);
  await client.send(new kinesis.CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  cleanup.add(async () => {
    await client
      .send(new kinesis.DeleteStreamCommand({ StreamName: name, EnforceConsumerDeletion: true }))
      .catch(() => undefined);
    client.destroy();
  });
  return name;
}
