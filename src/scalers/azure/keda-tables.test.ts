/**
 * KEDA's own test tables for its Azure scalers (pkg/scalers/azure_*_scaler_test.go and
 * pkg/scalers/azure/*_test.go), row by row: the same inputs must give the same verdict here.
 */
import { describe, expect, it } from "vitest";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import { prepareScalerTrigger, withErrorMessages } from "../../../test/support/prepare-trigger.ts";
import { blobListing } from "./blob.ts";
import {
  checkpointBlob,
  checkpointSequenceNumber,
  lagForPartitions,
  unprocessedEvents,
  unprocessedWithoutCheckpoint,
} from "./checkpoint.ts";
import { hasEntityPath } from "./connection-string.ts";
import { eventHubConnection } from "./eventhub.ts";
import { queueMessageCount } from "./queue.ts";
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

describe("azure-queue: KEDA's testAzQueueMetadata", () => {
  const env = { CONNECTION: "SAMPLE" };
  const workload = "azure-workload" as const;
  const rows: Row[] = [
    { name: "nothing passed", metadata: {}, isError: true },
    {
      name: "properly formed",
      metadata: { connectionFromEnv: "CONNECTION", queueName: "sample", queueLength: "5" },
      isError: false,
    },
    { name: "empty queueName", metadata: { connectionFromEnv: "CONNECTION", queueName: "" }, isError: true },
    {
      name: "improperly formed queueLength",
      metadata: { connectionFromEnv: "CONNECTION", queueName: "sample", queueLength: "AA" },
      isError: true,
    },
    {
      name: "improperly formed activationQueueLength",
      metadata: {
        connectionFromEnv: "CONNECTION",
        queueName: "sample",
        queueLength: "1",
        activationQueueLength: "AA",
      },
      isError: true,
    },
    {
      name: "podIdentity azure-workload with account name",
      metadata: { accountName: "sample_acc", queueName: "sample_queue" },
      podIdentity: workload,
      isError: false,
    },
    {
      name: "podIdentity azure-workload without account name",
      metadata: { accountName: "", queueName: "sample_queue" },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "podIdentity azure-workload without queue name",
      metadata: { accountName: "sample_acc", queueName: "" },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "podIdentity azure-workload with cloud",
      metadata: { accountName: "sample_acc", queueName: "sample_queue", cloud: "AzurePublicCloud" },
      podIdentity: workload,
      isError: false,
    },
    {
      name: "podIdentity azure-workload with invalid cloud",
      metadata: { accountName: "sample_acc", queueName: "sample_queue", cloud: "InvalidCloud" },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "podIdentity azure-workload with private cloud and endpoint suffix",
      metadata: {
        accountName: "sample_acc",
        queueName: "sample_queue",
        cloud: "Private",
        endpointSuffix: "queue.core.private.cloud",
      },
      podIdentity: workload,
      isError: false,
    },
    {
      name: "podIdentity azure-workload with private cloud and no endpoint suffix",
      metadata: {
        accountName: "sample_acc",
        queueName: "sample_queue",
        cloud: "Private",
        endpointSuffix: "",
      },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "podIdentity azure-workload with endpoint suffix and no cloud",
      metadata: {
        accountName: "sample_acc",
        queueName: "sample_queue",
        cloud: "",
        endpointSuffix: "ignored",
      },
      podIdentity: workload,
      isError: false,
    },
    {
      name: "connection from authParams",
      metadata: { queueName: "sample", queueLength: "5" },
      authParams: { connection: "value" },
      isError: false,
    },
    {
      name: "valid queueLengthStrategy all",
      metadata: {
        connectionFromEnv: "CONNECTION",
        queueName: "sample",
        queueLength: "5",
        queueLengthStrategy: "all",
      },
      isError: false,
    },
    {
      name: "valid queueLengthStrategy visibleonly",
      metadata: {
        connectionFromEnv: "CONNECTION",
        queueName: "sample",
        queueLength: "5",
        queueLengthStrategy: "visibleonly",
      },
      isError: false,
    },
    {
      name: "invalid queueLengthStrategy",
      metadata: {
        connectionFromEnv: "CONNECTION",
        queueName: "sample",
        queueLength: "5",
        queueLengthStrategy: "invalid",
      },
      isError: true,
    },
  ];
  checkRows(
    "azure-queue",
    rows.map((row) => ({ ...row, resolvedEnv: env })),
  );

  it("names metrics as azQueueMetricIdentifiers", () => {
    expect(prepare("azure-queue", { ...(rows[1] as Row), resolvedEnv: env }, 0).metricSpec?.metricName).toBe(
      "s0-azure-queue-sample",
    );
    expect(prepare("azure-queue", { ...(rows[5] as Row), resolvedEnv: env }, 1).metricSpec?.metricName).toBe(
      "s1-azure-queue-sample_queue",
    );
  });

  it.each([
    ["default strategy (all)", "all", 10, 100, 100],
    ["explicit all strategy", "all", 10, 100, 100],
    ["visibleonly strategy with less than 32 messages", "visibleonly", 10, 100, 10],
    ["visibleonly strategy with 32 or more messages", "visibleonly", 35, 100, 100],
  ] as const)("TestAzQueueGetMessageCount: %s", async (_, strategy, peeked, total, expected) => {
    const client = {
      // The service returns at most the number asked for (32).
      peekMessages: async (options?: { numberOfMessages?: number }) => ({
        peekedMessageItems: Array.from({ length: Math.min(peeked, options?.numberOfMessages ?? 1) }),
      }),
      getProperties: async () => ({ approximateMessagesCount: total }),
    } as unknown as Parameters<typeof queueMessageCount>[0];
    expect(await queueMessageCount(client, strategy, new AbortController().signal)).toBe(expected);
  });
});

