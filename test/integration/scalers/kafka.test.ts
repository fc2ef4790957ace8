import { Admin, Producer, stringSerializers } from "@platformatic/kafka";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerMeasurer } from "../../../src/scalers/prepared-trigger.ts";
import { startFakeOAuth, type FakeOAuth } from "../../support/fakes/fake-oauth.ts";
import { connectTestTrigger, type TriggerUnderTest } from "../../support/scaler-harness.ts";
import { kafkaTopic, uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("kafka"));

const WRONG_PASSWORD = "wrong-kafka-password-93d2";

let admin: Admin;
let producer: Producer<string, string, string, string>;

beforeAll(() => {
  admin = new Admin({ clientId: "tidal-kafka-test", bootstrapBrokers: services.kafkaBrokers });
  producer = new Producer({
    clientId: "tidal-kafka-test",
    bootstrapBrokers: services.kafkaBrokers,
    serializers: stringSerializers,
    // Idempotent, so a retried send right after the topic was created cannot duplicate messages.
    idempotent: true,
  });
});

afterAll(async () => {
  await producer.close();
  await admin.close();
});

/** Writes `count` messages to each listed partition: { 0: 5, 1: 3 }. */
async function produce(topic: string, counts: Record<number, number>): Promise<void> {
  const messages = Object.entries(counts).flatMap(([partition, count]) =>
    Array.from({ length: count }, (_, index) => ({
      topic,
      partition: Number(partition),
      value: `message ${index}`,
    })),
  );
  await producer.send({ messages });
}

/** Commits offsets for a consumer group (created on first commit); the cleanup deletes the group. */
async function commit(cleanup: Cleanup, group: string, offsets: Record<string, Record<number, number>>) {
  await admin.alterConsumerGroupOffsets({
    groupId: group,
    topics: Object.entries(offsets).map(([name, partitions]) => ({
      name,
      partitionOffsets: Object.entries(partitions).map(([partition, offset]) => ({
        partition: Number(partition),
        offset: BigInt(offset),
      })),
    })),
  });
  cleanup.add(() => admin.deleteGroups({ groups: [group] }).catch(() => undefined));
}

function measurer(cleanup: Cleanup, metadata: Record<string, string>, extra: Partial<TriggerUnderTest> = {}) {
  const trigger = connectTestTrigger({ type: "kafka", metadata, timeoutMs: 10_000, ...extra });
  cleanup.add(() => trigger.close());
  return trigger;
}

