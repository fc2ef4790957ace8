import { describe, expect, it } from "vitest";
import { prepareScalerTrigger } from "../../../test/support/prepare-trigger.ts";
import { describeKafkaError } from "./client.ts";
import { kafkaSecurity, type KafkaParams } from "./params.ts";

function prepare(
  metadata: Record<string, string>,
  inputs: { authParams?: Record<string, string>; resolvedEnv?: Record<string, string> } = {},
) {
  return prepareScalerTrigger("kafka", metadata, { index: 1, ...inputs });
}

const errorsOf = (prepared: ReturnType<typeof prepare>) =>
  prepared.problems.filter((problem) => problem.severity === "error").map((problem) => problem.message);

const base = { bootstrapServers: "b1:9092, b2:9092", consumerGroup: "workers" };

describe("kafka trigger", () => {
  it("names the metric after the topic, or the group when there is no topic", () => {
    expect(prepare({ ...base, topic: "orders.v1" }).metricSpec).toMatchObject({
      metricName: "s1-kafka-orders-v1",
      target: 10,
      activationTarget: 0,
    });
    expect(prepare(base).metricSpec?.metricName).toBe("s1-kafka-workers-topics");
  });

  it("parses KEDA's defaults and lists", () => {
    const prepared = prepare({ ...base, lagThreshold: "50", activationLagThreshold: "5" });
    expect(errorsOf(prepared)).toEqual([]);
    expect(prepared.params).toMatchObject({
      bootstrapServers: ["b1:9092", "b2:9092"],
      offsetResetPolicy: "latest",
      allowIdleConsumers: false,
    });
    expect(kafkaSecurity(prepared.params as KafkaParams)).toEqual({ sasl: "none", tls: "disable" });
    expect(prepared.metricSpec).toMatchObject({ target: 50, activationTarget: 5 });
  });

  it("reads KEDA 1.x's authMode when sasl and tls are not set", () => {
    const security = (authParams: Record<string, string>) =>
      kafkaSecurity(
        prepare(base, { authParams: { username: "u", password: "p", ...authParams } }).params as KafkaParams,
      );
    expect(security({ authMode: "sasl_ssl_plain" })).toEqual({ sasl: "plaintext", tls: "enable" });
    expect(security({ authMode: "sasl_plaintext" })).toEqual({ sasl: "plaintext", tls: "disable" });
    expect(security({ authMode: "sasl_scram_sha512" })).toEqual({ sasl: "scram_sha512", tls: "disable" });
    expect(security({ authMode: "sasl_ssl" })).toEqual({ sasl: "none", tls: "enable" });
    expect(security({ authMode: "sasl_ssl_plain", sasl: "scram_sha256" })).toEqual({
      sasl: "scram_sha256",
      tls: "disable",
    });
    expect(errorsOf(prepare(base, { authParams: { authMode: "sasl_ssl_plain" } }))).toEqual([
      expect.stringContaining("needs a username"),
      expect.stringContaining("needs a password"),
    ]);
  });

  it("requires bootstrapServers and consumerGroup, from metadata or the environment", () => {
    expect(errorsOf(prepare({}))).toEqual([
      expect.stringContaining('"bootstrapServers"'),
      expect.stringContaining('"consumerGroup"'),
    ]);
    const fromEnv = prepare(
      { bootstrapServersFromEnv: "BROKERS", consumerGroupFromEnv: "GROUP", topicFromEnv: "TOPIC" },
      { resolvedEnv: { BROKERS: "k:9092", GROUP: "g", TOPIC: "t" } },
    );
    expect(fromEnv.params).toMatchObject({ bootstrapServers: ["k:9092"], consumerGroup: "g", topic: "t" });
  });

  it("checks thresholds, conflicts and partitionLimitation like KEDA", () => {
    expect(errorsOf(prepare({ ...base, lagThreshold: "0" }))).toEqual([
      "lagThreshold must be greater than 0",
    ]);
    expect(errorsOf(prepare({ ...base, activationLagThreshold: "-1" }))).toEqual([
      "activationLagThreshold must be 0 or more",
    ]);
    expect(
      errorsOf(
        prepare({ ...base, topic: "t", allowIdleConsumers: "true", limitToPartitionsWithLag: "true" }),
      ),
    ).toEqual(["allowIdleConsumers and limitToPartitionsWithLag cannot be set together"]);
    expect(
      errorsOf(
        prepare({
          ...base,
          topic: "t",
          limitToPartitionsWithLag: "true",
          ensureEvenDistributionOfPartitions: "true",
        }),
      ),
    ).toEqual(["limitToPartitionsWithLag and ensureEvenDistributionOfPartitions cannot be set together"]);
    expect(errorsOf(prepare({ ...base, limitToPartitionsWithLag: "true" }))).toEqual([
      "topic must be set when using limitToPartitionsWithLag",
    ]);
    expect(errorsOf(prepare({ ...base, ensureEvenDistributionOfPartitions: "true" }))).toEqual([
      "topic must be set when using ensureEvenDistributionOfPartitions",
    ]);
    expect(errorsOf(prepare({ ...base, topic: "t", partitionLimitation: "1,x" }))).toEqual([
      expect.stringContaining('invalid partitionLimitation "x"'),
    ]);
    expect(errorsOf(prepare({ ...base, offsetResetPolicy: "newest" }))).toEqual([
      expect.stringContaining("must be one of latest, earliest"),
    ]);
    expect(errorsOf(prepare({ ...base, version: "2.8.0" }))).toEqual([]);
    expect(errorsOf(prepare({ ...base, version: "0.10.2.0" }))).toEqual([]);
    for (const version of ["two", "1.2.3.4", "0.10.2", "2.8"]) {
      expect(errorsOf(prepare({ ...base, version }))).toEqual([
        expect.stringContaining(`version "${version}" is not a Kafka version`),
      ]);
    }
    expect(errorsOf(prepare({ ...base, fullMetadata: "false" }))).toEqual([
      "topic must be set when fullMetadata is false",
    ]);
    expect(errorsOf(prepare({ ...base, topic: "t", fullMetadata: "false" }))).toEqual([]);
  });

  it("reads sasl and tls from metadata or authentication, credentials from authentication only", () => {
    const prepared = prepare(
      { ...base, sasl: "scram_sha512", tls: "enable" },
      { authParams: { username: "u", password: "pw", ca: "CA" } },
    );
    expect(errorsOf(prepared)).toEqual([]);
    expect(prepared.params).toMatchObject({ sasl: "scram_sha512", tls: "enable", username: "u", ca: "CA" });
    const fromAuth = prepare(base, {
      authParams: { sasl: "plaintext", tls: "enable", username: "u", password: "pw" },
    });
    expect(fromAuth.params).toMatchObject({ sasl: "plaintext", tls: "enable" });
    const inMetadata = prepare({ ...base, sasl: "plaintext", username: "u", password: "secret-in-metadata" });
    expect(errorsOf(inMetadata)).toEqual([
      "sasl plaintext needs a username from the TriggerAuthentication",
      "sasl plaintext needs a password from the TriggerAuthentication",
    ]);
    expect(inMetadata.problems).toContainEqual(
      expect.objectContaining({ key: "password", severity: "warning" }),
    );
  });

  it("checks oauthbearer and gssapi as KEDA does, and a lone cert with TLS", () => {
    expect(errorsOf(prepare({ ...base, sasl: "oauthbearer" }, { authParams: { username: "c" } }))).toEqual([
      "sasl oauthbearer needs the OAuth client secret as password",
      "sasl oauthbearer needs oauthTokenEndpointUri, the OAuth token endpoint",
    ]);
    const oauth = { username: "c", password: "s", oauthTokenEndpointUri: "http://idp/token" };
    expect(
      errorsOf(
        prepare({ ...base, sasl: "oauthbearer" }, { authParams: { ...oauth, oauthExtensions: "a=1,b" } }),
      ),
    ).toEqual(['oauthExtensions entry "b" must be key=value']);
    expect(errorsOf(prepare({ ...base, sasl: "oauthbearer" }, { authParams: oauth }))).toEqual([]);
    expect(
      errorsOf(prepare({ ...base, sasl: "gssapi" }, { authParams: { username: "u", password: "p" } })),
    ).toEqual([
      "sasl gssapi needs realm, the Kerberos realm",
      expect.stringContaining("sasl gssapi needs kerberosConfig"),
    ]);
    expect(
      errorsOf(
        prepare(
          { ...base, sasl: "gssapi" },
          { authParams: { username: "u", password: "p", keytab: "k", realm: "R", kerberosConfig: "c" } },
        ),
      ),
    ).toEqual(["sasl gssapi needs exactly one of password or keytab in the TriggerAuthentication"]);
    expect(errorsOf(prepare({ ...base, tls: "enable" }, { authParams: { cert: "C" } }))).toEqual([
      "cert and key must be given together",
    ]);
  });
});

describe("describeKafkaError", () => {
  it("flattens nested causes into one line that ends with the root cause", () => {
    const root = Object.assign(new Error("SASL authentication failed."), {
      serverErrorMessage:
        "Authentication failed due to invalid credentials with SASL mechanism SCRAM-SHA-512",
    });
    const response = Object.assign(
      new Error("Received response with error while executing API SaslAuthenticate(v2)"),
      {
        errors: [root],
      },
    );
    const network = new Error("Connection to 127.0.0.1:9093 failed.", {
      cause: new Error("SASL authentication failed.", { cause: response }),
    });
    const multiple = Object.assign(new Error("metadata failed 2 times."), { errors: [network, network] });
    expect(describeKafkaError(multiple)).toBe(
      "metadata failed 2 times: Connection to 127.0.0.1:9093 failed: SASL authentication failed: " +
        "Received response with error while executing API SaslAuthenticate(v2): SASL authentication failed " +
        "(Authentication failed due to invalid credentials with SASL mechanism SCRAM-SHA-512)",
    );
    expect(describeKafkaError("plain")).toBe("plain");
  });
});