describe("azure-blob: KEDA's testAzBlobMetadata", () => {
  const env = { CONNECTION: "SAMPLE" };
  const workload = "azure-workload" as const;
  const formed = { connectionFromEnv: "CONNECTION", blobContainerName: "sample", blobCount: "5" };
  const rows: Row[] = [
    { name: "nothing passed", metadata: {}, isError: true },
    {
      name: "properly formed",
      metadata: { ...formed, blobDelimiter: "/", blobPrefix: "blobsubpath" },
      isError: false,
    },
    {
      name: "empty blobContainerName",
      metadata: { connectionFromEnv: "CONNECTION", blobContainerName: "" },
      isError: true,
    },
    {
      name: "improperly formed blobCount",
      metadata: { connectionFromEnv: "CONNECTION", blobContainerName: "sample", blobCount: "AA" },
      isError: true,
    },
    {
      name: "improperly formed activationBlobCount",
      metadata: {
        connectionFromEnv: "CONNECTION",
        blobContainerName: "sample",
        blobCount: "1",
        activationBlobCount: "AA",
      },
      isError: true,
    },
    {
      name: "azure-workload with account name",
      metadata: { accountName: "sample_acc", blobContainerName: "sample_container" },
      podIdentity: workload,
      isError: false,
    },
    {
      name: "azure-workload without account name",
      metadata: { accountName: "", blobContainerName: "sample_container" },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "azure-workload without blob container name",
      metadata: { accountName: "sample_acc", blobContainerName: "" },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "azure-workload with cloud",
      metadata: {
        accountName: "sample_acc",
        blobContainerName: "sample_container",
        cloud: "AzureGermanCloud",
      },
      podIdentity: workload,
      isError: false,
    },
    {
      name: "azure-workload with invalid cloud",
      metadata: { accountName: "sample_acc", blobContainerName: "sample_container", cloud: "InvalidCloud" },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "azure-workload with private cloud and endpoint suffix",
      metadata: {
        accountName: "sample_acc",
        blobContainerName: "sample_container",
        cloud: "Private",
        endpointSuffix: "queue.core.private.cloud",
      },
      podIdentity: workload,
      isError: false,
    },
    {
      name: "azure-workload with private cloud and no endpoint suffix",
      metadata: {
        accountName: "sample_acc",
        blobContainerName: "sample_container",
        cloud: "Private",
        endpointSuffix: "",
      },
      podIdentity: workload,
      isError: true,
    },
    {
      name: "azure-workload with endpoint suffix and no cloud",
      metadata: {
        accountName: "sample_acc",
        blobContainerName: "sample_container",
        cloud: "",
        endpointSuffix: "ignored",
      },
      podIdentity: workload,
      isError: false,
    },
    {
      name: "connection from authParams",
      metadata: { blobContainerName: "sample_container", blobCount: "5" },
      authParams: { connection: "value" },
      isError: false,
    },
    { name: "with globPattern", metadata: { ...formed, globPattern: "foo**" }, isError: false },
    { name: "with recursive true", metadata: { ...formed, recursive: "true" }, isError: false },
    { name: "with recursive false", metadata: { ...formed, recursive: "false" }, isError: false },
    { name: "with invalid recursive", metadata: { ...formed, recursive: "invalid" }, isError: true },
    { name: "with invalid glob pattern", metadata: { ...formed, globPattern: "[\\]" }, isError: true },
  ];
  checkRows(
    "azure-blob",
    rows.map((row) => ({ ...row, resolvedEnv: env })),
  );

  it.each([
    ["/folderA/subFolderA/*.json", "folderA/subFolderA/part-fileA.json", true],
    ["/folderA/**", "folderA/subFolderA/part-fileA.json", true],
    ["folderA/subFolderA/*.json", "folderA/subFolderA/part-fileA.json", true],
    ["/folderA/subFolderA/*.json", "folderB/subFolderC/fileE.txt", false],
  ])("TestAzBlobGlobPatternLeadingSlash: %s against %s → %s", (globPattern, name, matches) => {
    const { glob } = blobListing({
      blobDelimiter: "/",
      recursive: false,
      globPattern,
      blobPrefix: undefined,
    });
    expect(glob).toBeInstanceOf(RegExp);
    expect((glob as RegExp).test(name)).toBe(matches);
  });

  it("names metrics as azBlobMetricIdentifiers", () => {
    expect(prepare("azure-blob", { ...(rows[1] as Row), resolvedEnv: env }, 0).metricSpec?.metricName).toBe(
      "s0-azure-blob-sample",
    );
    expect(prepare("azure-blob", { ...(rows[5] as Row), resolvedEnv: env }, 1).metricSpec?.metricName).toBe(
      "s1-azure-blob-sample_container",
    );
  });
});