async function valueOf(trigger: TriggerMeasurer) {
  const sample = await trigger.measure();
  if (sample.error !== undefined) throw new Error(sample.error);
  return { value: sample.value, active: sample.active };
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/**
 * A topic of three partitions with 5, 3 and 2 messages, and a group that committed 2 on
 * partition 0 and 3 on partition 1 and nothing on partition 2: lag 3, 0 and "invalid".
 */
async function laggingGroup(cleanup: Cleanup) {
  const topic = await kafkaTopic(cleanup, "kafka-lag", 3);
  const group = uniqueName("kafka-group");
  await produce(topic, { 0: 5, 1: 3, 2: 2 });
  await commit(cleanup, group, { [topic]: { 0: 2, 1: 3 } });
  return { topic, group, brokers: services.kafkaBrokers.join(",") };
}

describe("kafka scaler over PLAINTEXT", () => {
  const cleanup = useCleanup();

  it("sums the lag per partition, with the activation boundary", async () => {
    const { topic, group, brokers } = await laggingGroup(cleanup);
    const metadata = { bootstrapServers: brokers, consumerGroup: group, topic, lagThreshold: "100" };
    const trigger = measurer(cleanup, { ...metadata, activationLagThreshold: "4" });
    expect(trigger.prepared.metricSpec).toMatchObject({ metricName: `s0-kafka-${topic}`, target: 100 });
    // 3 + 0 + 1 (no committed offset, policy latest)
    expect(await valueOf(trigger)).toEqual({ value: 4, active: false });
    await produce(topic, { 1: 1 });
    expect(await valueOf(trigger)).toEqual({ value: 5, active: true });
  });

  it("applies the offset reset policy and scaleToZeroOnInvalidOffset to partitions without a commit", async () => {
    const { topic, group, brokers } = await laggingGroup(cleanup);
    const metadata = { bootstrapServers: brokers, consumerGroup: group, topic, lagThreshold: "100" };
    expect(await valueOf(measurer(cleanup, { ...metadata, offsetResetPolicy: "earliest" }))).toMatchObject({
      value: 5,
    });
    expect(
      await valueOf(measurer(cleanup, { ...metadata, scaleToZeroOnInvalidOffset: "true" })),
    ).toMatchObject({
      value: 3,
    });
    // A group that never committed: every partition counts 1 with policy latest.
    const fresh = measurer(cleanup, { ...metadata, consumerGroup: uniqueName("kafka-no-commits") });
    expect(await valueOf(fresh)).toEqual({ value: 3, active: true });
  });

  it("caps the lag so replicas never exceed partitions, unless idle consumers are allowed", async () => {
    const { topic, group, brokers } = await laggingGroup(cleanup);
    const metadata = { bootstrapServers: brokers, consumerGroup: group, topic, lagThreshold: "1" };
    expect(await valueOf(measurer(cleanup, metadata))).toMatchObject({ value: 3 });
    expect(await valueOf(measurer(cleanup, { ...metadata, allowIdleConsumers: "true" }))).toMatchObject({
      value: 4,
    });
    // Partitions 0 and 2 have lag: two replicas at most.
    expect(await valueOf(measurer(cleanup, { ...metadata, limitToPartitionsWithLag: "true" }))).toMatchObject(
      {
        value: 2,
      },
    );
    expect(await valueOf(measurer(cleanup, { ...metadata, partitionLimitation: "0" }))).toMatchObject({
      value: 1,
    });
    const partitionZero = measurer(cleanup, { ...metadata, partitionLimitation: "0", lagThreshold: "10" });
    expect(await valueOf(partitionZero)).toMatchObject({ value: 3 });
  });

  it("measures every topic the group committed when no topic is given", async () => {
    const { topic, group, brokers } = await laggingGroup(cleanup);
    const other = await kafkaTopic(cleanup, "kafka-other", 1);
    await produce(other, { 0: 10 });
    await commit(cleanup, group, { [other]: { 0: 4 } });
    const trigger = measurer(cleanup, {
      bootstrapServers: brokers,
      consumerGroup: group,
      lagThreshold: "100",
      partitionLimitation: "0", // ignored without a topic, as in KEDA
    });
    expect(trigger.prepared.metricSpec?.metricName).toBe(`s0-kafka-${group}-topics`);
    // Topic partitions 0..2 (3 + 0 + 1) and the other topic's 6.
    expect(await valueOf(trigger)).toEqual({ value: 10, active: true });
    expect(topic).not.toBe(other);
  });

  it("excludes persistent lag from the value after the first poll but stays active", async () => {
    const { topic, group, brokers } = await laggingGroup(cleanup);
    const trigger = measurer(cleanup, {
      bootstrapServers: brokers,
      consumerGroup: group,
      topic,
      lagThreshold: "100",
      excludePersistentLag: "true",
    });
    expect(await valueOf(trigger)).toEqual({ value: 4, active: true });
    // Nothing committed since: partitions 0 and 1 are stuck; partition 2 has no offset and still counts 1.
    expect(await valueOf(trigger)).toEqual({ value: 1, active: true });
    await commit(cleanup, group, { [topic]: { 0: 4 } });
    expect(await valueOf(trigger)).toEqual({ value: 2, active: true });
  });

  it("reports a missing topic and an unreachable broker clearly", async () => {
    const missingTopic = measurer(cleanup, {
      bootstrapServers: services.kafkaBrokers.join(","),
      consumerGroup: "g",
      topic: uniqueName("kafka-missing"),
    });
    expect((await missingTopic.measure()).error).toMatch(
      /^cannot read the lag of consumer group "g" on topic "tidal-kafka-missing-[^"]+" from 127\.0\.0\.1:\d+: Unknown topic/,
    );
    const port = await closedPort();
    const unreachable = measurer(cleanup, {
      bootstrapServers: `127.0.0.1:${port}`,
      consumerGroup: "g",
      topic: "t",
    });
    expect((await unreachable.measure()).error).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}.*ECONNREFUSED`));
  });
});

describe("kafka scaler over SASL_SSL", () => {
  const cleanup = useCleanup();
  const ca = () => readFileSync(services.kafkaCaFile, "utf8");
  const brokers = () => services.kafkaSaslSslBrokers.join(",");
  const credentials = () => ({ username: services.kafkaUsername, password: services.kafkaPassword });

  it.each(["plaintext", "scram_sha512"])(
    "reads the lag with sasl %s and TLS verified by the CA",
    async (sasl) => {
      const { topic, group } = await laggingGroup(cleanup);
      // The way Azure Event Hubs' Kafka endpoint is configured: sasl and tls in the trigger metadata.
      const trigger = measurer(
        cleanup,
        {
          bootstrapServers: brokers(),
          consumerGroup: group,
          topic,
          lagThreshold: "100",
          sasl,
          tls: "enable",
        },
        { authParams: { ...credentials(), ca: ca() } },
      );
      expect(await valueOf(trigger)).toEqual({ value: 4, active: true });
    },
  );

  it("takes sasl and tls from the TriggerAuthentication too", async () => {
    const { topic, group } = await laggingGroup(cleanup);
    const trigger = measurer(
      cleanup,
      { bootstrapServers: brokers(), consumerGroup: group, topic, lagThreshold: "100" },
      { authParams: { ...credentials(), ca: ca(), sasl: "scram_sha512", tls: "enable" } },
    );
    expect(await valueOf(trigger)).toMatchObject({ value: 4 });
  });

  it("gives a clear error for a wrong password, without the password", async () => {
    for (const sasl of ["plaintext", "scram_sha512"]) {
      const trigger = measurer(
        cleanup,
        { bootstrapServers: brokers(), consumerGroup: "g", topic: "t", sasl, tls: "enable" },
        { authParams: { username: services.kafkaUsername, password: WRONG_PASSWORD, ca: ca() } },
      );
      const sample = await trigger.measure();
      expect(sample.error).toContain("SASL authentication failed");
      expect(sample.error).not.toContain(WRONG_PASSWORD);
    }
  });

  it("rejects the broker's certificate without the CA, and accepts it with unsafeSsl", async () => {
    const { topic, group } = await laggingGroup(cleanup);
    const metadata = {
      bootstrapServers: brokers(),
      consumerGroup: group,
      topic,
      sasl: "plaintext",
      tls: "enable",
    };
    const unverified = measurer(cleanup, metadata, { authParams: credentials() });
    expect((await unverified.measure()).error).toMatch(/certificate/);
    const unsafe = measurer(
      cleanup,
      { ...metadata, lagThreshold: "100", unsafeSsl: "true" },
      { authParams: credentials() },
    );
    expect(await valueOf(unsafe)).toMatchObject({ value: 4 });
  });
});

describe("kafka scaler with sasl oauthbearer (client credentials, tokens checked by the broker's JWKS)", () => {
  const cleanup = useCleanup();
  const SECRET = "oauth-client-secret-5f1c";
  let oauth: FakeOAuth;

  beforeAll(async () => {
    oauth = await startFakeOAuth({ keyFile: services.kafkaOAuthKeyFile, keyId: "tidal-test" });
    oauth.addClient({ id: "tidal-kafka", secret: SECRET, audience: "kafka" });
    // A client whose tokens name another audience: the broker refuses them.
    oauth.addClient({ id: "other-audience", secret: SECRET, audience: "elsewhere" });
  });
  afterAll(() => oauth.close());

  const auth = (extra: Record<string, string> = {}) => ({
    sasl: "oauthbearer",
    username: "tidal-kafka",
    password: SECRET,
    oauthTokenEndpointUri: oauth.tokenUrl,
    ...extra,
  });

  it.each([
    ["SASL_PLAINTEXT", () => services.kafkaSaslPlaintextBrokers, {}],
    [
      "SASL_SSL",
      () => services.kafkaSaslSslBrokers,
      { tls: "enable", ca: readFileSync(services.kafkaCaFile, "utf8") },
    ],
  ] as const)("reads the lag over %s with a token from the endpoint", async (_listener, brokers, tls) => {
    const { topic, group } = await laggingGroup(cleanup);
    const before = oauth.requests.length;
    const trigger = measurer(
      cleanup,
      { bootstrapServers: brokers().join(","), consumerGroup: group, topic, lagThreshold: "100" },
      {
        authParams: auth({ scopes: "kafka.read,kafka.lag", oauthExtensions: "traceId=t1,tenant=a", ...tls }),
      },
    );
    expect(await valueOf(trigger)).toEqual({ value: 4, active: true });
    expect(await valueOf(trigger)).toEqual({ value: 4, active: true });
    const requests = oauth.requests.slice(before);
    // One token for both reads (it is reused until it expires), asked for as oauth2 does.
    expect(requests).toEqual([
      {
        clientId: "tidal-kafka",
        via: "basic",
        status: 200,
        form: { grant_type: ["client_credentials"], scope: ["kafka.read kafka.lag"] },
      },
    ]);
  });

  it("fails with the token endpoint's refusal, never showing the secret", async () => {
    const trigger = measurer(
      cleanup,
      { bootstrapServers: services.kafkaSaslPlaintextBrokers.join(","), consumerGroup: "g", topic: "t" },
      { authParams: auth({ password: "wrong-client-secret-77" }) },
    );
    const { error } = await trigger.measure();
    expect(error).toContain("cannot get an OAuth2 token from oauthTokenEndpointUri: ");
    expect(error).toContain("invalid_client");
    expect(error).not.toContain("wrong-client-secret-77");
  });

  it("fails when the broker refuses the token", async () => {
    const trigger = measurer(
      cleanup,
      { bootstrapServers: services.kafkaSaslPlaintextBrokers.join(","), consumerGroup: "g", topic: "t" },
      { authParams: auth({ username: "other-audience" }) },
    );
    const { error } = await trigger.measure();
    expect(error).toContain("SASL authentication failed");
    expect(error).not.toContain(SECRET);
  });

  it("fails clearly when the token endpoint is unreachable", async () => {
    const port = await closedPort();
    const trigger = measurer(
      cleanup,
      { bootstrapServers: services.kafkaSaslPlaintextBrokers.join(","), consumerGroup: "g", topic: "t" },
      { authParams: auth({ oauthTokenEndpointUri: `http://127.0.0.1:${port}/token` }) },
    );
    expect((await trigger.measure()).error).toMatch(
      /cannot get an OAuth2 token from oauthTokenEndpointUri: .*ECONNREFUSED/,
    );
  });
});

