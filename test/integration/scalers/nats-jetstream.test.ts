import { readFile } from "node:fs/promises";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import {
  eventually,
  jetStreamReply,
  natsRequest,
  natsStream,
  useCleanup,
  type Cleanup,
} from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("nats", "nats-tls", "prometheus"));

const endpoint = services.natsMonitoring;

function measurer(
  cleanup: Cleanup,
  metadata: Record<string, string>,
  extra: Partial<TriggerUnderTest> = {},
): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "nats-jetstream", metadata, ...extra });
  cleanup.add(() => connected.close());
  return connected;
}

/**
 * A stream with a durable pull consumer "workers" and `count` messages published to it, on the
 * NATS at `url` (the plain one unless told).
 */
async function streamWithConsumer(cleanup: Cleanup, count: number, url = services.natsUrl): Promise<string> {
  const { name, subjectPrefix } = await natsStream(cleanup, "nats-jetstream", url);
  jetStreamReply(
    await natsRequest(
      `$JS.API.CONSUMER.DURABLE.CREATE.${name}.workers`,
      {
        stream_name: name,
        // A long ack wait keeps fetched messages unacknowledged for the whole test.
        config: { durable_name: "workers", ack_policy: "explicit", deliver_policy: "all", ack_wait: 600e9 },
      },
      undefined,
      url,
    ),
  );
  for (let index = 0; index < count; index += 1)
    jetStreamReply(await natsRequest(`${subjectPrefix}job`, `job ${index}`, undefined, url));
  return name;
}

/** Delivers the next message to a throw-away inbox and never acknowledges it. */
async function fetchWithoutAck(stream: string): Promise<void> {
  await natsRequest(`$JS.API.CONSUMER.MSG.NEXT.${stream}.workers`, { batch: 1 });
}

/** The consumer's counts as the monitoring endpoint reports them. */
async function consumerCounts(stream: string): Promise<{ num_pending: number; num_ack_pending: number }> {
  const response = await fetch(`http://${endpoint}/jsz?acc=%24G&consumers=true`);
  const report = (await response.json()) as {
    account_details: {
      stream_detail?: {
        name: string;
        consumer_detail: { name: string; num_pending: number; num_ack_pending: number }[];
      }[];
    }[];
  };
  const detail = report.account_details
    .flatMap((account) => account.stream_detail ?? [])
    .find((candidate) => candidate.name === stream);
  const consumer = detail?.consumer_detail.find((candidate) => candidate.name === "workers");
  if (!consumer) throw new Error(`consumer of ${stream} not in /jsz`);
  return consumer;
}

describe("nats-jetstream scaler", () => {
  const cleanup = useCleanup();

  it("reads the consumer's pending messages, inactive at the activation threshold", async () => {
    const stream = await streamWithConsumer(cleanup, 4);
    const metadata = {
      natsServerMonitoringEndpoint: endpoint,
      account: "$G",
      stream,
      consumer: "workers",
      activationLagThreshold: "4",
    };
    const trigger = measurer(cleanup, metadata);
    expect(await trigger.measure()).toMatchObject({
      metricName: `s0-nats-jetstream-${stream}`,
      value: 4,
      active: false,
    });
    jetStreamReply(await natsRequest(`${stream}.job`, "one more"));
    await eventually("the fifth message to count", async () => (await trigger.measure()).value === 5);
    expect(await trigger.measure()).toMatchObject({ value: 5, active: true });
  });

  it("counts delivered but unacknowledged messages too", async () => {
    const stream = await streamWithConsumer(cleanup, 5);
    await fetchWithoutAck(stream);
    await fetchWithoutAck(stream);
    await eventually(
      "two messages in flight",
      async () => (await consumerCounts(stream)).num_ack_pending === 2,
    );
    expect(await consumerCounts(stream)).toMatchObject({ num_pending: 3, num_ack_pending: 2 });
    const trigger = measurer(cleanup, {
      natsServerMonitoringEndpoint: endpoint,
      account: "$G",
      stream,
      consumer: "workers",
    });
    expect(await trigger.measure()).toMatchObject({ value: 5 });
  });

  it("takes the endpoint and the account id from authentication", async () => {
    const stream = await streamWithConsumer(cleanup, 2);
    const trigger = measurer(
      cleanup,
      { stream, consumer: "workers" },
      { authParams: { natsServerMonitoringEndpoint: endpoint, accountID: "$G" } },
    );
    expect(await trigger.measure()).toMatchObject({ value: 2 });
  });

  it("names an unknown stream, consumer or account", async () => {
    const stream = await streamWithConsumer(cleanup, 1);
    const base = { natsServerMonitoringEndpoint: endpoint, account: "$G", stream, consumer: "workers" };
    const cases: [Record<string, string>, string][] = [
      [{ stream: `${stream}-missing` }, `stream "${stream}-missing" not found in account "$G"`],
      [{ consumer: "ghost" }, `consumer "ghost" not found on stream "${stream}"`],
      [
        { account: "billing" },
        'account "billing" has no JetStream data on this server (is JetStream enabled for it?)',
      ],
    ];
    for (const [change, error] of cases)
      expect((await measurer(cleanup, { ...base, ...change }).measure()).error).toBe(error);
  });

  it("reports an unreachable endpoint within the deadline", async () => {
    const port = await closedPort();
    const trigger = measurer(
      cleanup,
      {
        natsServerMonitoringEndpoint: `127.0.0.1:${port}`,
        account: "$G",
        stream: "orders",
        consumer: "workers",
      },
      { timeoutMs: 2000 },
    );
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(sample.latencyMs).toBeLessThan(2000);
  });

  it("explains an endpoint that does not answer with a report", async () => {
    const trigger = measurer(cleanup, {
      natsServerMonitoringEndpoint: new URL(services.prometheusUrl).host,
      account: "$G",
      stream: "orders",
      consumer: "workers",
    });
    expect((await trigger.measure()).error).toBe("the NATS monitoring endpoint answered HTTP 404");
  });
});

