import { BlobServiceClient, type ContainerClient } from "@azure/storage-blob";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { startFakeEventHubs, type FakeEventHubs } from "../../support/fakes/fake-eventhubs.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

let eventHubs: FakeEventHubs;
beforeAll(async () => {
  await useServices("azurite");
  eventHubs = await startFakeEventHubs();
});
afterAll(() => eventHubs.close());

const storage = () => services.azureStorageConnectionString;
const accountKey = () => /AccountKey=([^;]+)/.exec(storage())?.[1] as string;
const blobs = () => BlobServiceClient.fromConnectionString(storage());

function name(prefix: string): string {
  return uniqueName(prefix)
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 50);
}

/** A container (deleted afterwards unless it is the shared Functions one) with these blobs. */
async function checkpoints(
  cleanup: Cleanup,
  container: string,
  entries: { blob: string; body?: string; metadata?: Record<string, string> }[],
): Promise<ContainerClient> {
  const client = blobs().getContainerClient(container);
  await client.createIfNotExists();
  if (container !== "azure-webjobs-eventhub") cleanup.add(() => client.deleteIfExists());
  for (const entry of entries) {
    const body = entry.body ?? "";
    const blob = client.getBlockBlobClient(entry.blob);
    await blob.upload(body, Buffer.byteLength(body), entry.metadata ? { metadata: entry.metadata } : {});
    cleanup.add(() => blob.deleteIfExists());
  }
  return client;
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "azure-eventhub", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

const auth = (hub: string) => ({
  connection: eventHubs.connectionString({ hub }),
  storageConnection: storage(),
});

describe("azure-eventhub scaler against fake-eventhubs and Azurite", () => {
  const cleanup = useCleanup();

  it("sums each partition's events after its Azure Functions checkpoint (the default strategy)", async () => {
    const hub = name("orders");
    eventHubs.setHub(hub, [
      { beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 30 },
      { beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 12 },
      { beginningSequenceNumber: -1, lastEnqueuedSequenceNumber: -1 },
    ]);
    const prefix = `${eventHubs.host}/${hub}/$Default`;
    await checkpoints(cleanup, "azure-webjobs-eventhub", [
      {
        blob: `${prefix}/0`,
        body: '{"Offset":"0","SequenceNumber":20,"PartitionId":"0","Owner":"","Token":"","Epoch":1}',
      },
      { blob: `${prefix}/1`, body: '{"SequenceNumber":12,"PartitionId":"1"}' },
    ]);
    const trigger = measurer(cleanup, {
      metadata: { unprocessedEventThreshold: "4", activationUnprocessedEventThreshold: "10" },
      authParams: auth(hub),
    });
    // 30 - 20 + 12 - 12 = 10 unprocessed: not above the activation threshold 10.
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-azure-eventhub-$Default",
      value: 10,
      active: false,
    });
    eventHubs.setPartition(hub, "1", { beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 13 });
    expect(await trigger.measure()).toMatchObject({ value: 11, active: true });
  });

  it("counts every event of a partition that has no checkpoint yet, and caps the lag at a threshold per partition", async () => {
    const hub = name("fresh");
    eventHubs.setHub(hub, [
      { beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 99 },
      { beginningSequenceNumber: 5, lastEnqueuedSequenceNumber: 5 },
    ]);
    const trigger = measurer(cleanup, {
      metadata: { consumerGroup: "fresh-group", unprocessedEventThreshold: "10" },
      authParams: auth(hub),
    });
    // 100 events in partition 0 and none in 1: 100 / 10 > 2 partitions, so the lag is 2 × 10.
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-azure-eventhub-fresh-group",
      value: 20,
      active: true,
    });
  });

  it("reads blobMetadata, goSdk, dapr and the consumer-group layout from their containers", async () => {
    const hub = name("layouts");
    eventHubs.setHub(hub, [
      { beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 50 },
      { beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 40 },
    ]);
    const goBody = (sequence: number) =>
      `{"partitionID":"0","epoch":0,"owner":"","checkpoint":{"sequenceNumber":${sequence},"enqueueTime":""},"state":"","token":""}`;
    const cases = [
      {
        strategy: "blobMetadata",
        group: "$Default",
        entries: [
          { blob: `${eventHubs.host}/${hub}/$default/checkpoint/0`, metadata: { sequencenumber: "45" } },
          { blob: `${eventHubs.host}/${hub}/$default/checkpoint/1`, metadata: { sequencenumber: "40" } },
        ],
        expected: 5,
      },
      {
        strategy: "goSdk",
        group: "$Default",
        entries: [
          { blob: "0", body: goBody(41) },
          { blob: "1", body: goBody(38) },
        ],
        expected: 11,
      },
      {
        strategy: "dapr",
        group: "workers",
        entries: [
          { blob: `dapr-${hub}-workers-0`, body: goBody(50) },
          { blob: `dapr-${hub}-workers-1`, body: goBody(30) },
        ],
        expected: 10,
      },
      {
        strategy: "",
        group: "py",
        entries: [
          { blob: "py/0", body: '{"sequence_number":47,"partition_id":"0"}' },
          { blob: "py/1", body: '{"SequenceNumber":39,"PartitionId":"1"}' },
        ],
        expected: 4,
      },
    ];
    for (const { strategy, group, entries, expected } of cases) {
      const container = name(`cp-${strategy || "default"}`);
      await checkpoints(cleanup, container, entries);
      const trigger = measurer(cleanup, {
        metadata: {
          consumerGroup: group,
          blobContainer: container,
          unprocessedEventThreshold: "100",
          ...(strategy ? { checkpointStrategy: strategy } : {}),
        },
        authParams: auth(hub),
      });
      expect(await trigger.measure(), strategy || "default").toMatchObject({ value: expected });
    }
  });

  it("reads the connection strings from the target's environment, and a hub name for a namespace-level connection string", async () => {
    const hub = name("env");
    eventHubs.setHub(hub, [{ beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 2 }]);
    const trigger = measurer(cleanup, {
      metadata: {
        connectionFromEnv: "EVENTHUB",
        storageConnectionFromEnv: "STORAGE",
        eventHubName: hub,
        consumerGroup: "env-group",
      },
      resolvedEnv: { EVENTHUB: eventHubs.connectionString({ entityPath: false }), STORAGE: storage() },
    });
    expect(await trigger.measure()).toMatchObject({ value: 3, active: true });
  });

  it("names a checkpoint it cannot read", async () => {
    const hub = name("badcp");
    eventHubs.setHub(hub, [{ beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 9 }]);
    const container = name("cp-bad");
    await checkpoints(cleanup, container, [{ blob: "$Default/0", body: "not json" }]);
    const sample = await measurer(cleanup, {
      metadata: { blobContainer: container },
      authParams: auth(hub),
    }).measure();
    expect(sample.error).toMatch(
      /^checkpoint blob "\$Default\/0" in container "[^"]*cp-bad[^"]*" \(default format\): failed to decode blob data/,
    );
  });

  it("names a missing event hub", async () => {
    const sample = await measurer(cleanup, { metadata: {}, authParams: auth("no-such-hub") }).measure();
    expect(sample.error).toMatch(
      new RegExp(
        `^event hub "no-such-hub" not found in Event Hubs at ${eventHubs.host.replace(/\./g, "\\.")}: `,
      ),
    );
  });

  it("says the credentials were refused, without the key", async () => {
    const hub = name("auth");
    eventHubs.setHub(hub, [{ beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 1 }]);
    const wrongKey = Buffer.from("a wrong event hubs key that must not leak").toString("base64");
    const connection = eventHubs.connectionString({ hub, key: wrongKey });
    const sample = await measurer(cleanup, {
      metadata: {},
      authParams: { connection, storageConnection: storage() },
    }).measure();
    expect(sample.error).toMatch(/refused the credentials: InvalidSignature/);
    expect(sample.error).not.toContain(wrongKey);
    expect(sample.error).not.toContain(eventHubs.key);
    expect(sample.error).not.toContain(accountKey());
  });

  it("says the checkpoint storage refused its key, without it", async () => {
    const hub = name("storage-auth");
    eventHubs.setHub(hub, [{ beginningSequenceNumber: 0, lastEnqueuedSequenceNumber: 1 }]);
    const wrongKey = Buffer.from("a wrong storage key that must not leak").toString("base64");
    const sample = await measurer(cleanup, {
      metadata: {},
      authParams: {
        connection: eventHubs.connectionString({ hub }),
        storageConnection: storage().replace(accountKey(), wrongKey),
      },
    }).measure();
    expect(sample.error).toMatch(
      /^unable to get checkpoint from storage .*refused the credentials \(HTTP 403\)/,
    );
    expect(sample.error).not.toContain(wrongKey);
  });

  it("says an endpoint cannot be reached", async () => {
    const port = await closedPort();
    const connection = `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=k;SharedAccessKey=${eventHubs.key};UseDevelopmentEmulator=true;EntityPath=hub`;
    const sample = await measurer(cleanup, {
      metadata: {},
      authParams: { connection, storageConnection: storage() },
    }).measure();
    expect(sample.error).toMatch(
      new RegExp(`cannot reach Event Hubs at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    expect(sample.error).not.toContain(eventHubs.key);
  });
});
