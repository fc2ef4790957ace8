/**
 * KEDA's own test tables for its Azure scalers (pkg/scalers/azure_*_scaler_test.go and
 * pkg/scalers/azure/*_test.go): the tables come from the data in test/conformance/keda/, the
 * same inputs must give the same verdict here; KEDA's other tests of these scalers follow them.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";
import {
  kedaTable,
  kedaVar,
  plain,
  rowInputs,
  runParseVectors,
  runValueVectors,
  stringMap,
  type KedaRow,
  type VectorInputs,
} from "../../../test/support/keda-vectors.ts";
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

/**
 * A KEDA podIdentity field (a provider name or a constant of one) as Tidal's podIdentity. Provider
 * none is no pod identity: Tidal's authentication drops it before a scaler sees it (auth/resolve.ts).
 */
function podIdentityOf(value: unknown): { podIdentity?: PodIdentity } {
  const provider = plain(value);
  return provider && provider !== "none"
    ? { podIdentity: { provider: provider as PodIdentity["provider"] } }
    : {};
}

/** A row's inputs with its pod identity, over a fixed environment KEDA's test passes. */
function inputsWith(resolvedEnv: Record<string, string> = {}) {
  return (row: KedaRow): VectorInputs => ({
    ...rowInputs(row),
    resolvedEnv: { ...resolvedEnv, ...stringMap(row.resolvedEnv) },
    ...podIdentityOf(row.podIdentity),
  });
}

