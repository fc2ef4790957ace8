import { connect, type ChannelModel, type ConfirmChannel } from "amqplib";
import { createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConnectionPool } from "../../../src/scalers/connection-pool.ts";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { startFakeEntra, type FakeEntra } from "../../support/fakes/fake-entra.ts";
import { signJwt, startFakeOAuth, type FakeOAuth } from "../../support/fakes/fake-oauth.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { eventually, rabbitmqQueue, uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("rabbitmq"));

const WRONG_PASSWORD = "not-the-password-7c1f";

/** The AMQP and management base URLs without credentials, and the test credentials. */
function endpoints() {
  const amqp = new URL(services.rabbitmqUrl);
  const management = new URL(services.rabbitmqManagementUrl);
  return {
    amqpBase: `amqp://${amqp.host}`,
    managementBase: `http://${management.host}`,
    username: decodeURIComponent(amqp.username),
    password: decodeURIComponent(amqp.password),
  };
}

const { amqpBase, managementBase, username, password } = endpoints();
const amqpWithCredentials = (vhostPath = "/") =>
  `amqp://${username}:${password}@${new URL(amqpBase).host}${vhostPath}`;
const httpWithCredentials = (path = "/") =>
  `http://${username}:${password}@${new URL(managementBase).host}${path}`;

async function managementApi(method: string, path: string, body?: unknown): Promise<Response> {
  const response = await fetch(`${managementBase}/api${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`,
      "content-type": "application/json",
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok && response.status !== 404) throw new Error(`${method} ${path}: ${response.status}`);
  return response;
}

/** An AMQP connection for the test itself (publishing, consuming), closed by the cleanup. */
async function testChannel(
  cleanup: Cleanup,
  vhost = "/",
): Promise<{ model: ChannelModel; channel: ConfirmChannel }> {
  const model = await connect(amqpWithCredentials(`/${encodeURIComponent(vhost)}`));
  cleanup.add(() => model.close().catch(() => undefined));
  return { model, channel: await model.createConfirmChannel() };
}

async function publish(channel: ConfirmChannel, queue: string, count: number): Promise<void> {
  for (let index = 0; index < count; index += 1) channel.sendToQueue(queue, Buffer.from(`message ${index}`));
  await channel.waitForConfirms();
}

/** A vhost the tidal user may use; deleted (with its queues) by the cleanup. */
async function testVhost(cleanup: Cleanup): Promise<string> {
  const vhost = uniqueName("rabbitmq-vhost");
  await managementApi("PUT", `/vhosts/${encodeURIComponent(vhost)}`, {});
  cleanup.add(() => managementApi("DELETE", `/vhosts/${encodeURIComponent(vhost)}`));
  await managementApi("PUT", `/permissions/${encodeURIComponent(vhost)}/${encodeURIComponent(username)}`, {
    configure: ".*",
    write: ".*",
    read: ".*",
  });
  return vhost;
}

function measurer(cleanup: Cleanup, metadata: Record<string, string>, extra: Partial<TriggerUnderTest> = {}) {
  const trigger = connectTestTrigger({ type: "rabbitmq", metadata, ...extra });
  cleanup.add(() => trigger.close());
  return trigger;
}