describe("kafka scaler with the other SASL and TLS combinations KEDA accepts", () => {
  const cleanup = useCleanup();
  const ca = () => readFileSync(services.kafkaCaFile, "utf8");
  const credentials = () => ({ username: services.kafkaUsername, password: services.kafkaPassword });

  it.each(["plaintext", "scram_sha256", "scram_sha512"])(
    "reads the lag with sasl %s without TLS",
    async (sasl) => {
      const { topic, group } = await laggingGroup(cleanup);
      const trigger = measurer(
        cleanup,
        {
          bootstrapServers: services.kafkaSaslPlaintextBrokers.join(","),
          consumerGroup: group,
          topic,
          lagThreshold: "100",
          sasl,
        },
        { authParams: credentials() },
      );
      expect(await valueOf(trigger)).toEqual({ value: 4, active: true });
    },
  );

  it("reads the lag with sasl scram_sha256 over TLS, and with KEDA 1.x's authMode", async () => {
    const { topic, group } = await laggingGroup(cleanup);
    const metadata = {
      bootstrapServers: services.kafkaSaslSslBrokers.join(","),
      consumerGroup: group,
      topic,
      lagThreshold: "100",
    };
    const scram = measurer(
      cleanup,
      { ...metadata, sasl: "scram_sha256", tls: "enable" },
      {
        authParams: { ...credentials(), ca: ca() },
      },
    );
    expect(await valueOf(scram)).toMatchObject({ value: 4 });
    const legacy = measurer(cleanup, metadata, {
      authParams: { ...credentials(), ca: ca(), authMode: "sasl_ssl_plain" },
    });
    expect(await valueOf(legacy)).toMatchObject({ value: 4 });
  });

  it("authenticates with a client certificate, plain or with an encrypted key and keyPassword", async () => {
    const { topic, group } = await laggingGroup(cleanup);
    const metadata = {
      bootstrapServers: services.kafkaMtlsBrokers.join(","),
      consumerGroup: group,
      topic,
      lagThreshold: "100",
      tls: "enable",
    };
    const cert = readFileSync(services.kafkaClientCertFile, "utf8");
    const plainKey = measurer(cleanup, metadata, {
      authParams: { ca: ca(), cert, key: readFileSync(services.kafkaClientKeyFile, "utf8") },
    });
    expect(await valueOf(plainKey)).toEqual({ value: 4, active: true });
    const encryptedKey = measurer(cleanup, metadata, {
      authParams: {
        ca: ca(),
        cert,
        key: readFileSync(services.kafkaClientEncryptedKeyFile, "utf8"),
        keyPassword: "tidal-test",
      },
    });
    expect(await valueOf(encryptedKey)).toMatchObject({ value: 4 });
    // The listener requires a certificate: the CA alone is refused.
    const noCertificate = measurer(cleanup, metadata, { authParams: { ca: ca() } });
    expect((await noCertificate.measure()).error).toMatch(/cannot read the lag/);
  });
});

