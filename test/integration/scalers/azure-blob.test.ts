import { ContainerClient } from "@azure/storage-blob";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("azurite"));

const connection = () => services.azureStorageConnectionString;
const accountKey = () => /AccountKey=([^;]+)/.exec(connection())?.[1] as string;

/** A container with a unique name holding empty blobs of the given names, deleted afterwards. */
async function container(cleanup: Cleanup, prefix: string, blobs: string[]): Promise<ContainerClient> {
  const name = uniqueName(prefix)
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 63);
  const client = new ContainerClient(connection(), name);
  await client.create();
  cleanup.add(() => client.deleteIfExists());
  for (const blob of blobs) await client.getBlockBlobClient(blob).upload("x", 1);
  return client;
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "azure-blob", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

const BLOBS = [
  "top-1.json",
  "top-2.csv",
  "in/a.json",
  "in/b.json",
  "in/c.csv",
  "in/deep/d.json",
  "in/deep/e.json",
  "out/f.json",
];

describe("azure-blob scaler against Azurite", () => {
  const cleanup = useCleanup();

  it("counts the blobs at one level of a prefix, recursively, and by glob, as KEDA does", async () => {
    const blobs = await container(cleanup, "uploads", BLOBS);
    const count = async (metadata: Record<string, string>) =>
      measurer(cleanup, {
        metadata: { blobContainerName: blobs.containerName, ...metadata },
        authParams: { connection: connection() },
      }).measure();
    // The top level: two blobs ("in/" and "out/" are virtual folders, not blobs).
    expect(await count({ activationBlobCount: "2" })).toMatchObject({
      metricName: `s0-azure-blob-${blobs.containerName}`,
      value: 2,
      active: false,
    });
    expect(await count({ blobPrefix: "in" })).toMatchObject({ value: 3, active: true });
    expect(await count({ blobPrefix: "in", recursive: "true" })).toMatchObject({ value: 5 });
    expect(await count({ recursive: "true" })).toMatchObject({ value: 8 });
    expect(await count({ globPattern: "/in/*.json" })).toMatchObject({ value: 4 });
    expect(await count({ globPattern: "{in,out}/?.json" })).toMatchObject({ value: 3 });
    expect(await count({ blobPrefix: "in", globPattern: "*.csv" })).toMatchObject({ value: 1 });
  });

  it("reads the connection string from the target's environment", async () => {
    const blobs = await container(cleanup, "env", ["a", "b"]);
    const sample = await measurer(cleanup, {
      metadata: { blobContainerName: blobs.containerName, connectionFromEnv: "STORAGE" },
      resolvedEnv: { STORAGE: connection() },
    }).measure();
    expect(sample).toMatchObject({ value: 2, active: true });
  });

  it("names a missing container", async () => {
    const sample = await measurer(cleanup, {
      metadata: { blobContainerName: "no-such-container-5c1f" },
      authParams: { connection: connection() },
    }).measure();
    expect(sample.error).toBe(
      'blob container "no-such-container-5c1f" not found in Azure Storage at http://127.0.0.1:10000/devstoreaccount1: create it or fix blobContainerName',
    );
  });

  it("says the credentials were refused, without the key", async () => {
    const blobs = await container(cleanup, "auth", ["a"]);
    const wrongKey = Buffer.from("another wrong key that must not leak").toString("base64");
    const sample = await measurer(cleanup, {
      metadata: { blobContainerName: blobs.containerName },
      authParams: { connection: connection().replace(accountKey(), wrongKey) },
    }).measure();
    expect(sample.error).toMatch(/refused the credentials \(HTTP 403\)/);
    expect(sample.error).not.toContain(wrongKey);
  });

  it("says an endpoint cannot be reached", async () => {
    const port = await closedPort();
    const sample = await measurer(cleanup, {
      metadata: { blobContainerName: "uploads" },
      authParams: { connection: connection().replace("127.0.0.1:10000", `127.0.0.1:${port}`) },
    }).measure();
    expect(sample.error).toMatch(/^blob container "uploads": cannot reach Azure Storage at .*ECONNREFUSED/);
    expect(sample.error).not.toContain(accountKey());
  });
});
