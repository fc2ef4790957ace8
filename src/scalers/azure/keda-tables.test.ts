/**
 * KEDA's own test tables for its Azure scalers (pkg/scalers/azure_*_scaler_test.go and
 * pkg/scalers/azure/*_test.go), row by row: the same inputs must give the same verdict here.
 */
import { describe, expect, it } from "vitest";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import { prepareScalerTrigger, withErrorMessages } from "../../../test/support/prepare-trigger.ts";
import { serviceBusIdentityNamespace } from "./servicebus.ts";

interface Row {
  name: string;
  metadata: Record<string, string>;
  authParams?: Record<string, string>;
  resolvedEnv?: Record<string, string>;
  podIdentity?: PodIdentity["provider"];
  isError: boolean;
}

function prepare(type: string, row: Row, index = 0) {
  return withErrorMessages(
    prepareScalerTrigger(type, row.metadata, {
      index,
      authParams: row.authParams ?? {},
      resolvedEnv: row.resolvedEnv ?? {},
      ...(row.podIdentity ? { podIdentity: { provider: row.podIdentity } } : {}),
    }),
  );
}

function checkRows(type: string, rows: readonly Row[]) {
  it.each(rows.map((row, index) => [`${index}: ${row.name}`, row] as const))("%s", (_, row) => {
    const prepared = prepare(type, row);
    if (row.isError) expect(prepared.errors, "expected an error").not.toEqual([]);
    else expect(prepared.errors).toEqual([]);
  });
}

describe("azure-servicebus: KEDA's parseServiceBusMetadataDataset", () => {
  // KEDA's table resolves every connectionFromEnv through {"none": "none"}.
  const env = { none: "none" };
  const queue = { queueName: "testqueue", connectionFromEnv: "none" };
  const topic = { topicName: "testtopic", subscriptionName: "testsubscription", connectionFromEnv: "none" };
  const workload = "azure-workload" as const;
  const rows: (Row & { namespace?: string })[] = [
    { name: "nothing", metadata: {}, isError: true },
    { name: "properly formed queue", metadata: queue, isError: false },
    { name: "queue with message count", metadata: { ...queue, messageCount: "1000" }, isError: false },
    { name: "topic and subscription", metadata: topic, isError: false },
    { name: "topic with message count", metadata: { ...topic, messageCount: "1000" }, isError: false },
    { name: "queue and topic", metadata: { ...queue, topicName: "testtopic" }, isError: true },
    {
      name: "queue and subscription",
      metadata: { ...queue, subscriptionName: "testsubscription" },
      isError: true,
    },
    {
      name: "topic without subscription",
      metadata: { topicName: "testtopic", connectionFromEnv: "none" },
      isError: true,
    },
    {
      name: "subscription without topic",
      metadata: { subscriptionName: "testsubscription", connectionFromEnv: "none" },
      isError: true,
    },
    { name: "valid cloud", metadata: { ...queue, cloud: "AzureChinaCloud" }, isError: false },
    {
      name: "invalid cloud",
      metadata: { queueName: "testqueue", cloud: "InvalidCloud" },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "private cloud with endpoint suffix",
      metadata: { ...queue, cloud: "Private", endpointSuffix: "servicebus.private.cloud" },
      isError: false,
    },
    {
      name: "private cloud without endpoint suffix",
      metadata: { queueName: "testqueue", cloud: "Private" },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "endpoint suffix without cloud",
      metadata: { ...queue, endpointSuffix: "ignored" },
      isError: false,
    },
    { name: "connection not set", metadata: { queueName: "testqueue" }, isError: true },
    {
      name: "connection set in auth params",
      metadata: { queueName: "testqueue" },
      authParams: { connection: "none" },
      isError: false,
    },
    {
      name: "workload identity without namespace",
      metadata: { queueName: "testqueue" },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "correct workload identity",
      metadata: { queueName: "testqueue", namespace: "ns" },
      podIdentity: workload,
      isError: false,
      namespace: "ns.servicebus.windows.net",
    },
    {
      name: "invalid activation message count",
      metadata: { ...queue, messageCount: "1000", activationMessageCount: "AA" },
      isError: true,
    },
    { name: "queue with incorrect useRegex", metadata: { ...queue, useRegex: "ababa" }, isError: true },
    { name: "queue useRegex false", metadata: { ...queue, useRegex: "false" }, isError: false },
    { name: "queue regex avg", metadata: { ...queue, useRegex: "true", operation: "avg" }, isError: false },
    { name: "queue regex sum", metadata: { ...queue, useRegex: "true", operation: "sum" }, isError: false },
    { name: "queue regex max", metadata: { ...queue, useRegex: "true", operation: "max" }, isError: false },
    { name: "queue regex default operation", metadata: { ...queue, useRegex: "true" }, isError: false },
    {
      name: "queue regex random operation",
      metadata: { ...queue, useRegex: "true", operation: "random" },
      isError: true,
    },
    {
      name: "queue with invalid regex",
      metadata: { ...queue, queueName: "*", useRegex: "true", operation: "avg" },
      isError: true,
    },
    {
      name: "subscription with incorrect useRegex",
      metadata: { ...topic, useRegex: "ababa" },
      isError: true,
    },
    { name: "subscription useRegex false", metadata: { ...topic, useRegex: "false" }, isError: false },
    {
      name: "subscription regex avg",
      metadata: { ...topic, useRegex: "true", operation: "avg" },
      isError: false,
    },
    {
      name: "subscription regex sum",
      metadata: { ...topic, useRegex: "true", operation: "sum" },
      isError: false,
    },
    {
      name: "subscription regex max",
      metadata: { ...topic, useRegex: "true", operation: "max" },
      isError: false,
    },
    {
      name: "subscription regex random operation",
      metadata: { ...topic, useRegex: "true", operation: "random" },
      isError: true,
    },
    {
      name: "subscription with invalid regex",
      metadata: { ...topic, subscriptionName: "*", useRegex: "true", operation: "avg" },
      isError: true,
    },
  ];
  checkRows(
    "azure-servicebus",
    rows.map((row) => ({ ...row, resolvedEnv: env })),
  );

  it("builds the namespace of pod identity as KEDA does (fullyQualifiedNamespace column)", () => {
    expect(serviceBusIdentityNamespace("ns", {})).toEqual({ value: "ns.servicebus.windows.net" });
    expect(serviceBusIdentityNamespace("ns", { cloud: "AzureChinaCloud" })).toEqual({
      value: "ns.servicebus.chinacloudapi.cn",
    });
    expect(
      serviceBusIdentityNamespace("ns", { cloud: "Private", endpointSuffix: "servicebus.private.cloud" }),
    ).toEqual({ value: "ns.servicebus.private.cloud" });
    expect(serviceBusIdentityNamespace("ns", { endpointSuffix: "ignored" })).toEqual({
      value: "ns.servicebus.windows.net",
    });
  });

  it("names metrics as azServiceBusMetricIdentifiers", () => {
    const queueRow = { name: "", metadata: queue, resolvedEnv: env, isError: false };
    const topicRow = { name: "", metadata: topic, resolvedEnv: env, isError: false };
    expect(prepare("azure-servicebus", queueRow, 0).metricSpec?.metricName).toBe(
      "s0-azure-servicebus-testqueue",
    );
    expect(prepare("azure-servicebus", topicRow, 1).metricSpec?.metricName).toBe(
      "s1-azure-servicebus-testtopic",
    );
  });
});
