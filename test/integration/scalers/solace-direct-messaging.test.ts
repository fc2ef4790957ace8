import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { pollWithFallback } from "../../support/fallback.ts";
import { FakeSolace } from "../../support/fakes/fake-solace.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

// No Solace broker runs here: the scaler is driven against fake-solace, a loopback fake of the
// broker's SEMP v1 show client RPC, over HTTPS.
const PASSWORD = `canary-${randomBytes(6).toString("hex")}`;
let solace: FakeSolace;

beforeAll(async () => {
  await trustFakeCertificate();
  solace = await FakeSolace.start({ tls: true });
  solace.users.set("semp-reader", PASSWORD);
});
afterAll(() => solace.close());

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "solace-direct-messaging", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

const auth = { username: "semp-reader", password: PASSWORD };

function clients(pattern: string) {
  const base = {
    egressRate: 0,
    averageEgressRate: 0,
    egressByteRate: 0,
    averageEgressByteRate: 0,
    queuedMessages: 0,
    queuedWork: 0,
  };
  solace.clients.push(
    {
      ...base,
      name: `${pattern}-1`,
      vpn: "default",
      egressRate: 100,
      egressByteRate: 1000,
      queuedMessages: 5,
      queuedWork: 2,
    },
    { ...base, name: `app-${pattern}-2`, vpn: "default", egressRate: 50, averageEgressRate: 3000 },
    { ...base, name: `${pattern}-3`, vpn: "other", egressRate: 999 },
  );
}

describe("solace-direct-messaging scaler (fake-solace)", () => {
  const cleanup = useCleanup();

  it("sums the VPN's matching clients' egress rate plus their weighted queued messages; always active", async () => {
    const pattern = uniqueName("consumer");
    clients(pattern);
    const trigger = measurer(cleanup, {
      metadata: {
        solaceSempBaseURL: solace.url,
        messageVpn: "default",
        clientNamePattern: pattern,
        aggregatedClientTxMsgRateTarget: "600",
        queuedMessagesFactor: "4",
      },
      authParams: auth,
    });
    const sample = await trigger.measure();
    // 100 + 50 messages per second, plus 5 queued × 4.
    expect(sample).toMatchObject({
      metricName: `s0-solace-dm-${pattern}-aggregatedClientTxMsgRateTarget`,
      value: 170,
      active: true,
    });
    expect(JSON.stringify(sample)).not.toContain(PASSWORD);
    const [stats, queues] = solace.requests.slice(-2);
    expect(stats?.path).toBe("/SEMP");
    expect(stats?.headers["content-type"]).toBe("application/xml");
    expect(stats?.body).toBe(`<rpc><show><client><name>*${pattern}*</name><stats/></client></show></rpc>`);
    expect(queues?.body).toBe(
      `<rpc><show><client><name>*${pattern}*</name><stats></stats><queues></queues></client></show></rpc>`,
    );
  });

  it("adds queued work as bytes for the byte-rate targets, credentials from the environment", async () => {
    const pattern = uniqueName("bytes");
    clients(pattern);
    const trigger = measurer(cleanup, {
      metadata: {
        solaceSempBaseURL: solace.url,
        messageVpn: "default",
        clientNamePattern: pattern,
        aggregatedClientTxByteRateTarget: "100000",
        usernameFromEnv: "SOLACE_USER",
        passwordFromEnv: "SOLACE_PASSWORD",
      },
      resolvedEnv: { SOLACE_USER: "semp-reader", SOLACE_PASSWORD: PASSWORD },
    });
    // 1000 bytes per second, plus 2 units of work × 3 (default factor) × 2048 bytes.
    expect(await trigger.measure()).toMatchObject({ value: 1000 + 2 * 3 * 2048, active: true });
  });

  it("reports wrong credentials on every broker without the password", async () => {
    const wrong = `canary-wrong-${randomBytes(4).toString("hex")}`;
    const trigger = measurer(cleanup, {
      metadata: {
        solaceSempBaseURL: solace.url,
        messageVpn: "default",
        clientNamePattern: "x",
        aggregatedClientTxMsgRateTarget: "1",
      },
      authParams: { username: "semp-reader", password: wrong },
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `reading client stats failed: no URL returned any data (${solace.url}/SEMP: semp request http status code: 401 - <html><body><h1>401 Unauthorized</h1></body></html>)`,
    );
    expect(JSON.stringify(sample)).not.toContain(wrong);
  });

  it("reports an unreachable broker, and fallback replaces the value after the threshold", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      metadata: {
        solaceSempBaseURL: `https://127.0.0.1:${port}`,
        messageVpn: "default",
        clientNamePattern: "x",
        aggregatedClientTxMsgRateTarget: "5",
      },
      authParams: auth,
    });
    const sample = await trigger.measure();
    expect(sample.error).toBe(
      `reading client stats failed: no URL returned any data (https://127.0.0.1:${port}/SEMP: call to solace semp api failed: cannot reach https://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port})`,
    );
    const served = await pollWithFallback(trigger);
    expect(served.map((reading) => reading.value ?? "error")).toEqual(["error", "error", 20]);
  });
});
