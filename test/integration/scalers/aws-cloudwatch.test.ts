import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { motoClientConfig, REGION, testCredentials } from "../../support/aws.ts";
import { closedPort } from "../../support/closed-port.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("moto"));

let cloudwatch: CloudWatchClient;
beforeAll(() => {
  cloudwatch = new CloudWatchClient(motoClientConfig());
});
afterAll(() => cloudwatch.destroy());

const credentials = testCredentials();

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "aws-cloudwatch",
    authParams: credentials,
    ...trigger,
    metadata: {
      awsRegion: REGION,
      awsEndpoint: services.motoUrl,
      metricName: "Backlog",
      targetMetricValue: "10",
      minMetricValue: "0",
      metricStatPeriod: "60",
      metricCollectionTime: "300",
      ...trigger.metadata,
    },
  });
  cleanup.add(() => connected.close());
  return connected;
}

/** Data points of Backlog{Queue=<queue>} in `namespace`, one a minute ago and one two minutes ago. */
async function putBacklog(namespace: string, queue: string, recent: number, older: number) {
  const now = Date.now();
  await cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: namespace,
      MetricData: [
        {
          MetricName: "Backlog",
          Dimensions: [{ Name: "Queue", Value: queue }],
          Value: older,
          Timestamp: new Date(now - 150_000),
        },
        {
          MetricName: "Backlog",
          Dimensions: [{ Name: "Queue", Value: queue }],
          Value: recent,
          Timestamp: new Date(now - 90_000),
        },
      ],
    }),
  );
}

describe("aws-cloudwatch scaler against moto", () => {
  const cleanup = useCleanup();

  it("reads the newest value of the metric with its dimensions, as s<i>-aws-cloudwatch", async () => {
    // moto matches data points by dimensions and name only when dimensions are given: the queue
    // name is unique too.
    const namespace = uniqueName("cw");
    const queue = uniqueName("orders");
    await putBacklog(namespace, queue, 42, 7);
    await putBacklog(namespace, uniqueName("other"), 1000, 1000);
    const trigger = measurer(cleanup, {
      metadata: {
        namespace,
        dimensionName: "Queue",
        dimensionValue: queue,
        metricStat: "Maximum",
        activationTargetMetricValue: "41",
      },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-aws-cloudwatch",
      value: 42,
      active: true,
    });
    const inactive = measurer(cleanup, {
      metadata: {
        namespace,
        dimensionName: "Queue",
        dimensionValue: queue,
        metricStat: "Maximum",
        activationTargetMetricValue: "42",
      },
    });
    expect(await inactive.measure()).toMatchObject({ value: 42, active: false });
  });

  it("sends an expression query instead of a metric", async () => {
    const namespace = uniqueName("cw-expression");
    await putBacklog(namespace, uniqueName("orders"), 42, 7);
    // moto answers a Metrics Insights query with the sum of every data point in each period (it
    // does not evaluate the query), so only the request's path is checked here.
    const sample = await measurer(cleanup, {
      metadata: { expression: `SELECT MAX(Backlog) FROM "${namespace}"`, metricName: "" },
    }).measure();
    expect(sample.error).toBeUndefined();
    expect(sample.value).toBeGreaterThanOrEqual(42);
  });

  it("reads minMetricValue when there is no data, or fails when ignoreNullValues is false", async () => {
    const namespace = uniqueName("cw-empty");
    const metadata = { namespace, dimensionName: "Queue", dimensionValue: "none", minMetricValue: "3" };
    expect(await measurer(cleanup, { metadata }).measure()).toMatchObject({ value: 3, active: true });
    const strict = await measurer(cleanup, {
      metadata: { ...metadata, ignoreNullValues: "false" },
    }).measure();
    expect(strict.error).toContain("empty metric data received, ignoreNullValues is false");
  });

  it("reports an unreachable endpoint as the trigger's error, without secrets", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const sample = await measurer(cleanup, {
      metadata: { namespace: "n", dimensionName: "Queue", dimensionValue: "q", awsEndpoint: endpoint },
    }).measure();
    expect(sample.error).toContain("CloudWatch GetMetricData: ");
    expect(sample.error).toContain("ECONNREFUSED");
    expect(sample.error).not.toContain(credentials.awsSecretAccessKey);
  });
});
