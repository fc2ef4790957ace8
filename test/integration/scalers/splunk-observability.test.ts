import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { SIGNALFLOW_URL_VARIABLE } from "../../../src/scalers/splunk-observability/splunk-observability.ts";
import { closedPort } from "../../support/closed-port.ts";
import { FakeSignalFlow, type StreamValue } from "../../support/fakes/fake-signalflow.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger } from "../../support/scaler-harness.ts";

// Splunk Observability Cloud is a SaaS: the scaler is driven against fake-signalflow, a loopback
// fake of its SignalFlow WebSocket API, the stream URL replaced through TIDAL_SIGNALFLOW_URL.
const TOKEN = `canary-token-${randomBytes(6).toString("hex")}`;
let signalflow: FakeSignalFlow;

beforeAll(async () => {
  signalflow = await FakeSignalFlow.start();
  signalflow.tokens.add(TOKEN);
});
afterAll(() => signalflow.close());

function program(values: StreamValue[]): string {
  const query = `data('${uniqueName("jobs")}').publish()`;
  signalflow.programs.set(query, values);
  return query;
}

function measurer(
  cleanup: Cleanup,
  metadata: Record<string, string>,
  options: { token?: string; url?: string } = {},
): TriggerMeasurer {
  const connected = connectTestTrigger({
    type: "splunk-observability",
    metadata: { duration: "1", targetValue: "10", activationTargetValue: "3", ...metadata },
    authParams: { accessToken: options.token ?? TOKEN, realm: "us1" },
    processEnvironment: { [SIGNALFLOW_URL_VARIABLE]: options.url ?? signalflow.url },
  });
  cleanup.add(() => connected.close());
  return connected;
}

describe("splunk-observability scaler (fake-signalflow)", () => {
  const cleanup = useCleanup();

  it("reduces the streamed values by max, min and avg, with a Value target and activation", async () => {
    const query = program([{ value: 2 }, { value: 7.5 }]);
    const max = measurer(cleanup, { query, queryAggregator: "max" });
    const sample = await max.measure();
    expect(sample).toMatchObject({ metricName: "s0-signalfx", value: 7.5, active: true });
    expect(max.prepared.metricSpec?.targetType).toBe("Value");
    expect(JSON.stringify(sample)).not.toContain(TOKEN);
    expect((await measurer(cleanup, { query, queryAggregator: "min" }).measure()).value).toBe(2);
    expect(await measurer(cleanup, { query, queryAggregator: "avg" }).measure()).toMatchObject({
      value: 4.75,
      active: true,
    });
    const low = program([{ value: 3 }]);
    expect(await measurer(cleanup, { query: low, queryAggregator: "max" }).measure()).toMatchObject({
      value: 3,
      active: false,
    });
    const authenticate = signalflow.received.find((message) => message.type === "authenticate");
    expect(authenticate?.token).toBe(TOKEN);
    const execute = signalflow.received.findLast((message) => message.type === "execute");
    expect(execute?.program).toBe(low);
    const stop = signalflow.received.findLast((message) => message.type === "stop");
    expect(stop?.handle).toMatch(/^H\d+$/);
    expect(signalflow.paths.at(-1)).toBe("/v2/signalflow/connect");
  });

  it("reports a stream without data points and a value that is not a double", async () => {
    const empty = measurer(cleanup, { query: program([]), queryAggregator: "max" });
    expect((await empty.measure()).error).toBe(
      "error getting metrics from Splunk Observability Cloud: query returned no data points",
    );
    const long = measurer(cleanup, { query: program([{ value: 4, type: 1 }]), queryAggregator: "max" });
    expect((await long.measure()).error).toBe(
      "error getting metrics from Splunk Observability Cloud: could not convert Splunk Observability metric value to float64",
    );
  });

  it("reports a program the service rejects", async () => {
    const trigger = measurer(cleanup, { query: "data('missing'", queryAggregator: "max" });
    expect((await trigger.measure()).error).toBe(
      "error getting metrics from Splunk Observability Cloud: could not execute signalflow query: 400 Unable to compile the program",
    );
  });

  it("reports a wrong access token without it", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(
      cleanup,
      { query: program([{ value: 1 }]), queryAggregator: "max" },
      { token: wrong },
    );
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      "error getting metrics from Splunk Observability Cloud: could not execute signalflow query: 401 Invalid authentication token",
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable endpoint", async () => {
    const port = await closedPort();
    const url = `ws://127.0.0.1:${port}/v2/signalflow`;
    const trigger = measurer(cleanup, { query: program([{ value: 1 }]), queryAggregator: "max" }, { url });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `error getting metrics from Splunk Observability Cloud: cannot reach ${url}/connect: the WebSocket connection failed`,
    );
    expect(JSON.stringify(sample)).not.toContain(TOKEN);
  });
});
