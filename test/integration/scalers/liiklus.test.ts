import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeLiiklus } from "../../support/fakes/fake-liiklus.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// Liiklus (a gateway to Kafka or Pulsar, no longer maintained) does not run here: the scaler is
// driven through @grpc/grpc-js against fake-liiklus, a loopback gRPC server of LiiklusService.
let liiklus: FakeLiiklus;

beforeAll(async () => {
  liiklus = await FakeLiiklus.start();
});
afterAll(() => liiklus.close());

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "liiklus", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("liiklus scaler (fake-liiklus)", () => {
  const cleanup = useCleanup();

  it("reads the group's lag over the partitions, inactive at the activation threshold and active above it", async () => {
    const topic = uniqueName("orders");
    liiklus.endOffsets.set(topic, { 0: 20, 1: 30 });
    liiklus.groupOffsets.set(`${topic}/workers/2`, { 0: 18, 1: 25 });
    const trigger = measurer(cleanup, {
      metadata: {
        address: liiklus.address,
        topic,
        group: "workers",
        groupVersion: "2",
        activationLagThreshold: "7",
      },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-liiklus-${topic}`,
      value: 7,
      active: false,
    });
    liiklus.groupOffsets.set(`${topic}/workers/2`, { 0: 18 });
    // Partition 1 was never read: its whole end offset is lag; 32 is capped at 10 × 2 partitions.
    expect(await trigger.measure()).toMatchObject({ value: 20, active: true });
    expect(liiklus.calls.slice(-2)).toEqual([
      { method: "GetOffsets", request: { topic, group: "workers", groupVersion: 2 } },
      { method: "GetEndOffsets", request: { topic } },
    ]);
  });

  it("reports a topic Liiklus does not know", async () => {
    const trigger = measurer(cleanup, {
      metadata: { address: liiklus.address, topic: "absent", group: "workers" },
    });
    expect((await trigger.measure()).error).toBe('GetOffsets: topic "absent" does not exist');
  });

  it("reports an unreachable endpoint, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: { address: `127.0.0.1:${port}`, topic: "orders", group: "workers", lagThreshold: "5" },
      timeoutMs: 2000,
    });
    const sample = await trigger.measure();
    expect(sample.error).toMatch(/^GetOffsets: (No connection established|.*ECONNREFUSED)/);
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