/** Measures until the management API's statistics (refreshed every few seconds) show `expected`. */
async function measureUntil(trigger: TriggerMeasurer, expected: (value: number) => boolean, what: string) {
  return eventually(what, async () => {
    const sample = await trigger.measure();
    return sample.value !== undefined && expected(sample.value) ? sample : undefined;
  });
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("rabbitmq scaler over AMQP", () => {
  const cleanup = useCleanup();

  it("reads the queue length, inactive at the activation value and active above it", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-amqp");
    const { channel } = await testChannel(cleanup);
    await publish(channel, queue, 5);
    const trigger = measurer(cleanup, {
      host: amqpWithCredentials(),
      queueName: queue,
      mode: "QueueLength",
      value: "10",
      activationValue: "5",
    });
    expect(trigger.prepared.metricSpec).toMatchObject({ metricName: `s0-rabbitmq-${queue}`, target: 10 });
    expect(await trigger.measure()).toMatchObject({ value: 5, active: false });
    await publish(channel, queue, 1);
    expect(await trigger.measure()).toMatchObject({ value: 6, active: true });
  });

  it("takes credentials from authentication parameters and the vhost from the URL or vhostName", async () => {
    const vhost = await testVhost(cleanup);
    const { channel } = await testChannel(cleanup, vhost);
    const queue = uniqueName("rabbitmq-vhost-queue");
    await channel.assertQueue(queue, { durable: false });
    await publish(channel, queue, 3);
    const authParams = { username, password };
    const inPath = measurer(
      cleanup,
      { host: `${amqpBase}/${encodeURIComponent(vhost)}`, queueName: queue },
      { authParams },
    );
    expect(await inPath.measure()).toMatchObject({ value: 3, active: true });
    const overridden = measurer(
      cleanup,
      { host: `${amqpBase}/`, queueName: queue, vhostName: vhost },
      { authParams },
    );
    expect(await overridden.measure()).toMatchObject({ value: 3 });
    // The default vhost has no such queue.
    const defaultVhost = measurer(cleanup, { host: `${amqpBase}/`, queueName: queue }, { authParams });
    expect((await defaultVhost.measure()).error).toMatch(/NOT_FOUND - no queue/);
  });

  it("reports a missing queue without breaking the shared connection for other triggers", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-shared");
    const pool = new ConnectionPool();
    const missing = measurer(
      cleanup,
      { host: amqpWithCredentials(), queueName: `${queue}-missing` },
      { pool },
    );
    const present = measurer(cleanup, { host: amqpWithCredentials(), queueName: queue }, { pool });
    expect(pool.size).toBe(1);
    const failed = await missing.measure();
    expect(failed.error).toContain(`cannot read queue "${queue}-missing"`);
    expect(failed.error).toContain("404");
    expect(await present.measure()).toMatchObject({ value: 0, active: false });
    expect((await missing.measure()).error).toContain("NOT_FOUND");
  });

  it("reconnects when the server closes the connection", async () => {
    const vhost = await testVhost(cleanup);
    const { channel } = await testChannel(cleanup, vhost);
    const queue = uniqueName("rabbitmq-reconnect");
    await channel.assertQueue(queue, { durable: false });
    await publish(channel, queue, 2);
    const trigger = measurer(cleanup, {
      host: amqpWithCredentials(`/${encodeURIComponent(vhost)}`),
      queueName: queue,
    });
    expect(await trigger.measure()).toMatchObject({ value: 2 });
    // The scaler's connection is the one named "tidal" on this test's own vhost.
    const scalerConnections = async () => {
      const response = await managementApi("GET", `/vhosts/${encodeURIComponent(vhost)}/connections`);
      const connections = (await response.json()) as {
        name: string;
        client_properties?: { connection_name?: string };
      }[];
      return connections.filter((connection) => connection.client_properties?.connection_name === "tidal");
    };
    const [first] = await eventually("the scaler's connection to be listed", async () => {
      const found = await scalerConnections();
      return found.length === 1 ? found : undefined;
    });
    const closed = await managementApi("DELETE", `/connections/${encodeURIComponent(first?.name ?? "")}`);
    expect(closed.status).toBe(204);
    await publish(channel, queue, 1);
    const sample = await eventually("a reading after the reconnect", async () => {
      const reading = await trigger.measure();
      return reading.value === 3 ? reading : undefined;
    });
    expect(sample).toMatchObject({ value: 3, active: true });
    const [second] = await eventually("the new connection to be listed", async () => {
      const found = await scalerConnections();
      return found.length === 1 && found[0]?.name !== first?.name ? found : undefined;
    });
    expect(second?.name).not.toBe(first?.name);
  });

  it("gives a clear error for a wrong password, without the password", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-badauth");
    const trigger = measurer(
      cleanup,
      { host: `${amqpBase}/`, queueName: queue },
      { authParams: { username, password: WRONG_PASSWORD } },
    );
    const sample = await trigger.measure();
    expect(sample.error).toMatch(
      /cannot connect to RabbitMQ at amqp:\/\/127\.0\.0\.1:\d+\/: .*ACCESS.REFUSED/,
    );
    expect(sample.error).not.toContain(WRONG_PASSWORD);
  });

  it("gives a clear error for an unreachable host", async () => {
    const port = await closedPort();
    const trigger = measurer(cleanup, {
      host: `amqp://${username}:${WRONG_PASSWORD}@127.0.0.1:${port}/`,
      queueName: "q",
    });
    const sample = await trigger.measure();
    expect(sample.error).toContain(`cannot connect to RabbitMQ at amqp://127.0.0.1:${port}/`);
    expect(sample.error).toContain("ECONNREFUSED");
    expect(sample.error).not.toContain(WRONG_PASSWORD);
  });

  it("rejects a malformed host and HTTP-only modes before connecting", () => {
    expect(() => measurer(cleanup, { host: "127.0.0.1:5672", queueName: "q" })).toThrow(/host/);
    expect(() => measurer(cleanup, { host: "amqp//broken", queueName: "q" })).toThrow(
      /host is not a URL: use amqp:\/\//,
    );
    expect(() =>
      measurer(cleanup, { host: amqpWithCredentials(), queueName: "q", mode: "MessageRate", value: "1" }),
    ).toThrow(/needs the http protocol/);
  });
});

