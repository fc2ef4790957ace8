import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TidalMetrics } from "../../observability/metrics.ts";
import { createStatusServer, type StatusSource } from "./status-server.ts";

const source: StatusSource = {
  scaledObjects: () => [],
  scaledJobs: () => [],
  trace: () => undefined,
  events: () => [],
  processPools: () => [],
};

describe("status API: hostile paths", () => {
  const server = createStatusServer(source, new TidalMetrics("test"));
  let base = "";
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("a name that is not valid percent-encoding is a 400, not a 500", async () => {
    for (const path of [
      "/api/v1/scaledobjects/%ff/explain",
      "/api/v1/scaledobjects/%ff",
      "/api/v1/scaledjobs/%E0%A4%A/events",
    ]) {
      const response = await fetch(`${base}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 400 });
      expect(await response.json()).toEqual({
        error: "the name in the path is not valid percent-encoded UTF-8",
      });
    }
  });

  it("a well-encoded unknown name is a 404", async () => {
    const response = await fetch(`${base}/api/v1/scaledobjects/a%20b/explain`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: 'no decision yet for ScaledObject "a b" (unknown, or not evaluated yet)',
    });
  });
});
