import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { kinesisStream, REGION, testCredentials } from "../../support/aws.ts";
import { closedPort } from "../../support/closed-port.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("moto"));

const credentials = testCredentials();

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "aws-kinesis-stream",
    authParams: credentials,
    ...trigger,
    metadata: { awsRegion: REGION, awsEndpoint: services.motoUrl, ...trigger.metadata },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("aws-kinesis-stream scaler against moto", () => {
  const cleanup = useCleanup();

  it("counts open shards and activates above activationShardCount", async () => {
    const stream = await kinesisStream(cleanup, "kinesis-count", 3);
    expect(await measurer(cleanup, { metadata: { streamName: stream } }).measure()).toMatchObject({
      metricName: `s0-aws-kinesis-${stream}`,
      value: 3,
      active: true,
    });
    const inactive = measurer(cleanup, { metadata: { streamName: stream, activationShardCount: "3" } });
    expect(await inactive.measure()).toMatchObject({ value: 3, active: false });
  });

  it("reports a missing stream as the trigger's error, without secrets", async () => {
    const sample = await measurer(cleanup, { metadata: { streamName: "tidal-no-such-stream" } }).measure();
    expect(sample.error).toContain(
      "Kinesis DescribeStreamSummary of tidal-no-such-stream: ResourceNotFoundException",
    );
    expect(sample.error).not.toContain(credentials.awsSecretAccessKey);
  });

  it("reports an unreachable endpoint as the trigger's error", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const sample = await measurer(cleanup, {
      metadata: { streamName: "s", awsEndpoint: endpoint },
    }).measure();
    expect(sample.error).toContain("ECONNREFUSED");
  });
});