describe("azure-eventhub: KEDA's parseEventHubMetadataDataset", () => {
  const connection =
    "Endpoint=sb://testEventHubNamespace.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=testKey;EntityPath=testEventHub";
  const env = { testEventHubConnectionSetting: connection, testStorageConnectionSetting: "none" };
  const withoutEntityPath = {
    testEventHubConnectionSetting:
      "Endpoint=sb://testEventHubNamespace.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=testKey;",
    testStorageConnectionSetting: "none",
  };
  const storage = { storageConnectionFromEnv: "testStorageConnectionSetting" };
  const hub = { connectionFromEnv: "testEventHubConnectionSetting" };
  const group = { consumerGroup: "testEventHubConsumerGroup" };
  const rows: Row[] = [
    { name: "nothing", metadata: {}, isError: true },
    {
      name: "properly formed",
      metadata: { ...storage, ...group, ...hub, unprocessedEventThreshold: "15" },
      resolvedEnv: env,
      isError: false,
    },
    {
      name: "missing event hub connection",
      metadata: { ...storage, ...group, unprocessedEventThreshold: "15" },
      resolvedEnv: env,
      isError: true,
    },
    {
      name: "missing storage connection",
      metadata: { ...group, ...hub, unprocessedEventThreshold: "15" },
      resolvedEnv: env,
      isError: true,
    },
    {
      name: "missing consumer group (default)",
      metadata: { ...storage, ...hub, unprocessedEventThreshold: "15" },
      resolvedEnv: env,
      isError: false,
    },
    {
      name: "missing threshold (default)",
      metadata: { ...storage, ...group, ...hub },
      resolvedEnv: env,
      isError: false,
    },
    {
      name: "threshold zero",
      metadata: { ...storage, ...group, ...hub, unprocessedEventThreshold: "0" },
      resolvedEnv: env,
      isError: true,
    },
    {
      name: "threshold negative",
      metadata: { ...storage, ...group, ...hub, unprocessedEventThreshold: "-1" },
      resolvedEnv: env,
      isError: true,
    },
    {
      name: "invalid activation threshold",
      metadata: { ...storage, ...group, ...hub, activationUnprocessedEventThreshold: "AA" },
      resolvedEnv: env,
      isError: true,
    },
    {
      name: "blob container with azureFunction strategy",
      metadata: {
        ...storage,
        ...group,
        ...hub,
        blobContainer: "azure-webjobs-eventhub",
        checkpointStrategy: "azureFunction",
      },
      resolvedEnv: env,
      isError: false,
    },
    {
      name: "no EntityPath, no eventHubName",
      metadata: { ...storage, ...group, ...hub, unprocessedEventThreshold: "15" },
      resolvedEnv: withoutEntityPath,
      isError: true,
    },
    {
      name: "no EntityPath, eventHubName given",
      metadata: { ...storage, ...group, ...hub, unprocessedEventThreshold: "15", eventHubName: "eventhub1" },
      resolvedEnv: withoutEntityPath,
      isError: false,
    },
    {
      name: "lower-case entitypath key",
      metadata: { ...storage, ...group, ...hub, unprocessedEventThreshold: "15" },
      resolvedEnv: {
        ...env,
        testEventHubConnectionSetting:
          "Endpoint=sb://testEventHubNamespace.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=testKey;entitypath=testEventHub",
      },
      isError: false,
    },
    {
      name: "EntityPath only inside a value",
      metadata: { ...storage, ...group, ...hub, unprocessedEventThreshold: "15" },
      resolvedEnv: {
        ...env,
        testEventHubConnectionSetting:
          "Endpoint=sb://EntityPath.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=testKey;",
      },
      isError: true,
    },
  ];
  checkRows("azure-eventhub", rows);

  const workload = "azure-workload" as const;
  const named = { eventHubName: "eventhub1", eventHubNamespace: "kedatesteventhub" };
  const identityRows: Row[] = [
    { name: "nothing", metadata: {}, isError: true },
    {
      name: "connection string but no namespace",
      metadata: { ...storage, ...group, ...hub, unprocessedEventThreshold: "15" },
      isError: true,
    },
    {
      name: "properly formed",
      metadata: { ...storage, ...group, unprocessedEventThreshold: "15", ...named },
      isError: false,
    },
    {
      name: "missing eventHubName",
      metadata: {
        ...storage,
        ...group,
        unprocessedEventThreshold: "15",
        eventHubNamespace: "kedatesteventhub",
      },
      isError: true,
    },
    {
      name: "missing eventHubNamespace",
      metadata: { ...storage, ...group, unprocessedEventThreshold: "15", eventHubName: "eventhub1" },
      isError: true,
    },
    {
      name: "cloud specified",
      metadata: {
        ...storage,
        ...group,
        unprocessedEventThreshold: "15",
        ...named,
        cloud: "azurePublicCloud",
      },
      isError: false,
    },
    {
      name: "private cloud without endpoint suffix",
      metadata: { ...storage, ...group, unprocessedEventThreshold: "15", ...named, cloud: "private" },
      isError: true,
    },
    {
      name: "private cloud without endpoint suffix (again)",
      metadata: { ...storage, ...group, unprocessedEventThreshold: "15", ...named, cloud: "private" },
      isError: true,
    },
    {
      name: "private cloud with resource URL only",
      metadata: {
        ...storage,
        ...group,
        unprocessedEventThreshold: "15",
        ...named,
        cloud: "private",
        eventHubResourceURL: "eventHubResourceURL",
      },
      isError: true,
    },
    {
      name: "properly formed private cloud",
      metadata: {
        ...storage,
        ...group,
        unprocessedEventThreshold: "15",
        ...named,
        cloud: "private",
        endpointSuffix: "serviceBusEndpointSuffix",
        eventHubResourceURL: "eventHubResourceURL",
      },
      isError: false,
    },
    {
      name: "storage account name, no storage connection",
      metadata: { storageAccountName: "blobstorage", ...group, unprocessedEventThreshold: "15", ...named },
      isError: false,
    },
    {
      name: "neither storage connection nor account",
      metadata: { ...group, unprocessedEventThreshold: "15", ...named },
      isError: true,
    },
    {
      name: "empty storageAccount key",
      metadata: { storageAccount: "", ...group, unprocessedEventThreshold: "15", ...named },
      isError: true,
    },
    {
      name: "storage connection, empty storageAccountName",
      metadata: { ...storage, storageAccountName: "", ...group, unprocessedEventThreshold: "15", ...named },
      isError: false,
    },
    {
      name: "private cloud, storage account, no storageEndpointSuffix",
      metadata: {
        cloud: "private",
        storageAccountName: "blobstorage",
        ...group,
        unprocessedEventThreshold: "15",
        ...named,
      },
      isError: true,
    },
    {
      name: "private cloud with both suffixes",
      metadata: {
        cloud: "private",
        endpointSuffix: "serviceBusEndpointSuffix",
        eventHubResourceURL: "eventHubResourceURL",
        storageAccountName: "aStorageAccount",
        storageEndpointSuffix: "storageEndpointSuffix",
        ...group,
        unprocessedEventThreshold: "15",
        ...named,
      },
      isError: false,
    },
  ];
  describe("with podIdentity azure-workload (parseEventHubMetadataDatasetWithPodIdentity)", () => {
    checkRows(
      "azure-eventhub",
      identityRows.map((row) => ({ ...row, resolvedEnv: env, podIdentity: workload })),
    );
  });

  it("names the threshold in its error (TestParseAzureEventHubMetadataRejectsNonPositiveUnprocessedEventThreshold)", () => {
    expect(prepare("azure-eventhub", rows[6] as Row).errors.join("\n")).toContain(
      "unprocessedEventThreshold",
    );
  });

  it("keeps a connection string that has EntityPath (TestParseEventHubMetadataDoesNotAppendDuplicateEntityPath)", () => {
    expect(eventHubConnection({ connection, eventHubName: "eventhub1" })).toBe(connection);
    expect(eventHubConnection({ connection: "Endpoint=sb://n/;SharedAccessKey=k", eventHubName: "h" })).toBe(
      "Endpoint=sb://n/;SharedAccessKey=k;EntityPath=h",
    );
  });

  it("names metrics as eventHubMetricIdentifiers", () => {
    expect(prepare("azure-eventhub", rows[1] as Row, 0).metricSpec?.metricName).toBe(
      "s0-azure-eventhub-testEventHubConsumerGroup",
    );
    expect(prepare("azure-eventhub", rows[1] as Row, 1).metricSpec?.metricName).toBe(
      "s1-azure-eventhub-testEventHubConsumerGroup",
    );
  });

  it.each([
    [5n, 10n, 5n],
    [4611686018427387903n, 4611686018427387905n, 2n],
    [4611686018427387900n, 4611686018427387905n, 5n],
    [4000000000000200000n, 4000000000000000000n, 9223372036854575807n],
    [0n, 2n, 2n],
    [15n, 10n, 0n],
    [4611686018427387910n, 4611686018427387905n, 0n],
    [5n, 9223372036854775797n, 0n],
    [9223372036854775797n, 5n, 15n],
  ])("calculateUnprocessedEventsDataset: checkpoint %s, last %s → %s", (checkpoint, last, expected) => {
    expect(unprocessedEvents(last, checkpoint, 10000n)).toBe(expected);
  });

  it("counts events without a checkpoint as KEDA's GetUnprocessedEventCountWithoutCheckpoint", () => {
    expect(unprocessedWithoutCheckpoint(0n, 0n)).toBe(1n);
    expect(unprocessedWithoutCheckpoint(255n, 255n)).toBe(0n);
    expect(unprocessedWithoutCheckpoint(0n, 1n)).toBe(2n);
  });

  it("caps the lag at a threshold per partition (getTotalLagRelatedToPartitionAmount)", () => {
    expect(lagForPartitions(100n, 2n, 10n)).toBe(20n);
    expect(lagForPartitions(100n, 20n, 10n)).toBe(100n);
  });
});

