import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { dynamoTable, putItems, REGION, testCredentials } from "../../support/aws.ts";
import { closedPort } from "../../support/closed-port.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("moto"));

const credentials = testCredentials();

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "aws-dynamodb",
    authParams: credentials,
    ...trigger,
    metadata: {
      awsRegion: REGION,
      awsEndpoint: services.motoUrl,
      keyConditionExpression: "#pk = :pk",
      expressionAttributeNames: '{"#pk": "pk"}',
      expressionAttributeValues: '{":pk": {"S": "orders"}}',
      targetValue: "2",
      ...trigger.metadata,
    },
  });
  cleanup.add(() => connected.close());
  return connected;
}

const items = [
  { pk: "orders", sk: 1, status: "pending" },
  { pk: "orders", sk: 2, status: "pending" },
  { pk: "orders", sk: 3, status: "done" },
  { pk: "orders", sk: 4, status: "pending" },
  { pk: "invoices", sk: 1, status: "pending" },
];

describe("aws-dynamodb scaler against moto", () => {
  const cleanup = useCleanup();

  it("counts the items the key condition selects, and activates above activationTargetValue", async () => {
    const table = await dynamoTable(cleanup, "dynamo-count");
    await putItems(table, items);
    const trigger = measurer(cleanup, { metadata: { tableName: table, activationTargetValue: "4" } });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-aws-dynamodb-${table}`,
      value: 4,
      active: false,
    });
    await putItems(table, [{ pk: "orders", sk: 5, status: "done" }]);
    expect(await trigger.measure()).toMatchObject({ value: 5, active: true });
  });

  it("applies a filter expression, a range condition and a secondary index", async () => {
    const table = await dynamoTable(cleanup, "dynamo-filter");
    await putItems(table, items);
    const filtered = measurer(cleanup, {
      metadata: {
        tableName: table,
        keyConditionExpression: "#pk = :pk AND sk > :low",
        filterExpression: "#status = :status",
        expressionAttributeNames: '{"#pk": "pk", "#status": "status"}',
        expressionAttributeValues:
          '{":pk": {"S": "orders"}, ":low": {"N": "1"}, ":status": {"S": "pending"}}',
      },
    });
    expect(await filtered.measure()).toMatchObject({ value: 2 });
    const byIndex = measurer(cleanup, {
      metadata: {
        tableName: table,
        indexName: "by-status",
        keyConditionExpression: "#status = :status",
        expressionAttributeNames: '{"#status": "status"}',
        expressionAttributeValues: '{":status": {"S": "pending"}}',
      },
    });
    expect(await byIndex.measure()).toMatchObject({ value: 4, active: true });
  });

  it("reports a missing table as the trigger's error, without secrets", async () => {
    const sample = await measurer(cleanup, { metadata: { tableName: "tidal-no-such-table" } }).measure();
    expect(sample.error).toContain("DynamoDB Query on table tidal-no-such-table: ResourceNotFoundException");
    expect(sample.error).not.toContain(credentials.awsSecretAccessKey);
    expect(sample.error).not.toContain(credentials.awsAccessKeyID);
  });

  it("reports an unreachable endpoint as the trigger's error", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const sample = await measurer(cleanup, { metadata: { tableName: "t", awsEndpoint: endpoint } }).measure();
    expect(sample.error).toContain("ECONNREFUSED");
  });
});