/** A metric-identifier table: the referenced row parsed at the row's trigger index. */
function metricNames(file: string, table: string, type: string, inputs: (row: KedaRow) => VectorInputs) {
  runParseVectors({
    file,
    table,
    type,
    inputs: (row) => ({ ...inputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
    kedaError: () => false,
    expect: (row) => ({ metricName: String(row.metricName ?? row.name) }),
  });
}

// azure-servicebus

const SERVICEBUS = "azure_servicebus_scaler_test.json";
const ENTITY_PARAM = { queue: "queueName", subscription: "subscriptionName" } as const;
runParseVectors({
  file: SERVICEBUS,
  table: "parseServiceBusMetadataDataset",
  type: "azure-servicebus",
  inputs: inputsWith(stringMap(kedaVar(SERVICEBUS, "sampleResolvedEnv"))),
  // KEDA checks the entity type, and with a pod identity the namespace it builds.
  expect: (row) => ({
    check: (prepared) => {
      const entity = (row.entityType as { $const: keyof typeof ENTITY_PARAM }).$const;
      expect(prepared.params[ENTITY_PARAM[entity]], `entity type ${entity}`).toBeTruthy();
      if (plain(row.podIdentity)) {
        expect(
          serviceBusIdentityNamespace(String(prepared.params.namespace), stringMap(row.metadata)),
        ).toEqual({ value: row.fullyQualifiedNamespace });
      }
    },
  }),
});
metricNames(
  SERVICEBUS,
  "azServiceBusMetricIdentifiers",
  "azure-servicebus",
  inputsWith(stringMap(kedaVar(SERVICEBUS, "connectionResolvedEnv"))),
);

describe("azure-servicebus: KEDA's fullyQualifiedNamespace", () => {
  it("builds the namespace of pod identity as KEDA does", () => {
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
});

// azure-queue

const QUEUE = "azure_queue_scaler_test.json";
runParseVectors({ file: QUEUE, table: "testAzQueueMetadata", type: "azure-queue", inputs: inputsWith() });
metricNames(QUEUE, "azQueueMetricIdentifiers", "azure-queue", inputsWith());

runValueVectors(QUEUE, "TestAzQueueGetMessageCount.testCases", {}, async (row) => {
  const client = {
    // The service returns at most the number asked for (32).
    peekMessages: async (options?: { numberOfMessages?: number }) => ({
      peekedMessageItems: Array.from({
        length: Math.min(Number(row.peekMessages), options?.numberOfMessages ?? 1),
      }),
    }),
    getProperties: async () => ({ approximateMessagesCount: Number(row.totalMessages) }),
  } as unknown as Parameters<typeof queueMessageCount>[0];
  // KEDA's empty strategy is the default, all.
  const strategy = (String(row.strategy) || "all") as Parameters<typeof queueMessageCount>[1];
  expect(await queueMessageCount(client, strategy, new AbortController().signal)).toBe(row.expectedCount);
});

// azure-blob

const BLOB = "azure_blob_scaler_test.json";
runParseVectors({ file: BLOB, table: "testAzBlobMetadata", type: "azure-blob", inputs: inputsWith() });
metricNames(BLOB, "azBlobMetricIdentifiers", "azure-blob", inputsWith());

runValueVectors(BLOB, "TestAzBlobGlobPatternLeadingSlash.tests", {}, (row) => {
  const { glob } = blobListing({
    blobDelimiter: "/",
    recursive: false,
    globPattern: String(row.globPattern),
    blobPrefix: undefined,
  });
  expect(glob).toBeInstanceOf(RegExp);
  expect((glob as RegExp).test(String(row.blobName))).toBe(row.wantMatch);
});

// azure-eventhub

const EVENTHUB = "azure_eventhub_scaler_test.json";
const eventHubEnv = stringMap(kedaVar(EVENTHUB, "sampleEventHubResolvedEnv"));
runParseVectors({ file: EVENTHUB, table: "parseEventHubMetadataDataset", type: "azure-eventhub" });
runParseVectors({
  file: EVENTHUB,
  table: "parseEventHubMetadataDatasetWithPodIdentity",
  type: "azure-eventhub",
  inputs: (row) => ({
    metadata: stringMap(row.metadata),
    resolvedEnv: eventHubEnv,
    podIdentity: { provider: "azure-workload" },
  }),
});
metricNames(EVENTHUB, "eventHubMetricIdentifiers", "azure-eventhub", (row) => ({
  metadata: stringMap(row.metadata),
  resolvedEnv: eventHubEnv,
}));

/** calculateUnprocessedEventsDataset's numbers as written: beyond a double's precision, as bigints. */
const exactEventRows = (
  JSON.parse(
    readFileSync(new URL(`../../../test/conformance/keda/${EVENTHUB}`, import.meta.url), "utf8").replace(
      /("(?:SequenceNumber|LastEnqueuedSequenceNumber|unprocessedEvents)": )(-?\d+)/g,
      '$1"$2"',
    ),
  ) as { tables: Record<string, { rows: Record<string, unknown>[] }> }
).tables.calculateUnprocessedEventsDataset?.rows;

runValueVectors(EVENTHUB, "calculateUnprocessedEventsDataset", {}, (_row, index) => {
  const row = exactEventRows?.[index] as
    | {
        checkpoint: { SequenceNumber: string };
        partitionInfo: { LastEnqueuedSequenceNumber: string };
        unprocessedEvents: string;
      }
    | undefined;
  if (!row) throw new Error(`no row ${index}`);
  const checkpoint = BigInt(row.checkpoint.SequenceNumber);
  const last = BigInt(row.partitionInfo.LastEnqueuedSequenceNumber);
  expect(unprocessedEvents(last, checkpoint, 10000n)).toBe(BigInt(row.unprocessedEvents));
});

describe("azure-eventhub: KEDA's other parse tests", () => {
  const parsed = (metadata: Record<string, string>, resolvedEnv: Record<string, string>) =>
    withErrorMessages(prepareScalerTrigger("azure-eventhub", metadata, { resolvedEnv }));
  const formed = stringMap(kedaTable(EVENTHUB, "parseEventHubMetadataDataset").rows[1]?.metadata);
  const connection = eventHubEnv.testEventHubConnectionSetting ?? "";

  // Two rows KEDA's table gained after the pinned release (the extracted data does not have them).
  it.each([
    [
      "a lower-case entitypath key",
      "Endpoint=sb://testEventHubNamespace.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=testKey;entitypath=testEventHub",
      false,
    ],
    [
      "EntityPath only inside a value",
      "Endpoint=sb://EntityPath.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=testKey;",
      true,
    ],
  ] as const)("connection string with %s", (_name, testEventHubConnectionSetting, isError) => {
    const prepared = parsed(formed, { ...eventHubEnv, testEventHubConnectionSetting });
    expect(prepared.errors.length > 0, prepared.errors.join("; ")).toBe(isError);
  });

  it("names the threshold in its error (TestParseAzureEventHubMetadataRejectsNonPositiveUnprocessedEventThreshold)", () => {
    expect(parsed({ ...formed, unprocessedEventThreshold: "0" }, eventHubEnv).errors.join("\n")).toContain(
      "unprocessedEventThreshold",
    );
  });

  it("keeps a connection string that has EntityPath (TestParseEventHubMetadataDoesNotAppendDuplicateEntityPath)", () => {
    expect(eventHubConnection({ connection, eventHubName: "eventhub1" })).toBe(connection);
    expect(eventHubConnection({ connection: "Endpoint=sb://n/;SharedAccessKey=k", eventHubName: "h" })).toBe(
      "Endpoint=sb://n/;SharedAccessKey=k;EntityPath=h",
    );
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
