import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runKedaTable, type KedaRow } from "../../../test/support/keda-table.ts";
import { connectTestTrigger } from "../../../test/support/scaler-harness.ts";
import { depthOf } from "./nsq.ts";

// KEDA's tables for nsq (pkg/scalers/nsq_scaler_test.go), row for row. The value tables ran
// against Go httptest servers; here a loopback server answers /lookup and /stats the same way.

const lookupd = "nsqlookupd-0:4161";
const parseRows: KedaRow[] = [
  {
    name: "Success",
    metadata: { nsqLookupdHTTPAddresses: lookupd, topic: "topic", channel: "channel" },
    error: false,
    want: {
      nsqLookupdHTTPAddresses: [lookupd],
      topic: "topic",
      channel: "channel",
      depthThreshold: 10,
      activationDepthThreshold: 0,
      useHttps: false,
      unsafeSsl: false,
    },
  },
  {
    name: "Success, multiple nsqlookupd addresses",
    metadata: {
      nsqLookupdHTTPAddresses: "nsqlookupd-0:4161,nsqlookupd-1:4161",
      topic: "topic",
      channel: "channel",
    },
    error: false,
    want: { nsqLookupdHTTPAddresses: [lookupd, "nsqlookupd-1:4161"], depthThreshold: 10 },
  },
  {
    name: "Success - setting optional fields",
    metadata: {
      nsqLookupdHTTPAddresses: lookupd,
      topic: "topic",
      channel: "channel",
      depthThreshold: "100",
      activationDepthThreshold: "1",
      useHttps: "true",
      unsafeSsl: "true",
    },
    error: false,
    want: { depthThreshold: 100, activationDepthThreshold: 1, useHttps: true, unsafeSsl: true },
  },
  { name: "Error, no nsqlookupd addresses", metadata: { topic: "topic", channel: "channel" }, error: true },
  {
    name: "Error, no topic",
    metadata: { nsqLookupdHTTPAddresses: lookupd, channel: "channel" },
    error: true,
  },
  { name: "Error, no channel", metadata: { nsqLookupdHTTPAddresses: lookupd, topic: "topic" }, error: true },
  {
    name: "Error, depthThreshold is <=0",
    metadata: { nsqLookupdHTTPAddresses: lookupd, topic: "topic", channel: "channel", depthThreshold: "0" },
    error: true,
  },
  {
    name: "Error, activationDepthThreshold is <0",
    metadata: {
      nsqLookupdHTTPAddresses: lookupd,
      topic: "topic",
      channel: "channel",
      activationDepthThreshold: "-1",
    },
    error: true,
  },
];

runKedaTable({
  table: "parseNSQMetadataTestDataset",
  type: "nsq",
  rows: parseRows,
  check: (prepared, row) => expect(prepared.params).toMatchObject(row.want ?? {}),
});

runKedaTable({
  table: "nsqMetricIdentifiers",
  type: "nsq",
  rows: [
    {
      name: "index 0",
      metadata: parseRows[0]?.metadata,
      index: 0,
      error: false,
      metricName: "s0-nsq-topic-channel",
      target: 10,
    },
    {
      name: "index 1",
      metadata: parseRows[0]?.metadata,
      index: 1,
      error: false,
      metricName: "s1-nsq-topic-channel",
      target: 10,
    },
  ],
});

// TestNSQAggregateDepth: one /stats answer per nsqd, and the depth KEDA sums from them.
const aggregateRows: { description: string; responses: string[]; expectedDepth: number }[] = [
  { description: "Topic does not exist", responses: [`{"topics":null}`], expectedDepth: 0 },
  {
    description: "Topic exists with no channels",
    responses: [`{"topics":[{"topic_name":"topic", "depth":250, "channels":[]}]}`],
    expectedDepth: 250,
  },
  {
    description: "Topic exists with different channels",
    responses: [
      `{"topics":[{"topic_name":"topic", "depth":250, "channels":[{"channel_name":"other_channel", "depth":100}]}]}`,
    ],
    expectedDepth: 250,
  },
  {
    description: "Topic and channel exist",
    responses: [
      `{"topics":[{"topic_name":"topic", "depth":250, "channels":[{"channel_name":"channel", "depth":100}]}]}`,
    ],
    expectedDepth: 100,
  },
  {
    description: "Channel is paused",
    responses: [
      `{"topics":[{"topic_name":"topic", "depth":250, "channels":[{"channel_name":"channel", "depth":100, "paused":true}]}]}`,
    ],
    expectedDepth: 0,
  },
  {
    description: "Sum multiple depth values",
    responses: [
      `{"topics":[{"topic_name":"topic", "depth":250, "channels":[{"channel_name":"channel", "depth":100}]}]}`,
      `{"topics":[{"topic_name":"topic", "depth":250, "channels":[{"channel_name":"channel", "depth":50}]}]}`,
    ],
    expectedDepth: 150,
  },
  {
    description: "Channel doesn't exist on all nsqd hosts",
    responses: [
      `{"topics":[{"topic_name":"topic", "depth":500, "channels":[]}]}`,
      `{"topics":[{"topic_name":"topic", "depth":400, "channels":[{"channel_name":"other_channel", "depth":300}]}]}`,
      `{"topics":[{"topic_name":"topic", "depth":200, "channels":[{"channel_name":"channel", "depth":100}]}]}`,
    ],
    expectedDepth: 1000,
  },
];

