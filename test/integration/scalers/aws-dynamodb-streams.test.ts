import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { dynamoTable, REGION, testCredentials } from "../../support/aws.ts";
import { closedPort } from "../../support/closed-port.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("moto"));

const credentials = testCredentials();

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "aws-dynamodb-streams",
    authParams: credentials,
    ...trigger,
    metadata: { awsRegion: REGION, awsEndpoint: services.motoUrl, ...trigger.metadata },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("aws-dynamodb-streams scaler against moto", () => {
  const cleanup = useCleanup();

  it("counts the shards of the table's latest stream", async () => {
    const table = await dynamoTable(cleanup, "streams-count", true);
    const active = measurer(cleanup, { metadata: { tableName: table } });
    const sample = await active.measure();
    expect(sample).toMatchObject({ metricName: `s0-aws-dynamodb-streams-${table}`, active: true });
    expect(sample.value).toBeGreaterThanOrEqual(1);
    const inactive = measurer(cleanup, {
      metadata: { tableName: table, activationShardCount: String(sample.value) },
    });
    expect(await inactive.measure()).toMatchObject({ value: sample.value, active: false });
  });

  it("reports a table without a stream, and a missing table, as the trigger's error", async () => {
    const table = await dynamoTable(cleanup, "streams-none");
    const withoutStream = await measurer(cleanup, { metadata: { tableName: table } }).measure();
    expect(withoutStream.error).toContain(`dynamodb stream arn for the table ${table} is empty`);
    const missing = await measurer(cleanup, { metadata: { tableName: "tidal-no-such-table" } }).measure();
    expect(missing.error).toContain(
      "DynamoDB DescribeTable of tidal-no-such-table: ResourceNotFoundException",
    );
    expect(missing.error).not.toContain(credentials.awsSecretAccessKey);
  });

  it("reports an unreachable endpoint as the trigger's error", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const sample = await measurer(cleanup, { metadata: { tableName: "t", awsEndpoint: endpoint } }).measure();
    expect(sample.error).toContain("ECONNREFUSED");
  });
});