describe("kafka scaler with sasl gssapi (Kerberos, MIT KDC)", () => {
  const cleanup = useCleanup();
  beforeAll(() => useServices("kdc"));

  const kerberos = (extra: Record<string, string> = {}) => ({
    sasl: "gssapi",
    username: services.kerberosUsername,
    realm: services.kerberosRealm,
    kerberosConfig: readFileSync(services.kerberosConfigFile, "utf8"),
    ...extra,
  });
  const keytab = () => readFileSync(services.kerberosKeytabFile).toString("latin1");

  it.each([
    [
      "a password",
      "SASL_PLAINTEXT",
      () => services.kafkaSaslPlaintextBrokers,
      () => ({ password: services.kerberosPassword }),
    ],
    ["a keytab", "SASL_PLAINTEXT", () => services.kafkaSaslPlaintextBrokers, () => ({ keytab: keytab() })],
    [
      "a password",
      "SASL_SSL",
      () => services.kafkaSaslSslBrokers,
      () => ({
        password: services.kerberosPassword,
        tls: "enable",
        ca: readFileSync(services.kafkaCaFile, "utf8"),
      }),
    ],
    [
      "a keytab and FAST disabled",
      "SASL_SSL",
      () => services.kafkaSaslSslBrokers,
      () => ({
        keytab: keytab(),
        kerberosDisableFAST: "true",
        kerberosServiceName: "kafka",
        tls: "enable",
        ca: readFileSync(services.kafkaCaFile, "utf8"),
      }),
    ],
  ] as const)("reads the lag with %s over %s", async (_how, _listener, brokers, secret) => {
    const { topic, group } = await laggingGroup(cleanup);
    const trigger = measurer(
      cleanup,
      { bootstrapServers: brokers().join(","), consumerGroup: group, topic, lagThreshold: "100" },
      { authParams: kerberos(secret()) },
    );
    expect(await valueOf(trigger)).toEqual({ value: 4, active: true });
    expect(await valueOf(trigger)).toEqual({ value: 4, active: true });
  });

  it("names the KDC's refusal for a wrong password and an unknown principal, without secrets", async () => {
    const metadata = {
      bootstrapServers: services.kafkaSaslPlaintextBrokers.join(","),
      consumerGroup: "g",
      topic: "t",
    };
    const wrong = measurer(cleanup, metadata, {
      authParams: kerberos({ password: "wrong-kerberos-pass-4" }),
    });
    const wrongError = (await wrong.measure()).error ?? "";
    expect(wrongError).toContain("KDC_ERR_PREAUTH_FAILED");
    expect(wrongError).not.toContain("wrong-kerberos-pass-4");
    const unknown = measurer(cleanup, metadata, {
      authParams: kerberos({ username: "nobody", password: "x-password-5" }),
    });
    expect((await unknown.measure()).error).toContain("KDC_ERR_C_PRINCIPAL_UNKNOWN");
  });

  it("names a service principal the realm does not have, and an unreachable KDC", async () => {
    const metadata = {
      bootstrapServers: services.kafkaSaslPlaintextBrokers.join(","),
      consumerGroup: "g",
      topic: "t",
    };
    const otherService = measurer(cleanup, metadata, {
      authParams: kerberos({ password: services.kerberosPassword, kerberosServiceName: "not-kafka" }),
    });
    expect((await otherService.measure()).error).toContain("KDC_ERR_S_PRINCIPAL_UNKNOWN");
    const port = await closedPort();
    const config = readFileSync(services.kerberosConfigFile, "utf8").replace(
      /kdc = 127\.0\.0\.1:\d+/,
      `kdc = 127.0.0.1:${port}`,
    );
    const noKdc = measurer(cleanup, metadata, {
      authParams: kerberos({ password: services.kerberosPassword, kerberosConfig: config }),
    });
    expect((await noKdc.measure()).error).toMatch(
      new RegExp(`no KDC answered \\(127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
  });
});