describe("KEDA TestNSQAggregateDepth (depthOf per nsqd, summed)", () => {
  it.each(aggregateRows.map((row) => [row.description, row] as const))("%s", (_name, row) => {
    const total = row.responses
      .map((response) => depthOf((JSON.parse(response) as { topics: never }).topics, "topic", "channel"))
      .reduce((sum, depth) => sum + depth, 0);
    expect(total).toBe(row.expectedDepth);
  });
});

/** Answers per path on a loopback port: `${status} ${body}` strings, keyed by path. */
let answers: Record<string, { status: number; body: string }> = {};
let server: Server;
let port = 0;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://x").pathname;
    const answer = answers[path] ?? { status: 404, body: "" };
    response.writeHead(answer.status, { "content-type": "application/json" });
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

async function measure(activationDepthThreshold = "0") {
  const trigger = connectTestTrigger({
    type: "nsq",
    metadata: {
      nsqLookupdHTTPAddresses: `127.0.0.1:${port}`,
      topic: "topic",
      channel: "channel",
      activationDepthThreshold,
    },
  });
  try {
    return await trigger.measure();
  } finally {
    await trigger.close();
  }
}

const producer = () => `{"producers":[{"broadcast_address":"127.0.0.1","http_port":${port}}]}`;
const ok = (body: string) => ({ status: 200, body });
const failure = { status: 500, body: "Internal Server Error" };

describe("KEDA TestNSQGetTopicChannelDepth and TestNSQGetMetricsAndActivity (loopback nsqlookupd and nsqd)", () => {
  const stats = (paused: boolean) =>
    ok(
      `{"topics":[{"topic_name":"topic", "depth":250, "channels":[{"channel_name":"channel", "depth":100${paused ? ', "paused":true' : ""}}]}]}`,
    );

  it.each([
    ["nsqlookupd call failed", { "/lookup": failure, "/stats": stats(false) }, undefined],
    ["Topic does not exist", { "/lookup": ok(`{"message": "TOPIC_NOT_FOUND"}`), "/stats": stats(false) }, 0],
    ["No producers for topic", { "/lookup": ok(`{"producers":[]}`), "/stats": stats(false) }, 0],
    ["nsqd call failed", { "/lookup": "producer", "/stats": failure }, undefined],
    ["Channel is paused", { "/lookup": "producer", "/stats": stats(true) }, 0],
    ["successfully retrieved depth", { "/lookup": "producer", "/stats": stats(false) }, 100],
  ] as const)("%s", async (_name, routes, depth) => {
    answers = Object.fromEntries(
      Object.entries(routes).map(([path, answer]) => [path, answer === "producer" ? ok(producer()) : answer]),
    );
    const sample = await measure();
    if (depth === undefined) expect(sample.error).toMatch(/unexpected status code 500/);
    else expect(sample).toMatchObject({ value: depth, active: depth > 0 });
  });

  it("is inactive at 9 with activationDepthThreshold 10", async () => {
    answers = {
      "/lookup": ok(producer()),
      "/stats": ok(`{"topics":[{"topic_name":"topic","channels":[{"channel_name":"channel","depth":9}]}]}`),
    };
    expect(await measure("10")).toMatchObject({ value: 9, active: false });
  });

  it("TestNSQGetLookup: a 404 from nsqlookupd means no producers", async () => {
    answers = { "/lookup": { status: 404, body: `{"producers":[], "channels":["channel"]}` } };
    expect(await measure()).toMatchObject({ value: 0, active: false });
  });
});
