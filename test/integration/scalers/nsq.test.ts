import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { eventually, uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("nsq"));

/** POSTs to nsqd's HTTP API (/pub, /channel/create, /channel/pause, /topic/delete). */
async function nsqd(path: string, query: Record<string, string>, body = ""): Promise<void> {
  const url = new URL(`http://${services.nsqdHttp}${path}`);
  url.search = new URLSearchParams(query).toString();
  const response = await fetch(url, { method: "POST", body });
  expect(response.status, `${path}: ${await response.clone().text()}`).toBe(200);
}

/** A topic unique to this test, deleted from nsqd and nsqlookupd afterwards. */
function topic(cleanup: Cleanup, prefix: string): string {
  const name = uniqueName(prefix);
  cleanup.add(async () => {
    await fetch(`http://${services.nsqdHttp}/topic/delete?topic=${name}`, { method: "POST" });
    await fetch(`http://${services.nsqLookupdHttp}/topic/delete?topic=${name}`, { method: "POST" });
  });
  return name;
}

async function publish(name: string, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) await nsqd("/pub", { topic: name }, `message ${index}`);
}

function measurer(cleanup: Cleanup, metadata: Record<string, string>): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "nsq",
    metadata: { nsqLookupdHTTPAddresses: services.nsqLookupdHttp, channel: "workers", ...metadata },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("nsq scaler", () => {
  const cleanup = useCleanup();

  it("reads the topic's depth through nsqlookupd while the topic has no channel", async () => {
    const name = topic(cleanup, "nsq-nochannel");
    await publish(name, 3);
    const trigger = measurer(cleanup, { topic: name, activationDepthThreshold: "2" });
    const sample = await eventually("nsqlookupd to list the topic's nsqd", async () => {
      const measured = await trigger.measure();
      return measured.value === 3 ? measured : undefined;
    });
    expect(sample).toMatchObject({ metricName: `s0-nsq-${name}-workers`, value: 3, active: true });
  });

  it("reads the channel's depth, and 0 while the channel is paused", async () => {
    const name = topic(cleanup, "nsq-channel");
    await nsqd("/topic/create", { topic: name });
    await nsqd("/channel/create", { topic: name, channel: "workers" });
    await publish(name, 4);
    const trigger = measurer(cleanup, { topic: name });
    await eventually("the channel's depth of 4", async () => (await trigger.measure()).value === 4);
    await nsqd("/channel/pause", { topic: name, channel: "workers" });
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
  });

  it("falls back to the topic's depth when only other channels exist", async () => {
    const name = topic(cleanup, "nsq-other");
    await nsqd("/topic/create", { topic: name });
    await nsqd("/channel/create", { topic: name, channel: "audit" });
    // A paused topic keeps its messages instead of handing them to its channels.
    await nsqd("/topic/pause", { topic: name });
    await publish(name, 2);
    const trigger = measurer(cleanup, { topic: name });
    await eventually("the topic's depth of 2", async () => (await trigger.measure()).value === 2);
  });

  it("reads a topic nsqlookupd does not know as 0, inactive", async () => {
    const trigger = measurer(cleanup, { topic: uniqueName("nsq-none") });
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
  });

  it("names the nsqlookupd it cannot reach", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, { topic: "orders", nsqLookupdHTTPAddresses: `127.0.0.1:${port}` });
    expect((await trigger.measure()).error).toBe(
      `error getting lookup from host '127.0.0.1:${port}': cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });
});