describe("rabbitmq scaler over the management API", () => {
  const cleanup = useCleanup();

  it("reads the queue length with the activation boundary", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-http");
    const { channel } = await testChannel(cleanup);
    await publish(channel, queue, 4);
    const trigger = measurer(cleanup, {
      host: httpWithCredentials(),
      queueName: queue,
      mode: "QueueLength",
      value: "2",
      activationValue: "4",
    });
    expect(await measureUntil(trigger, (value) => value === 4, "4 messages")).toMatchObject({
      active: false,
    });
    await publish(channel, queue, 1);
    expect(await measureUntil(trigger, (value) => value === 5, "5 messages")).toMatchObject({ active: true });
  });

  it("reads the publish rate in MessageRate mode", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-rate");
    const { channel } = await testChannel(cleanup);
    const trigger = measurer(cleanup, {
      host: httpWithCredentials(),
      queueName: queue,
      mode: "MessageRate",
      value: "100",
    });
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        await publish(channel, queue, 5);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    publisher.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
    try {
      const sample = await measureUntil(trigger, (value) => value > 0, "a publish rate");
      expect(sample.active).toBe(true);
      expect(sample.value).toBeLessThan(1000);
    } finally {
      publishing = false;
      await publisher;
    }
  });

  it("uses the vhost from the URL path or vhostName, and credentials from authentication", async () => {
    const vhost = await testVhost(cleanup);
    const { channel } = await testChannel(cleanup, vhost);
    const queue = uniqueName("rabbitmq-http-vhost");
    await channel.assertQueue(queue, { durable: false });
    await publish(channel, queue, 3);
    const authParams = { username, password };
    const inPath = measurer(
      cleanup,
      { host: `${managementBase}/${encodeURIComponent(vhost)}`, queueName: queue },
      { authParams },
    );
    await measureUntil(inPath, (value) => value === 3, "3 messages via the URL's vhost");
    // username/password from authentication override the (wrong) ones in the URL.
    const overridden = measurer(
      cleanup,
      {
        host: `http://nobody:${WRONG_PASSWORD}@${new URL(managementBase).host}/`,
        queueName: queue,
        vhostName: vhost,
      },
      { authParams },
    );
    expect(await overridden.measure()).toMatchObject({ value: 3, active: true });
  });

  it("combines the queues a regex matches with sum, avg and max", async () => {
    const base = uniqueName("rabbitmq-regex");
    const { channel } = await testChannel(cleanup);
    const counts = [1, 2, 6];
    for (const [index, count] of counts.entries()) {
      const queue = `${base}-${index}`;
      await channel.assertQueue(queue, { durable: false });
      cleanup.add(() => managementApi("DELETE", `/queues/%2F/${encodeURIComponent(queue)}`));
      await publish(channel, queue, count);
    }
    const regex = `^${base}-\\d$`;
    const triggerFor = (operation: string) =>
      measurer(cleanup, { host: httpWithCredentials(), queueName: regex, useRegex: "true", operation });
    await measureUntil(triggerFor("sum"), (value) => value === 9, "the sum of 1+2+6");
    expect(await triggerFor("avg").measure()).toMatchObject({ value: 3 });
    expect(await triggerFor("max").measure()).toMatchObject({ value: 6 });
    const tooSmallPage = measurer(cleanup, {
      host: httpWithCredentials(),
      queueName: regex,
      useRegex: "true",
      pageSize: "2",
    });
    expect((await tooSmallPage.measure()).error).toContain("more queues than one page holds");
    expect(triggerFor("sum").prepared.metricSpec?.metricName).toBe(`s0-rabbitmq--5E${base}--5Cd-24`);
  });

  it("counts only ready messages with excludeUnacknowledged", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-unacked");
    const { channel } = await testChannel(cleanup);
    await publish(channel, queue, 5);
    // Take two messages without acknowledging them; they stay unacknowledged while the channel lives.
    for (let index = 0; index < 2; index += 1)
      expect(await channel.get(queue, { noAck: false })).not.toBe(false);
    const all = measurer(cleanup, { host: httpWithCredentials(), queueName: queue });
    const ready = measurer(cleanup, {
      host: httpWithCredentials(),
      queueName: queue,
      excludeUnacknowledged: "true",
    });
    await measureUntil(ready, (value) => value === 3, "3 ready messages");
    expect(await all.measure()).toMatchObject({ value: 5 });
  });

  it("gives clear errors for a wrong password, a missing queue and an unreachable server", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-http-errors");
    const wrongPassword = measurer(
      cleanup,
      { host: `${managementBase}/`, queueName: queue },
      { authParams: { username, password: WRONG_PASSWORD } },
    );
    const denied = await wrongPassword.measure();
    expect(denied.error).toMatch(/^authentication failed: management API answered 401/);
    expect(denied.error).not.toContain(WRONG_PASSWORD);

    const missing = measurer(cleanup, { host: httpWithCredentials(), queueName: `${queue}-missing` });
    const notFound = await missing.measure();
    expect(notFound.error).toContain(`queue or vhost not found: management API answered 404`);
    expect(notFound.error).toContain(`${queue}-missing`);

    const port = await closedPort();
    const unreachable = measurer(cleanup, {
      host: `http://${username}:${WRONG_PASSWORD}@127.0.0.1:${port}/`,
      queueName: queue,
      timeout: "2s",
    });
    const refused = await unreachable.measure();
    expect(refused.error).toContain(`cannot reach the management API at http://127.0.0.1:${port}`);
    expect(refused.error).not.toContain(WRONG_PASSWORD);
  });
});

