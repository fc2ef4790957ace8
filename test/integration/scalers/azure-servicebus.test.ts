import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { closedPort } from "../../support/closed-port.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeEntra, type FakeEntra } from "../../support/fakes/fake-entra.ts";
import { startFakeServiceBus, type FakeServiceBus } from "../../support/fakes/fake-servicebus.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { useCleanup, type Cleanup } from "../../support/isolation.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";

let serviceBus: FakeServiceBus;
let entra: FakeEntra;

beforeAll(async () => {
  await trustFakeCertificate();
  serviceBus = await startFakeServiceBus({ pageSize: 2 });
  entra = await startFakeEntra();
});
afterAll(async () => {
  await serviceBus.close();
  await entra.close();
});

function measurer(cleanup: Cleanup, trigger: Omit<TriggerUnderTest, "type">): TriggerMeasurer {
  const connected = connectTestTrigger({ type: "azure-servicebus", ...trigger });
  cleanup.add(() => connected.close());
  return connected;
}

describe("azure-servicebus scaler against fake-servicebus", () => {
  const cleanup = useCleanup();

  it("reads a queue's active messages (not scheduled or dead-lettered ones), inactive at the activation count", async () => {
    serviceBus.setQueue("orders", { active: 3, scheduled: 7, deadLetter: 2, transfer: 1 });
    const trigger = measurer(cleanup, {
      metadata: { queueName: "orders", activationMessageCount: "3" },
      authParams: { connection: serviceBus.connectionString() },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-azure-servicebus-orders",
      value: 3,
      active: false,
    });
    serviceBus.setQueue("orders", { active: 4, scheduled: 7 });
    expect(await trigger.measure()).toMatchObject({ value: 4, active: true });
    expect(serviceBus.requests.at(-1)).toMatchObject({ path: "orders", auth: "sas", status: 200 });
  });

  it("reads the connection string from the target's environment (connectionFromEnv)", async () => {
    serviceBus.setQueue("env-queue", { active: 12 });
    const trigger = measurer(cleanup, {
      metadata: { queueName: "env-queue", connectionFromEnv: "SB_CONN_STRING" },
      resolvedEnv: { SB_CONN_STRING: serviceBus.connectionString() },
    });
    expect(await trigger.measure()).toMatchObject({ value: 12, active: true });
  });

  it("reads a topic subscription's active messages", async () => {
    serviceBus.setSubscription("events", "audit", { active: 9, deadLetter: 4 });
    const trigger = measurer(cleanup, {
      metadata: { topicName: "events", subscriptionName: "audit" },
      authParams: { connection: serviceBus.connectionString() },
      index: 1,
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s1-azure-servicebus-events",
      value: 9,
      active: true,
    });
  });

  it("combines queues matched by a regular expression with sum, max and avg, across pages", async () => {
    serviceBus.setQueue("jobs-a", { active: 1 });
    serviceBus.setQueue("jobs-b", { active: 4 });
    serviceBus.setQueue("jobs-c", { active: 6 });
    serviceBus.setQueue("jobs-archive-x", { active: 100 });
    const expected = { sum: 11, max: 6, avg: 3 };
    for (const operation of ["sum", "max", "avg"] as const) {
      const trigger = measurer(cleanup, {
        metadata: { queueName: "jobs-[a-c]", useRegex: "true", operation },
        authParams: { connection: serviceBus.connectionString() },
      });
      expect(await trigger.measure(), operation).toMatchObject({
        metricName: "s0-azure-servicebus-queue-regex",
        value: expected[operation],
      });
    }
  });

  it("combines a topic's subscriptions matched by a regular expression", async () => {
    serviceBus.setSubscription("fanout", "worker-1", { active: 2 });
    serviceBus.setSubscription("fanout", "worker-2", { active: 5 });
    serviceBus.setSubscription("fanout", "other", { active: 50 });
    const trigger = measurer(cleanup, {
      metadata: { topicName: "fanout", subscriptionName: "worker-.*", useRegex: "true", operation: "max" },
      authParams: { connection: serviceBus.connectionString() },
    });
    expect(await trigger.measure()).toMatchObject({
      metricName: "s0-azure-servicebus-topic-regex",
      value: 5,
    });
  });

  it("names a missing queue and a missing subscription", async () => {
    const queue = await measurer(cleanup, {
      metadata: { queueName: "no-such-queue" },
      authParams: { connection: serviceBus.connectionString() },
    }).measure();
    expect(queue.error).toBe(
      `queue "no-such-queue" not found in Service Bus at ${serviceBus.host}: create it or fix the name`,
    );
    const subscription = await measurer(cleanup, {
      metadata: { topicName: "events", subscriptionName: "missing" },
      authParams: { connection: serviceBus.connectionString() },
    }).measure();
    expect(subscription.error).toMatch(/^subscription "missing" of topic "events" not found in Service Bus/);
  });

  it("says the credentials were refused, without the key or the connection string", async () => {
    serviceBus.setQueue("orders", { active: 1 });
    const wrongKey = "d3Jvbmcta2V5LXRoYXQtbXVzdC1ub3QtbGVhaw==";
    const connection = serviceBus.connectionString({ key: wrongKey });
    const sample = await measurer(cleanup, {
      metadata: { queueName: "orders" },
      authParams: { connection },
    }).measure();
    expect(sample.error).toMatch(
      /^queue "orders": Service Bus at 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\): InvalidSignature/,
    );
    expect(sample.error).not.toContain(wrongKey);
    expect(sample.error).not.toContain(connection);
    expect(sample.error).not.toContain(serviceBus.key);
  });

  it("says an endpoint cannot be reached", async () => {
    const port = await closedPort();
    const connection = `Endpoint=sb://127.0.0.1:${port}/;SharedAccessKeyName=k;SharedAccessKey=${serviceBus.key}`;
    const sample = await measurer(cleanup, {
      metadata: { queueName: "orders" },
      authParams: { connection },
    }).measure();
    expect(sample.error).toMatch(
      new RegExp(`^queue "orders": cannot reach Service Bus at 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
    expect(sample.error).not.toContain(serviceBus.key);
  });

  it("rejects a connection string without an endpoint, without quoting it", async () => {
    const connection = "SharedAccessKeyName=k;SharedAccessKey=bm8tZW5kcG9pbnQtc2VjcmV0";
    const sample = await measurer(cleanup, {
      metadata: { queueName: "orders" },
      authParams: { connection },
    }).measure();
    expect(sample.error).toContain("the connection string has no Endpoint=sb://<namespace>/ part");
    expect(sample.error).not.toContain("bm8tZW5kcG9pbnQtc2VjcmV0");
  });

  it("shares one management client between triggers with the same connection string", async () => {
    const { ConnectionPool } = await import("../../../src/scalers/connection-pool.ts");
    const pool = new ConnectionPool();
    const connection = serviceBus.connectionString();
    serviceBus.setQueue("orders", { active: 2 });
    serviceBus.setQueue("env-queue", { active: 2 });
    const first = measurer(cleanup, { metadata: { queueName: "orders" }, authParams: { connection }, pool });
    const second = measurer(cleanup, {
      metadata: { queueName: "env-queue" },
      authParams: { connection },
      pool,
    });
    await Promise.all([first.measure(), second.measure()]);
    expect(pool.size).toBe(1);
  });

  describe("with podIdentity azure-workload", () => {
    const tenantId = "11111111-2222-3333-4444-555555555555";
    const clientId = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    const federatedToken = "eyJhbGciOiJSUzI1NiJ9.service-account-token.signature";
    const saved = { ...process.env };
    beforeAll(() => {
      const file = join(mkdtempSync(join(tmpdir(), "tidal-wi-")), "token");
      writeFileSync(file, federatedToken);
      // What the Azure Workload Identity webhook gives Tidal's own pod.
      process.env.AZURE_FEDERATED_TOKEN_FILE = file;
      process.env.AZURE_CLIENT_ID = "client-id-of-another-identity";
      process.env.AZURE_TENANT_ID = tenantId;
      process.env.AZURE_AUTHORITY_HOST = "https://login.invalid/";
      entra.addApp({ tenantId, clientId, federatedToken });
      serviceBus.acceptBearerToken(entra.tokenFor(clientId, "https://servicebus.azure.net//.default"));
      serviceBus.acceptBearerToken(entra.tokenFor(clientId, "https://servicebus.azure.net/.default"));
    });
    afterAll(() => {
      for (const key of [
        "AZURE_FEDERATED_TOKEN_FILE",
        "AZURE_CLIENT_ID",
        "AZURE_TENANT_ID",
        "AZURE_AUTHORITY_HOST",
      ])
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
    });

    // The namespace's host is <namespace>.<endpointSuffix>: "127" + "0.0.1:<port>" reaches the fake.
    const namespaceOf = () => {
      const [, port] = serviceBus.host.split(":");
      return { namespace: "127", cloud: "Private", endpointSuffix: `0.0.1:${port}` };
    };

    it("exchanges the federated token at the Entra ID token endpoint and reads the queue with the bearer token", async () => {
      serviceBus.setQueue("identity-queue", { active: 7 });
      const trigger = measurer(cleanup, {
        metadata: { queueName: "identity-queue", ...namespaceOf() },
        podIdentity: {
          provider: "azure-workload",
          identityId: clientId,
          identityTenantId: tenantId,
          identityAuthorityHost: entra.authorityHost,
        },
      });
      expect(await trigger.measure()).toMatchObject({ value: 7, active: true });
      expect(serviceBus.requests.at(-1)).toMatchObject({
        path: "identity-queue",
        auth: "bearer",
        status: 200,
      });
      expect(entra.requests.at(-1)).toMatchObject({ clientId, kind: "assertion", status: 200 });
    });

    it("names the identity when Entra ID refuses its federated token, without the token", async () => {
      const other = "99999999-8888-7777-6666-555555555555";
      entra.addApp({ tenantId, clientId: other, federatedToken: "a different subject" });
      const sample = await measurer(cleanup, {
        metadata: { queueName: "identity-queue", ...namespaceOf() },
        podIdentity: {
          provider: "azure-workload",
          identityId: other,
          identityTenantId: tenantId,
          identityAuthorityHost: entra.authorityHost,
        },
      }).measure();
      expect(sample.error).toMatch(
        new RegExp(
          `^queue "identity-queue": .*azure-workload identity \\(client ${other}\\): .*AADSTS700213`,
        ),
      );
      expect(sample.error).not.toContain(federatedToken);
    });

    it("says what is missing when Tidal's pod has no federated token", async () => {
      const file = process.env.AZURE_FEDERATED_TOKEN_FILE;
      delete process.env.AZURE_FEDERATED_TOKEN_FILE;
      try {
        const sample = await measurer(cleanup, {
          metadata: { queueName: "identity-queue", namespace: "ns-without-token" },
          podIdentity: { provider: "azure-workload" },
        }).measure();
        expect(sample.error).toContain(
          "azure-workload identity needs a federated token file (AZURE_FEDERATED_TOKEN_FILE)",
        );
      } finally {
        process.env.AZURE_FEDERATED_TOKEN_FILE = file;
      }
    });
  });
});
