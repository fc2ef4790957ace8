import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { GCP_ENDPOINT_VARIABLES } from "../../../src/auth/identity/gcp.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { useGcpFakes } from "../../support/fakes/gcp-environment.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

// A real local Cloud Storage server (fake-gcs-server, built from its Go module by
// scripts/services.sh), reached by the real client library through Tidal's gcp-storage scaler.
beforeAll(() => useServices("fake-gcs"));
const gcp = useGcpFakes(() => ({ [GCP_ENDPOINT_VARIABLES.storage]: services.gcsEndpoint }));

async function gcs(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(`${services.gcsEndpoint}${path}`, init);
  if (!response.ok && response.status !== 404) {
    throw new Error(
      `fake-gcs-server ${init.method ?? "GET"} ${path}: HTTP ${response.status} ${await response.text()}`,
    );
  }
  return response;
}

/** A new bucket with the given objects (name → contents), removed after the test. */
async function bucketWith(cleanup: Cleanup, objects: Record<string, string>): Promise<string> {
  const bucket = uniqueName("gcs");
  await gcs("/storage/v1/b?project=tidal-test", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: bucket }),
  });
  cleanup.add(async () => {
    for (const name of Object.keys(objects)) {
      await gcs(`/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`, { method: "DELETE" });
    }
    await gcs(`/storage/v1/b/${bucket}`, { method: "DELETE" });
  });
  for (const [name, contents] of Object.entries(objects)) {
    await gcs(`/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(name)}`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: contents,
    });
  }
  return bucket;
}

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "gcp-storage", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("gcp-storage scaler (fake-gcs-server)", () => {
  const cleanup = useCleanup();

  it("counts the objects with contents (not empty folder placeholders), activation at the threshold", async () => {
    const bucket = await bucketWith(cleanup, {
      "a.txt": "1",
      "b.txt": "22",
      "folder/": "",
      "folder/c.txt": "3",
    });
    const trigger = measurer(cleanup, {
      metadata: { bucketName: bucket, targetObjectCount: "2", activationTargetObjectCount: "3" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    const sample = await trigger.measure();
    expect(sample).toMatchObject({ metricName: `s0-gcp-storage-${bucket}`, value: 3, active: false });
    expect(JSON.stringify(sample)).not.toContain(gcp.account.privateKey.split("\n")[1]);
    await gcs(`/upload/storage/v1/b/${bucket}/o?uploadType=media&name=d.txt`, { method: "POST", body: "4" });
    cleanup.add(() => gcs(`/storage/v1/b/${bucket}/o/d.txt`, { method: "DELETE" }));
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
  });

  it("counts only under blobPrefix, and only directly under it with blobDelimiter", async () => {
    const bucket = await bucketWith(cleanup, { "in/a": "1", "in/b": "2", "in/sub/c": "3", "out/d": "4" });
    const auth = { GoogleApplicationCredentials: gcp.account.keyJson };
    const prefixed = measurer(cleanup, {
      metadata: { bucketName: bucket, blobPrefix: "in/" },
      authParams: auth,
    });
    expect(await prefixed.measure()).toMatchObject({ value: 3 });
    const direct = measurer(cleanup, {
      metadata: { bucketName: bucket, blobPrefix: "in/", blobDelimiter: "/" },
      authParams: auth,
    });
    expect(await direct.measure()).toMatchObject({ value: 2 });
  });

  it("stops counting at maxBucketItemsToScan", async () => {
    const bucket = await bucketWith(cleanup, { a: "1", b: "1", c: "1", d: "1", e: "1" });
    const trigger = measurer(cleanup, {
      metadata: { bucketName: bucket, maxBucketItemsToScan: "3" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    expect(await trigger.measure()).toMatchObject({ value: 3 });
  });

  it("counts a bucket that does not exist as 0, as KEDA does", async () => {
    const trigger = measurer(cleanup, {
      metadata: { bucketName: uniqueName("gcs-missing") },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
    expect((await trigger.measure()).error).toBeUndefined();
  });

  it("reads with the workload's identity and with a key file from credentialsFromEnvFile", async () => {
    const bucket = await bucketWith(cleanup, { a: "1", b: "2" });
    const workload = measurer(cleanup, {
      metadata: { bucketName: bucket },
      podIdentity: { provider: "gcp" },
    });
    expect(await workload.measure()).toMatchObject({ value: 2 });

    const folder = mkdtempSync(join(tmpdir(), "tidal-gcs-"));
    cleanup.add(() => rmSync(folder, { recursive: true, force: true }));
    writeFileSync(join(folder, "key.json"), gcp.account.keyJson);
    const fromFile = measurer(cleanup, {
      metadata: { bucketName: bucket, credentialsFromEnvFile: "KEY_FILE" },
      resolvedEnv: { KEY_FILE: join(folder, "key.json") },
    });
    expect(await fromFile.measure()).toMatchObject({ value: 2 });
  });

  it("reports credentials that are not a key, without quoting them", async () => {
    const broken = gcp.account.keyJson.replace('"private_key"', '"privateKey"');
    const trigger = measurer(cleanup, {
      metadata: { bucketName: "any" },
      authParams: { GoogleApplicationCredentials: broken },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      "GoogleApplicationCredentials has no private_key: give the whole service-account key file",
    );
    expect(JSON.stringify(sample)).not.toContain(gcp.account.privateKey.split("\n")[1]);
  });

  it("reports an unreachable endpoint", async () => {
    const port = await closedPort();
    process.env[GCP_ENDPOINT_VARIABLES.storage] = `http://127.0.0.1:${port}`;
    cleanup.add(() => {
      process.env[GCP_ENDPOINT_VARIABLES.storage] = services.gcsEndpoint;
    });
    const trigger = measurer(cleanup, {
      metadata: { bucketName: "any" },
      authParams: { GoogleApplicationCredentials: gcp.account.keyJson },
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      new RegExp(
        `^listing the objects of bucket any: cannot reach http://127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED`,
      ),
    );
  });
});