describe("rabbitmq scaler with OAuth 2.0 client credentials (rabbitmq_auth_backend_oauth2)", () => {
  const cleanup = useCleanup();
  const SECRET = "rabbit-client-secret-0d4e";
  let oauth: FakeOAuth;

  beforeAll(async () => {
    oauth = await startFakeOAuth({ keyFile: services.rabbitmqOAuthKeyFile, keyId: "tidal-test" });
    oauth.addClient({
      id: "tidal-rabbit",
      secret: SECRET,
      audience: "rabbitmq",
      defaultScopes: ["rabbitmq.tag:monitoring", "rabbitmq.read:*/*"],
    });
    // An endpoint that takes the client credentials only in the form, as some do.
    oauth.addClient({ id: "form-only", secret: SECRET, audience: "rabbitmq", only: "form" });
    return () => oauth.close();
  });

  const auth = (extra: Record<string, string> = {}) => ({
    oauthTokenURI: oauth.tokenUrl,
    clientID: "tidal-rabbit",
    clientSecret: SECRET,
    ...extra,
  });

  it("reads the queue with a bearer token, asked once and reused", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-oauth");
    const { channel } = await testChannel(cleanup);
    await publish(channel, queue, 3);
    const before = oauth.requests.length;
    // No credentials in the host URL: the token is the only authentication.
    const trigger = measurer(
      cleanup,
      { host: managementBase, queueName: queue, mode: "QueueLength", value: "1" },
      { authParams: auth() },
    );
    expect(await measureUntil(trigger, (value) => value === 3, "3 messages")).toMatchObject({ active: true });
    expect(await trigger.measure()).toMatchObject({ value: 3 });
    expect(oauth.requests.slice(before)).toEqual([
      { clientId: "tidal-rabbit", via: "basic", status: 200, form: { grant_type: ["client_credentials"] } },
    ]);
  });

  it("asks for the scopes and endpoint parameters, falling back to credentials in the form", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-oauth-scopes");
    const before = oauth.requests.length;
    const trigger = measurer(
      cleanup,
      { host: managementBase, queueName: queue, protocol: "http" },
      {
        authParams: auth({
          clientID: "form-only",
          scopes: "rabbitmq.tag:monitoring, rabbitmq.read:*/*",
          endpointParams: "audience=rabbitmq&resource=api",
        }),
      },
    );
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
    const form = {
      audience: ["rabbitmq"],
      grant_type: ["client_credentials"],
      resource: ["api"],
      scope: ["rabbitmq.tag:monitoring rabbitmq.read:*/*"],
    };
    expect(oauth.requests.slice(before)).toEqual([
      { clientId: "form-only", via: "basic", status: 401, form },
      {
        clientId: "form-only",
        via: "form",
        status: 200,
        form: { ...form, client_id: ["form-only"], client_secret: [SECRET] },
      },
    ]);
  });

  it("reports a refused client and a token RabbitMQ refuses, never showing secrets", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-oauth-refused");
    const wrong = measurer(
      cleanup,
      { host: managementBase, queueName: queue },
      { authParams: auth({ clientSecret: "wrong-rabbit-secret-1" }) },
    );
    const refused = (await wrong.measure()).error ?? "";
    expect(refused).toContain("cannot get an OAuth2 token from oauthTokenURI");
    expect(refused).toContain("invalid_client");
    expect(refused).not.toContain("wrong-rabbit-secret-1");
    // A token for another audience: the management API answers 401.
    const otherAudience = measurer(
      cleanup,
      { host: managementBase, queueName: queue },
      { authParams: auth({ endpointParams: "audience=elsewhere" }) },
    );
    const error = (await otherAudience.measure()).error ?? "";
    expect(error).toMatch(/^authentication failed: management API answered 401/);
    expect(error).not.toContain(SECRET);
  });
});

