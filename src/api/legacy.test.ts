import { describe, expect, it } from "vitest";
import { convertLegacyDocuments, isLegacyDocument, type LegacyTriggerRule } from "./legacy.ts";

const LEGACY = "keda.k8s.io/v1alpha1";

/** The rules the scalers declare, as far as these tests use them. */
const RULES: Record<string, LegacyTriggerRule> = {
  kafka: { renamedKeys: { brokerList: "bootstrapServers" } },
  "azure-servicebus": { renamedKeys: { queueLength: "messageCount" }, envNameKeys: ["connection"] },
  "azure-queue": { envNameKeys: ["connection"] },
  redis: { envNameKeys: ["address", "host", "port", "password"] },
  rabbitmq: { envNameKeys: ["host", "apiHost"] },
};

function convert(documents: readonly unknown[]) {
  return convertLegacyDocuments(documents, (type) => RULES[type]);
}

function legacyScaledObject(
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = { name: "so" },
) {
  return { apiVersion: LEGACY, kind: "ScaledObject", metadata, spec };
}

function convertOne(document: unknown) {
  const [result] = convert([document]);
  return result as {
    value: Record<string, unknown> & { spec: Record<string, unknown>; metadata: Record<string, unknown> };
    notes: string[];
  };
}

describe("convertLegacyDocuments: ScaledObject", () => {
  it("moves to keda.sh, renames deploymentName and containerName, and drops the deploymentName label", () => {
    const { value, notes } = convertOne(
      legacyScaledObject(
        {
          scaleTargetRef: { deploymentName: "app", containerName: "main" },
          pollingInterval: 15,
          cooldownPeriod: 100,
          minReplicaCount: 1,
          maxReplicaCount: 10,
          triggers: [
            { type: "prometheus", metadata: { serverAddress: "http://p:9090", query: "up", threshold: "1" } },
          ],
        },
        { name: "so", namespace: "ns", labels: { deploymentName: "app" } },
      ),
    );
    expect(value).toEqual({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "so", namespace: "ns" },
      spec: {
        scaleTargetRef: { name: "app", envSourceContainerName: "main" },
        pollingInterval: 15,
        maxReplicaCount: 10,
        cooldownPeriod: 100,
        minReplicaCount: 1,
        triggers: [
          { type: "prometheus", metadata: { serverAddress: "http://p:9090", query: "up", threshold: "1" } },
        ],
      },
    });
    expect(notes).toEqual([
      "apiVersion keda.k8s.io/v1alpha1 → keda.sh/v1alpha1",
      "metadata.labels.deploymentName is no longer needed and was removed",
      "spec.scaleTargetRef.deploymentName → spec.scaleTargetRef.name",
      "spec.scaleTargetRef.containerName → spec.scaleTargetRef.envSourceContainerName",
    ]);
  });

  it("keeps the other labels", () => {
    const { value } = convertOne(
      legacyScaledObject(
        { scaleTargetRef: { deploymentName: "app" }, triggers: [] },
        { name: "so", labels: { deploymentName: "app", team: "a" } },
      ),
    );
    expect(value.metadata).toEqual({ name: "so", labels: { team: "a" } });
  });

  it("scaleType job becomes a ScaledJob without cooldownPeriod and minReplicaCount", () => {
    const jobTargetRef = { template: { spec: { containers: [{ name: "c", image: "busybox" }] } } };
    const { value, notes } = convertOne(
      legacyScaledObject({
        scaleType: "job",
        scaleTargetRef: { containerName: "c" },
        jobTargetRef,
        pollingInterval: 10,
        cooldownPeriod: 60,
        minReplicaCount: 1,
        maxReplicaCount: 5,
        triggers: [{ type: "redis", metadata: { listName: "q", address: "REDIS_ADDR" } }],
      }),
    );
    expect(value).toEqual({
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledJob",
      metadata: { name: "so" },
      spec: {
        jobTargetRef,
        pollingInterval: 10,
        maxReplicaCount: 5,
        envSourceContainerName: "c",
        triggers: [{ type: "redis", metadata: { listName: "q", addressFromEnv: "REDIS_ADDR" } }],
      },
    });
    expect(notes).toContain(
      "spec.scaleType job → kind ScaledJob (cooldownPeriod and minReplicaCount do not apply to jobs)",
    );
    expect(notes).toContain("spec.scaleTargetRef.containerName → spec.envSourceContainerName");
  });

  it("scaleType deployment is dropped: the kind says it", () => {
    const { value, notes } = convertOne(
      legacyScaledObject({ scaleType: "deployment", scaleTargetRef: { deploymentName: "a" }, triggers: [] }),
    );
    expect(value.kind).toBe("ScaledObject");
    expect(value.spec).not.toHaveProperty("scaleType");
    expect(notes).toContain("spec.scaleType deployment is implied by kind ScaledObject and was removed");
  });

  it("KEDA 1.x metadata that named an environment variable becomes <key>FromEnv", () => {
    const { value, notes } = convertOne(
      legacyScaledObject({
        scaleTargetRef: { deploymentName: "a" },
        triggers: [
          {
            type: "redis",
            metadata: { address: "REDIS_ADDRESS", password: "REDIS_PASSWORD", listName: "q" },
          },
          { type: "azure-queue", metadata: { connection: "AZ_CONN", queueName: "q" } },
          { type: "prometheus", metadata: { serverAddress: "http://p:9090", query: "up", threshold: "1" } },
        ],
      }),
    );
    const triggers = value.spec.triggers as { metadata: Record<string, string> }[];
    expect(triggers[0]?.metadata).toEqual({
      addressFromEnv: "REDIS_ADDRESS",
      passwordFromEnv: "REDIS_PASSWORD",
      listName: "q",
    });
    expect(triggers[1]?.metadata).toEqual({ connectionFromEnv: "AZ_CONN", queueName: "q" });
    // Other scalers' values were literal in 1.x too: unchanged.
    expect(triggers[2]?.metadata).toEqual({ serverAddress: "http://p:9090", query: "up", threshold: "1" });
    expect(notes).toContain(
      "spec.triggers[0].metadata.address named an environment variable in KEDA 1.x → spec.triggers[0].metadata.addressFromEnv",
    );
  });

  it("kafka brokerList becomes bootstrapServers; azure-servicebus queueLength becomes messageCount", () => {
    const { value, notes } = convertOne(
      legacyScaledObject({
        scaleTargetRef: { deploymentName: "a" },
        triggers: [
          {
            type: "kafka",
            metadata: { brokerList: "k1:9092,k2:9092", consumerGroup: "g", topic: "t", lagThreshold: "5" },
          },
          { type: "azure-servicebus", metadata: { queueName: "q", queueLength: "10", connection: "SB" } },
        ],
      }),
    );
    const triggers = value.spec.triggers as { metadata: Record<string, string> }[];
    expect(triggers[0]?.metadata).toEqual({
      bootstrapServers: "k1:9092,k2:9092",
      consumerGroup: "g",
      topic: "t",
      lagThreshold: "5",
    });
    expect(triggers[1]?.metadata).toEqual({ queueName: "q", messageCount: "10", connectionFromEnv: "SB" });
    expect(notes).toContain(
      "spec.triggers[0].metadata.brokerList → spec.triggers[0].metadata.bootstrapServers",
    );
  });

  it("rabbitmq includeUnacked true → protocol http with host from apiHost; false → protocol amqp", () => {
    const [viaApi, viaAmqp] = convert([
      legacyScaledObject({
        scaleTargetRef: { deploymentName: "a" },
        triggers: [
          {
            type: "rabbitmq",
            metadata: {
              queueName: "q",
              host: "AMQP_URL",
              apiHost: "API_URL",
              includeUnacked: "true",
              queueLength: "5",
            },
          },
        ],
      }),
      legacyScaledObject({
        scaleTargetRef: { deploymentName: "b" },
        triggers: [
          {
            type: "rabbitmq",
            metadata: { queueName: "q", host: "AMQP_URL", apiHost: "API_URL", includeUnacked: "false" },
          },
        ],
      }),
    ]);
    const metadataOf = (result: { value: unknown } | undefined) =>
      (
        (result?.value as { spec: { triggers: { metadata: Record<string, string> }[] } }).spec
          .triggers[0] ?? { metadata: {} }
      ).metadata;
    expect(metadataOf(viaApi)).toEqual({
      queueName: "q",
      queueLength: "5",
      protocol: "http",
      hostFromEnv: "API_URL",
    });
    expect(metadataOf(viaAmqp)).toEqual({ queueName: "q", protocol: "amqp", hostFromEnv: "AMQP_URL" });
    expect(viaApi?.notes).toContain(
      'spec.triggers[0].metadata: includeUnacked "true" → protocol "http" with host from apiHost (counts ready + unacked)',
    );
  });

  it("renames a TriggerAuthentication's apiHost to host when a rabbitmq trigger using it moved to http, whatever the document order", () => {
    const auth = {
      apiVersion: LEGACY,
      kind: "TriggerAuthentication",
      metadata: { name: "rabbit-auth" },
      spec: {
        secretTargetRef: [
          { parameter: "host", name: "rabbit", key: "amqp" },
          { parameter: "apiHost", name: "rabbit", key: "api" },
        ],
      },
    };
    const scaled = legacyScaledObject({
      scaleTargetRef: { deploymentName: "a" },
      triggers: [
        {
          type: "rabbitmq",
          metadata: { queueName: "q", includeUnacked: "true" },
          authenticationRef: { name: "rabbit-auth" },
        },
      ],
    });
    const [convertedAuth, convertedObject] = convert([auth, scaled]);
    expect(convertedAuth?.value).toEqual({
      apiVersion: "keda.sh/v1alpha1",
      kind: "TriggerAuthentication",
      metadata: { name: "rabbit-auth" },
      spec: { secretTargetRef: [{ parameter: "host", name: "rabbit", key: "api" }] },
    });
    expect(convertedAuth?.notes).toContain(
      "spec.secretTargetRef: parameter apiHost → host (a rabbitmq trigger used includeUnacked)",
    );
    expect(
      (convertedObject?.value as { spec: { triggers: { authenticationRef: unknown }[] } }).spec.triggers[0]
        ?.authenticationRef,
    ).toEqual({
      name: "rabbit-auth",
    });
    // A TriggerAuthentication no includeUnacked trigger uses keeps its parameters.
    const [untouched] = convert([auth]);
    expect((untouched?.value as { spec: unknown }).spec).toEqual(auth.spec);
  });

  it("says that KEDA 2.x ignores a kafka TriggerAuthentication's authMode", () => {
    const auth = {
      apiVersion: LEGACY,
      kind: "TriggerAuthentication",
      metadata: { name: "kafka-auth" },
      spec: { secretTargetRef: [{ parameter: "authMode", name: "k", key: "authMode" }] },
    };
    const scaled = legacyScaledObject({
      scaleTargetRef: { deploymentName: "a" },
      triggers: [
        {
          type: "kafka",
          metadata: { bootstrapServers: "k:9092", consumerGroup: "g", topic: "t" },
          authenticationRef: { name: "kafka-auth" },
        },
      ],
    });
    const [, convertedAuth] = convert([scaled, auth]);
    expect(
      convertedAuth?.notes.some((note) =>
        note.startsWith(
          "spec.secretTargetRef: parameter authMode (kafka, KEDA 1.x) is ignored by KEDA 2.x (Tidal still reads it)",
        ),
      ),
    ).toBe(true);
  });

  it("returns documents that are not KEDA 1.x unchanged, with no notes", () => {
    const current = {
      apiVersion: "keda.sh/v1alpha1",
      kind: "ScaledObject",
      metadata: { name: "x" },
      spec: {},
    };
    const others = [current, { apiVersion: "v1", kind: "Secret" }, "text", null, [1]];
    const converted = convert(others);
    expect(converted.map((result) => result.value)).toEqual(others);
    expect(converted.every((result) => result.notes.length === 0)).toBe(true);
    expect(converted[0]?.value).toBe(current);
    expect(others.map(isLegacyDocument)).toEqual([false, false, false, false, false]);
    expect(isLegacyDocument({ apiVersion: LEGACY })).toBe(true);
  });
});