describe("nats-jetstream scaler with useHttps, against a NATS serving monitoring over HTTPS", () => {
  const cleanup = useCleanup();
  const httpsEndpoint = services.natsTlsMonitoring;

  /** Runs `use` with the test CA among the process's default trusted CAs, as a system CA would be. */
  async function trustingTestCa<T>(use: () => Promise<T>): Promise<T> {
    const defaults = getCACertificates("default");
    setDefaultCACertificates([...defaults, await readFile(services.natsTlsCaFile, "utf8")]);
    try {
      return await use();
    } finally {
      setDefaultCACertificates(defaults);
    }
  }

  it("reads the consumer's pending messages over HTTPS once the server's CA is trusted", async () => {
    const stream = await streamWithConsumer(cleanup, 3, services.natsTlsUrl);
    const metadata = {
      natsServerMonitoringEndpoint: httpsEndpoint,
      account: "$G",
      stream,
      consumer: "workers",
      useHttps: "true",
      activationLagThreshold: "2",
    };
    const untrusted = await measurer(cleanup, metadata).measure();
    expect(
      untrusted.error?.startsWith(
        `cannot reach https://${httpsEndpoint}: unable to verify the first certificate`,
      ),
    ).toBe(true);
    const sample = await trustingTestCa(() => measurer(cleanup, metadata).measure());
    expect(sample).toMatchObject({ metricName: `s0-nats-jetstream-${stream}`, value: 3, active: true });
  });

  it("takes the endpoint from authentication, with useHttps from metadata", async () => {
    const stream = await streamWithConsumer(cleanup, 1, services.natsTlsUrl);
    const sample = await trustingTestCa(() =>
      measurer(
        cleanup,
        { stream, consumer: "workers", useHttps: "true" },
        { authParams: { natsServerMonitoringEndpoint: httpsEndpoint, account: "$G" } },
      ).measure(),
    );
    expect(sample).toMatchObject({ value: 1, active: true });
  });

  it("names the mismatch when useHttps does not match the endpoint", async () => {
    const stream = await streamWithConsumer(cleanup, 1, services.natsTlsUrl);
    const plainToHttps = await measurer(cleanup, {
      natsServerMonitoringEndpoint: httpsEndpoint,
      account: "$G",
      stream,
      consumer: "workers",
    }).measure();
    const httpsToPlain = await trustingTestCa(() =>
      measurer(cleanup, {
        natsServerMonitoringEndpoint: endpoint,
        account: "$G",
        stream,
        consumer: "workers",
        useHttps: "true",
      }).measure(),
    );
    // Go's HTTPS server answers a plain-text request with 400.
    expect(plainToHttps.error).toBe("the NATS monitoring endpoint answered HTTP 400");
    expect(httpsToPlain.error).toBe(
      `cannot reach https://${endpoint}: the server answered without TLS (OpenSSL: wrong version number)`,
    );
  });
});