describe("rabbitmq scaler over TLS", () => {
  const cleanup = useCleanup();
  const file = (name: string) => readFileSync(join(services.rabbitmqTlsDir, name), "utf8");
  const clientCertificate = () => ({ ca: file("ca.crt"), cert: file("client.crt"), key: file("client.key") });

  it("reads the queue over AMQPS with a client certificate, plain or with an encrypted key", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-amqps");
    const { channel } = await testChannel(cleanup);
    await publish(channel, queue, 2);
    const metadata = { host: services.rabbitmqAmqpsUrl, queueName: queue, mode: "QueueLength", value: "1" };
    const plain = measurer(cleanup, metadata, { authParams: { tls: "enable", ...clientCertificate() } });
    expect(await plain.measure()).toMatchObject({ value: 2, active: true });
    const encrypted = measurer(cleanup, metadata, {
      authParams: {
        tls: "enable",
        ca: file("ca.crt"),
        cert: file("client.crt"),
        key: file("client.enc.key"),
        keyPassword: "tidal-test",
      },
    });
    expect(await encrypted.measure()).toMatchObject({ value: 2 });
    // The listener requires a client certificate.
    const caOnly = measurer(cleanup, metadata, { authParams: { tls: "enable", ca: file("ca.crt") } });
    expect((await caOnly.measure()).error).toBeDefined();
  });

  it("reads the queue over HTTPS with the CA, a client certificate, or unsafeSsl", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-https");
    const { channel } = await testChannel(cleanup);
    await publish(channel, queue, 2);
    const metadata = {
      host: services.rabbitmqManagementHttpsUrl,
      queueName: queue,
      mode: "QueueLength",
      value: "1",
    };
    const caOnly = measurer(cleanup, metadata, { authParams: { tls: "enable", ca: file("ca.crt") } });
    expect(await measureUntil(caOnly, (value) => value === 2, "2 messages")).toMatchObject({ active: true });
    const withCertificate = measurer(cleanup, metadata, {
      authParams: { tls: "enable", ...clientCertificate() },
    });
    expect(await withCertificate.measure()).toMatchObject({ value: 2 });
    const unverified = measurer(cleanup, metadata);
    expect((await unverified.measure()).error).toMatch(/certificate/);
    const unsafe = measurer(cleanup, { ...metadata, unsafeSsl: "true" });
    expect(await unsafe.measure()).toMatchObject({ value: 2 });
  });

  it("reads the queue over HTTPS with an OAuth token", async () => {
    const oauth = await startFakeOAuth({ keyFile: services.rabbitmqOAuthKeyFile, keyId: "tidal-test" });
    cleanup.add(() => oauth.close());
    oauth.addClient({
      id: "tls-client",
      secret: "tls-client-secret",
      audience: "rabbitmq",
      defaultScopes: ["rabbitmq.tag:monitoring", "rabbitmq.read:*/*"],
    });
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-https-oauth");
    const host = `https://${new URL(services.rabbitmqManagementHttpsUrl).host}`;
    const trigger = measurer(
      cleanup,
      { host, queueName: queue },
      {
        authParams: {
          tls: "enable",
          ca: file("ca.crt"),
          oauthTokenURI: oauth.tokenUrl,
          clientID: "tls-client",
          clientSecret: "tls-client-secret",
        },
      },
    );
    expect(await trigger.measure()).toMatchObject({ value: 0, active: false });
  });
});

