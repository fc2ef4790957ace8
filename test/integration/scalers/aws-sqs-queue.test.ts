import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionPool } from "../../../src/scalers/connection-pool.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { motoClientConfig, REGION, sqsQueue, testCredentials } from "../../support/aws.ts";
import { closedPort } from "../../support/closed-port.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("moto"));

let sqs: SQSClient;
beforeAll(() => {
  sqs = new SQSClient(motoClientConfig());
});
afterAll(() => sqs.destroy());

const credentials = testCredentials();

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "aws-sqs-queue",
    authParams: credentials,
    ...trigger,
    metadata: { awsRegion: REGION, awsEndpoint: services.motoUrl, ...trigger.metadata },
  });
  cleanup.add(() => connected.close());
  return connected;
}

async function send(queueUrl: string, count: number, delaySeconds = 0) {
  for (let index = 0; index < count; index += 1) {
    await sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `m${index}`, DelaySeconds: delaySeconds }),
    );
  }
}

function expectNoSecrets(text: string) {
  expect(text).not.toContain(credentials.awsSecretAccessKey);
  expect(text).not.toContain(credentials.awsSessionToken);
  expect(text).not.toContain(credentials.awsAccessKeyID);
}

describe("aws-sqs-queue scaler against moto", () => {
  const cleanup = useCleanup();

  it("counts visible messages, names the metric after the queue, and activates above activationQueueLength", async () => {
    const queueUrl = await sqsQueue(cleanup, "sqs-visible");
    const name = queueUrl.slice(queueUrl.lastIndexOf("/") + 1);
    await send(queueUrl, 3);
    const trigger = measurer(cleanup, { metadata: { queueURL: queueUrl, activationQueueLength: "3" } });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-aws-sqs-${name}`,
      value: 3,
      active: false,
    });
    await send(queueUrl, 1);
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("counts in-flight messages unless scaleOnInFlight is false, and delayed ones when scaleOnDelayed", async () => {
    const queueUrl = await sqsQueue(cleanup, "sqs-inflight");
    await send(queueUrl, 3);
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 2, VisibilityTimeout: 300 }),
    );
    expect(received.Messages).toHaveLength(2);
    await send(queueUrl, 2, 600);

    const byDefault = measurer(cleanup, { metadata: { queueURL: queueUrl } });
    const visibleOnly = measurer(cleanup, { metadata: { queueURL: queueUrl, scaleOnInFlight: "false" } });
    const withDelayed = measurer(cleanup, { metadata: { queueURL: queueUrl, scaleOnDelayed: "true" } });
    expect(await byDefault.measure()).toMatchObject({ value: 3 });
    expect(await visibleOnly.measure()).toMatchObject({ value: 1 });
    expect(await withDelayed.measure()).toMatchObject({ value: 5 });

    // Made visible again, the in-flight messages count as visible.
    for (const message of received.Messages ?? []) {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: message.ReceiptHandle!,
          VisibilityTimeout: 0,
        }),
      );
    }
    expect(await visibleOnly.measure()).toMatchObject({ value: 3 });
  });

  it("reads the queue URL from the target's environment through queueURLFromEnv", async () => {
    const queueUrl = await sqsQueue(cleanup, "sqs-env");
    await send(queueUrl, 2);
    const trigger = measurer(cleanup, {
      metadata: { queueURLFromEnv: "QUEUE_URL" },
      resolvedEnv: { QUEUE_URL: queueUrl },
    });
    expect(await trigger.measure()).toMatchObject({ value: 2, active: true });
  });

  it("takes awsRegion from the TriggerAuthentication when the metadata has none", async () => {
    const queueUrl = await sqsQueue(cleanup, "sqs-auth-region");
    await send(queueUrl, 1);
    const connected = connectTestTrigger({
      type: "aws-sqs-queue",
      metadata: { queueURL: queueUrl, awsEndpoint: services.motoUrl },
      authParams: { ...credentials, awsRegion: REGION },
    });
    cleanup.add(() => connected.close());
    expect(await connected.measure()).toMatchObject({ value: 1 });
  });

  it("shares one client between triggers with the same region, endpoint and credentials", async () => {
    const pool = new ConnectionPool();
    const first = await sqsQueue(cleanup, "sqs-pool-a");
    const second = await sqsQueue(cleanup, "sqs-pool-b");
    await send(second, 2);
    const a = measurer(cleanup, { metadata: { queueURL: first }, pool });
    const b = measurer(cleanup, { metadata: { queueURL: second }, pool });
    expect(await a.measure()).toMatchObject({ value: 0, active: false });
    expect(await b.measure()).toMatchObject({ value: 2, active: true });
    // One SQS client and one credential provider.
    expect(pool.size).toBe(2);
    const other = measurer(cleanup, {
      metadata: { queueURL: first },
      authParams: testCredentials(),
      pool,
    });
    await other.measure();
    expect(pool.size).toBe(4);
    await a.close();
    await b.close();
    await other.close();
    expect(pool.size).toBe(0);
  });

  it("reports a missing queue as the trigger's error, without secrets", async () => {
    const queueUrl = `${services.motoUrl}/123456789012/tidal-no-such-queue`;
    const sample = await measurer(cleanup, { metadata: { queueURL: queueUrl } }).measure();
    expect(sample.error).toContain(`SQS GetQueueAttributes of ${queueUrl}`);
    expect(sample.error).toMatch(/QueueDoesNotExist|NonExistentQueue/);
    expect(sample.error).not.toMatch(/\n\s+at /);
    expectNoSecrets(sample.error ?? "");
  });

  it("reports an unreachable endpoint as the trigger's error, without secrets", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const sample = await measurer(cleanup, {
      metadata: { queueURL: `${endpoint}/123456789012/q`, awsEndpoint: endpoint },
    }).measure();
    expect(sample.error).toContain("ECONNREFUSED");
    expectNoSecrets(sample.error ?? "");
  });

  it("fails a trigger without credentials at preparation, naming the parameter", () => {
    expect(() =>
      connectTestTrigger({
        type: "aws-sqs-queue",
        metadata: { queueURL: "q", awsRegion: REGION },
      }),
    ).toThrow(/awsAccessKeyID: awsAccessKeyID not found/);
  });
});
