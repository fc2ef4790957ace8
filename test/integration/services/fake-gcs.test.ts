import { beforeAll, describe, expect, it } from "vitest";
import { uniqueName, useCleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("fake-gcs"));

describe("fake-gcs test server", () => {
  const cleanup = useCleanup();

  it("serves Cloud Storage's JSON API over plain HTTP on 127.0.0.1:4443", async () => {
    expect(services.gcsEndpoint).toBe("http://127.0.0.1:4443");
    const response = await fetch(`${services.gcsEndpoint}/storage/v1/b`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ kind: "storage#buckets" });
  });

  it("creates a bucket, stores an object and lists it with its size", async () => {
    const bucket = uniqueName("gcs-server");
    const created = await fetch(`${services.gcsEndpoint}/storage/v1/b?project=tidal-test`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: bucket }),
    });
    expect(created.status).toBe(200);
    cleanup.add(async () => {
      await fetch(`${services.gcsEndpoint}/storage/v1/b/${bucket}/o/hello.txt`, { method: "DELETE" });
      await fetch(`${services.gcsEndpoint}/storage/v1/b/${bucket}`, { method: "DELETE" });
    });
    const uploaded = await fetch(
      `${services.gcsEndpoint}/upload/storage/v1/b/${bucket}/o?uploadType=media&name=hello.txt`,
      { method: "POST", body: "hello" },
    );
    expect(uploaded.status).toBe(200);
    const listed = (await (await fetch(`${services.gcsEndpoint}/storage/v1/b/${bucket}/o`)).json()) as {
      items?: { name: string; size: string }[];
    };
    expect(listed.items).toEqual([expect.objectContaining({ name: "hello.txt", size: "5" })]);
  });
});