describe("rabbitmq scaler with workloadIdentityResource (azure-workload identity, OAuth 2.0 backend)", () => {
  const cleanup = useCleanup();
  const tenantId = "11111111-2222-3333-4444-555555555555";
  const clientId = "eeeeeeee-bbbb-cccc-dddd-eeeeeeeeeeee";
  const federatedToken = "eyJhbGciOiJSUzI1NiJ9.rabbitmq-service-account-token.signature";
  const resource = "api://rabbitmq-management";
  const saved = { ...process.env };
  const variables = [
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_AUTHORITY_HOST",
  ];
  let entra: FakeEntra;

  beforeAll(async () => {
    await trustFakeCertificate();
    // Entra ID issues a JWT RabbitMQ's OAuth 2.0 backend trusts (its signing key, audience
    // rabbitmq), with the monitoring tag and read access, for the scope <resource>/.default.
    const key = createPrivateKey(readFileSync(services.rabbitmqOAuthKeyFile));
    entra = await startFakeEntra({
      issueToken: (client, scope) => {
        const now = Math.floor(Date.now() / 1000);
        return signJwt(key, "tidal-test", {
          iss: "fake-entra",
          sub: client,
          aud: "rabbitmq",
          scope: scope === `${resource}/.default` ? "rabbitmq.tag:monitoring rabbitmq.read:*/*" : "",
          iat: now,
          nbf: now - 5,
          exp: now + 3600,
        });
      },
    });
    entra.addApp({ tenantId, clientId, federatedToken });
    const file = join(mkdtempSync(join(tmpdir(), "tidal-rabbit-wi-")), "token");
    writeFileSync(file, federatedToken);
    // What the Azure Workload Identity webhook gives Tidal's own pod.
    process.env.AZURE_FEDERATED_TOKEN_FILE = file;
    process.env.AZURE_CLIENT_ID = clientId;
    process.env.AZURE_TENANT_ID = tenantId;
    process.env.AZURE_AUTHORITY_HOST = entra.authorityHost;
  });
  afterAll(async () => {
    await entra.close();
    for (const key of variables)
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
  });

  it("reads the queue with the identity's token for <resource>/.default", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-workload");
    const { channel } = await testChannel(cleanup);
    await publish(channel, queue, 2);
    // No credentials in the host URL: the identity's token is the only authentication.
    const trigger = measurer(
      cleanup,
      { host: managementBase, queueName: queue, mode: "QueueLength", value: "1" },
      {
        authParams: { workloadIdentityResource: resource },
        podIdentity: { provider: "azure-workload" },
        // The first token takes MSAL's discovery requests too.
        timeoutMs: 10_000,
      },
    );
    expect(await measureUntil(trigger, (value) => value === 2, "2 messages")).toMatchObject({ active: true });
    expect(entra.requests.at(-1)).toMatchObject({
      clientId,
      scope: `${resource}/.default`,
      kind: "assertion",
      status: 200,
    });
  });

  it("names RabbitMQ's refusal of a token for another resource", async () => {
    const queue = await rabbitmqQueue(cleanup, "rabbitmq-workload-refused");
    const sample = await measurer(
      cleanup,
      { host: managementBase, queueName: queue, mode: "QueueLength", value: "1" },
      {
        authParams: { workloadIdentityResource: "api://another-resource" },
        podIdentity: { provider: "azure-workload" },
        timeoutMs: 10_000,
      },
    ).measure();
    expect(sample.error).toMatch(/401/);
    expect(sample.error).not.toContain(federatedToken);
  });
});