describe("azure-eventhub checkpoints: KEDA's pkg/scalers/azure/azure_eventhub_test.go", () => {
  const base = { serviceBusEndpointSuffix: "servicebus.windows.net" };
  const functionHub = "Endpoint=sb://eventhubnamespace.servicebus.windows.net/;EntityPath=hub-test";
  const identity = { ...base, namespace: "eventhubnamespace", eventHubName: "hub-test" };

  it.each([
    [
      "TestShouldParseCheckpointForFunction",
      { connection: functionHub, consumerGroup: "$Default" },
      "azure-webjobs-eventhub",
      "eventhubnamespace.servicebus.windows.net/hub-test/$Default/0",
    ],
    [
      "TestShouldParseCheckpointForFunctionWithCheckpointStrategy",
      { connection: functionHub, consumerGroup: "$Default", checkpointStrategy: "azureFunction" },
      "azure-webjobs-eventhub",
      "eventhubnamespace.servicebus.windows.net/hub-test/$Default/0",
    ],
    [
      "TestShouldParseCheckpointForFunctionWithPodIdentity",
      { ...identity, consumerGroup: "$Default" },
      "azure-webjobs-eventhub",
      "eventhubnamespace.servicebus.windows.net/hub-test/$Default/0",
    ],
    [
      "TestShouldParseCheckpointForFunctionWithCheckpointStrategyAndPodIdentity",
      { ...identity, consumerGroup: "$Default", checkpointStrategy: "azureFunction" },
      "azure-webjobs-eventhub",
      "eventhubnamespace.servicebus.windows.net/hub-test/$Default/0",
    ],
    [
      "TestShouldParseCheckpointForDefault",
      { connection: functionHub, consumerGroup: "$Default", blobContainer: "DefaultContainer" },
      "DefaultContainer",
      "$Default/0",
    ],
    [
      "TestShouldParseCheckpointForBlobMetadata",
      {
        connection: `${functionHub};`,
        consumerGroup: "$Default",
        blobContainer: "containername",
        checkpointStrategy: "blobMetadata",
      },
      "containername",
      "eventhubnamespace.servicebus.windows.net/hub-test/$default/checkpoint/0",
    ],
    [
      "TestShouldParseCheckpointForBlobMetadataWithPodIdentity",
      {
        ...identity,
        consumerGroup: "$Default",
        blobContainer: "containername",
        checkpointStrategy: "blobMetadata",
      },
      "containername",
      "eventhubnamespace.servicebus.windows.net/hub-test/$default/checkpoint/0",
    ],
    [
      "TestShouldParseCheckpointForGoSdk",
      {
        connection: functionHub,
        consumerGroup: "$Default",
        blobContainer: "containername",
        checkpointStrategy: "goSdk",
      },
      "containername",
      "0",
    ],
    [
      "TestShouldParseCheckpointForDapr",
      {
        connection: functionHub,
        consumerGroup: "$default",
        blobContainer: "containername",
        checkpointStrategy: "dapr",
      },
      "containername",
      "dapr-hub-test-$default-0",
    ],
    [
      "TestShouldParseCheckpointForDaprWithPodIdentity",
      { ...identity, consumerGroup: "$default", blobContainer: "containername", checkpointStrategy: "dapr" },
      "containername",
      "dapr-hub-test-$default-0",
    ],
  ])("%s", (_, location, container, blob) => {
    expect(checkpointBlob({ ...base, ...location }, "0")).toMatchObject({ container, blob });
  });

  it("TestShouldParseCheckpointForBlobMetadataWithError: a control character in the path is an error", () => {
    expect(() =>
      checkpointBlob(
        {
          ...base,
          connection: `${functionHub}\n`,
          consumerGroup: "$Default",
          blobContainer: "c",
          checkpointStrategy: "blobMetadata",
        },
        "0",
      ),
    ).toThrow(/invalid control character/);
  });

  it.each([
    ["with EntityPath", `${functionHub};SharedAccessKey=secretKey123`, true],
    [
      "lower-case entitypath",
      "Endpoint=sb://eventhubnamespace.servicebus.windows.net/;SharedAccessKey=k;entitypath=hub-test",
      true,
    ],
    [
      "EntityPath in a value",
      "Endpoint=sb://EntityPath.servicebus.windows.net/;SharedAccessKey=secretKey123",
      false,
    ],
  ])("TestHasEventHubEntityPath: %s", (_, value, expected) => {
    expect(hasEntityPath(value)).toBe(expected);
  });

  it.each([
    ["azureFunction", '{"SequenceNumber":1,"PartitionId":"0","Owner":"","Token":"","Epoch":0}', {}, 1n],
    ["default", '{"SequenceNumber":1,"PartitionId":"1","Owner":"","Token":"","Epoch":0}', {}, 1n],
    ["default", '{"sequence_number":1,"partition_id":"2","Owner":"","Token":"","Epoch":0}', {}, 1n],
    ["blobMetadata", "", { sequencenumber: "1" }, 1n],
    [
      "goSdk",
      '{"partitionID":"0","epoch":0,"owner":"","checkpoint":{"sequenceNumber":1,"enqueueTime":""},"state":"","token":""}',
      {},
      1n,
    ],
    [
      "dapr",
      '{"partitionID":"0","epoch":0,"owner":"","checkpoint":{"sequenceNumber":1,"enqueueTime":""},"state":"","token":""}',
      {},
      1n,
    ],
  ] as const)(
    "TestCheckpointFromBlobStorage… %s reads sequence number %s",
    (format, body, metadata, expected) => {
      expect(checkpointSequenceNumber(format, body, metadata)).toBe(expected);
    },
  );
});
