import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  plain,
  rowInputs,
  runParseVectors,
  runValueVectors,
  type KedaRow,
} from "../../../test/support/keda-vectors.ts";
import { connectTestTrigger } from "../../../test/support/scaler-harness.ts";
import { depthOf } from "./nsq.ts";

// KEDA's tables for nsq (pkg/scalers/nsq_scaler_test.go), from test/conformance/keda. The value tables ran
// against Go httptest servers; here a loopback server answers /lookup and /stats the same way.

const FILE = "nsq_scaler_test.json";

/** What TestNSQParseMetadata compares on a row that parses, in Tidal's parameter names. */
function parsedFacts(row: KedaRow) {
  return {
    params: {
      nsqLookupdHTTPAddresses: plain(row.nsqLookupdHTTPAddresses),
      topic: row.topic,
      channel: row.channel,
      depthThreshold: row.depthThreshold,
      activationDepthThreshold: row.activationDepthThreshold,
      useHttps: Boolean(row.useHTTPS),
      unsafeSsl: Boolean(row.unsafeSsl),
    },
  };
}

runParseVectors({ file: FILE, table: "parseNSQMetadataTestDataset", type: "nsq", expect: parsedFacts });

runParseVectors({
  file: FILE,
  table: "nsqMetricIdentifiers",
  type: "nsq",
  inputs: (row) => ({ ...rowInputs(row.metadataTestData as KedaRow), index: Number(row.triggerIndex) }),
  kedaError: () => false,
  expect: (row) => ({
    metricName: String(row.name),
    target: Number((row.metadataTestData as KedaRow).depthThreshold),
  }),
});

// TestNSQAggregateDepth: one /stats answer per nsqd, and the depth KEDA sums from them.
runValueVectors(FILE, "TestNSQAggregateDepth.testCases", {}, (row) => {
  // A host answering with an error: measured against the loopback nsqd below ("nsqd call failed").
  if (Number(row.errorAtIndex) >= 0) return;
  const total = (plain(row.responses) as string[])
    .map((response) => depthOf((JSON.parse(response) as { topics: never }).topics, "topic", "channel"))
    .reduce((sum, depth) => sum + depth, 0);
  expect(total).toBe(row.expectedDepth);
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
