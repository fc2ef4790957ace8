import { describe, expect, it } from "vitest";
import type { SourceDocument } from "../api/load.ts";
import { readResources } from "../api/resources.ts";
import { legacyTriggerRules } from "../scalers/registry.ts";
import { validateManifests, validateSet } from "./validate.ts";

const API = "keda.sh/v1alpha1";
const redis = (name: string, extra: Record<string, string> = {}) => ({
  type: "redis",
  name,
  metadata: { address: "r:6379", listName: name || "q", ...extra },
});

function scaledObject(name: string, spec: Record<string, unknown>, metadata: Record<string, unknown> = {}) {
  return {
    apiVersion: API,
    kind: "ScaledObject",
    metadata: { name, ...metadata },
    spec: { scaleTargetRef: { name }, triggers: [redis("")], ...spec },
  };
}

function scaledJob(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: API,
    kind: "ScaledJob",
    metadata: { name },
    spec: {
      jobTargetRef: { template: { spec: { containers: [{ name: "c", image: "busybox" }] } } },
      triggers: [redis("")],
      ...spec,
    },
  };
}

/** Validates in-memory documents; returns `KIND/NAME PATH: [warning: ]message` per problem. */
async function check(values: unknown[], options: { strict?: boolean } = {}): Promise<string[]> {
  const documents: SourceDocument[] = values.map((value, index) => ({
    file: "m.yaml",
    doc: index + 1,
    value,
  }));
  const { set, problems: structural } = readResources(documents, legacyTriggerRules);
  expect(structural).toEqual([]);
  const problems = await validateSet(set, options);
  return problems.map(
    (problem) =>
      `${problem.kind}/${problem.name} ${problem.path}: ${problem.severity === "warning" ? "warning: " : ""}${problem.message}`,
  );
}

describe("validateSet: replica bounds", () => {
  it("minReplicaCount must not exceed maxReplicaCount", async () => {
    expect(await check([scaledObject("a", { minReplicaCount: 5, maxReplicaCount: 2 })])).toEqual([
      "ScaledObject/a spec.minReplicaCount: minReplicaCount (5) must be less than or equal to maxReplicaCount (2)",
    ]);
    expect(await check([scaledObject("a", { minReplicaCount: 2, maxReplicaCount: 2 })])).toEqual([]);
  });

  it("idleReplicaCount must be below minReplicaCount; only 0 works in KEDA (a warning)", async () => {
    expect(await check([scaledObject("a", { idleReplicaCount: 1, minReplicaCount: 1 })])).toEqual([
      "ScaledObject/a spec.idleReplicaCount: idleReplicaCount (1) must be less than minReplicaCount (1)",
    ]);
    expect(await check([scaledObject("a", { idleReplicaCount: 0 })])).toEqual([
      "ScaledObject/a spec.idleReplicaCount: idleReplicaCount (0) must be less than minReplicaCount (0)",
    ]);
    expect(await check([scaledObject("a", { idleReplicaCount: 1, minReplicaCount: 2 })])).toEqual([
      "ScaledObject/a spec.idleReplicaCount: warning: only 0 is supported for idleReplicaCount, as in KEDA",
    ]);
    expect(await check([scaledObject("a", { idleReplicaCount: 0, minReplicaCount: 1 })])).toEqual([]);
  });

  it("applies to ScaledJobs too", async () => {
    expect(await check([scaledJob("j", { minReplicaCount: 3, maxReplicaCount: 1 })])).toEqual([
      "ScaledJob/j spec.minReplicaCount: minReplicaCount (3) must be less than or equal to maxReplicaCount (1)",
    ]);
  });
});

describe("validateSet: triggers", () => {
  it("trigger names must be unique", async () => {
    expect(
      await check([scaledObject("a", { triggers: [redis("jobs"), redis("other"), redis("jobs")] })]),
    ).toEqual([
      'ScaledObject/a spec.triggers[2].name: duplicate trigger name "jobs" (also spec.triggers[0].name); names must be unique',
    ]);
  });

  it("an unknown trigger type is an error saying it is not supported", async () => {
    expect(
      await check([scaledObject("a", { triggers: [{ type: "acme-queue", metadata: { queueName: "q" } }] })]),
    ).toEqual(['ScaledObject/a spec.triggers[0].type: trigger type "acme-queue" is not supported']);
  });

  it("unknown metadata keys are warnings with a did-you-mean, errors with strict", async () => {
    const object = scaledObject("a", { triggers: [redis("", { listLenght: "5" })] });
    const message =
      'spec.triggers[0].metadata.listLenght: unknown parameter "listLenght" for trigger type "redis"; did you mean "listLength"?';
    expect(await check([object])).toEqual([
      `ScaledObject/a ${message.replace(": unknown", ": warning: unknown")}`,
    ]);
    expect(await check([object], { strict: true })).toEqual([`ScaledObject/a ${message}`]);
  });

  it("parameter errors name the metadata key", async () => {
    expect(await check([scaledObject("a", { triggers: [redis("", { listLength: "five" })] })])).toEqual([
      'ScaledObject/a spec.triggers[0].metadata.listLength: parameter "listLength" value "five" must be an integer',
    ]);
  });

  it("a required parameter that no source can supply is reported, even with the environment unknown", async () => {
    expect(
      await check([scaledObject("a", { triggers: [{ type: "kafka", metadata: { topic: "t" } }] })]),
    ).toEqual([
      'ScaledObject/a spec.triggers[0].metadata.bootstrapServers: missing required parameter "bootstrapServers" (looked in trigger metadata or the target\'s environment (…FromEnv))',
      'ScaledObject/a spec.triggers[0].metadata.consumerGroup: missing required parameter "consumerGroup" (looked in trigger metadata or the target\'s environment (…FromEnv))',
    ]);
    // …FromEnv entries are trusted: the target's environment is not in the files.
    expect(
      await check([
        scaledObject("a", {
          triggers: [
            {
              type: "kafka",
              metadata: { topic: "t", bootstrapServersFromEnv: "B", consumerGroupFromEnv: "G" },
            },
          ],
        }),
      ]),
    ).toEqual([]);
  });

  it("runs a scaler's cross-parameter checks even when optional parameters could come from the environment", async () => {
    const trigger = {
      type: "rabbitmq",
      metadata: { queueName: "q", host: "amqp://h:5672/", protocol: "amqp", mode: "MessageRate", value: "5" },
    };
    expect(await check([scaledObject("a", { triggers: [trigger] })])).toEqual([
      "ScaledObject/a spec.triggers[0].metadata.mode: mode MessageRate needs the http protocol (the management API)",
    ]);
  });

  it("metricType Utilization is only for cpu and memory; ScaledJobs take no metricType", async () => {
    const utilization = await check([
      scaledObject("a", { triggers: [{ ...redis(""), metricType: "Utilization" }] }),
    ]);
    expect(utilization).toContain(
      "ScaledObject/a spec.triggers[0].metricType: metricType Utilization is only valid for cpu and memory triggers",
    );
    expect(await check([scaledJob("j", { triggers: [{ ...redis(""), metricType: "Value" }] })])).toEqual([
      "ScaledJob/j spec.triggers[0].metricType: metricType is not supported for ScaledJob triggers; remove it",
    ]);
  });

  it("useCachedMetrics is refused for cron and ignored (warning) for ScaledJobs", async () => {
    const cron = {
      type: "cron",
      useCachedMetrics: true,
      metadata: { timezone: "UTC", start: "0 6 * * *", end: "0 7 * * *", desiredReplicas: "2" },
    };
    expect(await check([scaledObject("a", { triggers: [cron] })])).toEqual([
      "ScaledObject/a spec.triggers[0].useCachedMetrics: useCachedMetrics is not supported for cron triggers",
    ]);
    expect(await check([scaledJob("j", { triggers: [{ ...redis(""), useCachedMetrics: true }] })])).toEqual([
      "ScaledJob/j spec.triggers[0].useCachedMetrics: warning: useCachedMetrics is ignored for ScaledJob",
    ]);
  });
});

describe("validateSet: scalingModifiers", () => {
  const modifiers = (scalingModifiers: Record<string, unknown>, triggers = [redis("a"), redis("b")]) =>
    scaledObject("so", { advanced: { scalingModifiers }, triggers });

  it("accepts a formula over named triggers", async () => {
    expect(await check([modifiers({ formula: "a + b", target: "5" })])).toEqual([]);
  });

  it("a formula naming an unknown trigger is an error listing the named triggers", async () => {
    expect(await check([modifiers({ formula: "a + nope", target: "5" })])).toEqual([
      'ScaledObject/so spec.advanced.scalingModifiers.formula: formula names trigger "nope" which is not a named trigger of this ScaledObject; named triggers: a, b',
    ]);
  });

  it("a formula with a syntax error says where", async () => {
    const [problem] = await check([modifiers({ formula: "a + (b", target: "5" })]);
    expect(problem).toMatch(/^ScaledObject\/so spec\.advanced\.scalingModifiers\.formula: .*column \d+/);
  });

  it("target is required, must be a number greater than 0, and whole when fallback is set", async () => {
    expect(await check([modifiers({ formula: "a" })])).toEqual([
      "ScaledObject/so spec.advanced.scalingModifiers.target: target is required with a formula",
    ]);
    expect(await check([modifiers({ formula: "a", target: "0" })])).toEqual([
      'ScaledObject/so spec.advanced.scalingModifiers.target: target must be a number greater than 0, got "0"',
    ]);
    expect(await check([modifiers({ formula: "a", target: "x" })])).toEqual([
      'ScaledObject/so spec.advanced.scalingModifiers.target: target must be a number greater than 0, got "x"',
    ]);
    const withFallback = { ...modifiers({ formula: "a", target: "2.5" }) };
    (withFallback.spec as Record<string, unknown>).fallback = { failureThreshold: 3, replicas: 2 };
    expect(await check([withFallback])).toEqual([
      "ScaledObject/so spec.advanced.scalingModifiers.target: with fallback configured, target must be a whole number (KEDA's fallback needs an integer target)",
    ]);
  });

  it("scalingModifiers without a formula, and fallback behavior scalingModifiers without one, are errors", async () => {
    expect(await check([modifiers({ target: "5" })])).toEqual([
      "ScaledObject/so spec.advanced.scalingModifiers.formula: formula is required when scalingModifiers is set",
    ]);
    const object = scaledObject("so", {
      fallback: { failureThreshold: 3, replicas: 2, behavior: "scalingModifiers" },
    });
    expect(await check([object])).toEqual([
      "ScaledObject/so spec.fallback.behavior: behavior scalingModifiers needs spec.advanced.scalingModifiers.formula",
    ]);
  });
});

describe("validateSet: Tidal's mode annotation", () => {
  it("an unknown autoscaling.tidal.dev/mode is a warning saying the HPA is used; direct and hpa pass", async () => {
    const withMode = (mode: string) =>
      scaledObject("a", {}, { annotations: { "autoscaling.tidal.dev/mode": mode } });
    expect(await check([withMode("sideways")])).toEqual([
      'ScaledObject/a metadata.annotations["autoscaling.tidal.dev/mode"]: warning: must be "hpa" or "direct", got "sideways"; the HPA is used',
    ]);
    expect(await check([withMode("direct")])).toEqual([]);
    expect(await check([withMode("hpa")])).toEqual([]);
  });
});

describe("validateSet: objects together", () => {
  it("an object defined twice (same kind, namespace and name) is an error on the second", async () => {
    const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "s" }, stringData: { a: "b" } };
    expect(
      await check([scaledObject("a", {}), secret, scaledObject("a", {}), secret, scaledJob("a", {})]),
    ).toEqual([
      'ScaledObject/a metadata.name: ScaledObject "a" is already defined at m.yaml (document 1); give each object its own name',
      'Secret/s metadata.name: Secret "s" is already defined at m.yaml (document 2); give each object its own name',
    ]);
  });

  it("two ScaledObjects may not scale the same target or own the same HPA", async () => {
    const first = scaledObject("a", {});
    const second = scaledObject("b", { scaleTargetRef: { name: "a" } });
    const third = scaledObject("c", { advanced: { horizontalPodAutoscalerConfig: { name: "keda-hpa-a" } } });
    expect(await check([first, second, third])).toEqual([
      'ScaledObject/b spec.scaleTargetRef: ScaledObject "a" already scales Deployment "a"',
      'ScaledObject/c metadata.name: ScaledObject "a" already owns HPA "keda-hpa-a"',
    ]);
    // Other namespaces are other targets.
    expect(
      await check([first, scaledObject("b", { scaleTargetRef: { name: "a" } }, { namespace: "other" })]),
    ).toEqual([]);
  });

  it("the HPA name must fit in 63 characters", async () => {
    const name = "x".repeat(60);
    expect(await check([scaledObject(name, {})])).toEqual([
      `ScaledObject/${name} spec.advanced.horizontalPodAutoscalerConfig.name: the HPA name "keda-hpa-${name}" is longer than 63 characters`,
    ]);
  });

  it("an invalid paused-replicas annotation is an error", async () => {
    const problems = await check([
      scaledObject("a", {}, { annotations: { "autoscaling.keda.sh/paused-replicas": "many" } }),
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^ScaledObject\/a metadata\.annotations: .*many/);
  });
});

describe("validateSet: authentication", () => {
  const auth = (name: string, spec: Record<string, unknown>, kind = "TriggerAuthentication") => ({
    apiVersion: API,
    kind,
    metadata: { name },
    spec,
  });

  it("a reference to an authentication not in the files is a warning: its parameters were not checked", async () => {
    const object = scaledObject("a", {
      triggers: [
        { type: "rabbitmq", metadata: { queueName: "q" }, authenticationRef: { name: "elsewhere" } },
      ],
    });
    expect(await check([object])).toEqual([
      'ScaledObject/a spec.triggers[0].authenticationRef.name: warning: TriggerAuthentication "elsewhere" is not in the given files; its parameters were not checked',
    ]);
  });

  it("resolves parameters from a TriggerAuthentication and Secret in the files", async () => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      stringData: { host: "amqp://u:p@h:5672/" },
    };
    const object = scaledObject("a", {
      triggers: [{ type: "rabbitmq", metadata: { queueName: "q" }, authenticationRef: { name: "ta" } }],
    });
    expect(
      await check([
        secret,
        auth("ta", { secretTargetRef: [{ parameter: "host", name: "s", key: "host" }] }),
        object,
      ]),
    ).toEqual([]);
  });

  it("a key missing from a Secret in the files is an error, a parameter the scaler never reads a warning", async () => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      stringData: { host: "amqp://u:p@h:5672/", password: "pw" },
    };
    const object = scaledObject("a", {
      triggers: [{ type: "rabbitmq", metadata: { queueName: "q" }, authenticationRef: { name: "ta" } }],
    });
    const ta = auth("ta", {
      secretTargetRef: [
        { parameter: "host", name: "s", key: "hots" },
        { parameter: "hots", name: "s", key: "host" },
      ],
    });
    expect(await check([secret, ta, object])).toEqual([
      'ScaledObject/a spec.triggers[0].authenticationRef: TriggerAuthentication "ta": Secret "s" has no key "hots" (parameter host)',
      'ScaledObject/a spec.triggers[0].authenticationRef: warning: TriggerAuthentication "ta" sets parameter "hots", which rabbitmq does not read from an authentication; did you mean "host"?',
    ]);
  });

  it("an awsSecretManager store is never contacted: its parameters count as unknown, and are checked by name", async () => {
    const sqs = {
      type: "aws-sqs-queue",
      metadata: { queueURL: "https://sqs.eu-west-1.amazonaws.com/1/q", awsRegion: "eu-west-1" },
      authenticationRef: { name: "ta" },
    };
    const store = {
      region: "eu-west-1",
      podIdentity: { provider: "aws" },
      secrets: [
        { parameter: "awsAccessKeyID", name: "aws", secretKey: "id" },
        { parameter: "awsSecretAccesKey", name: "aws", secretKey: "key" },
      ],
    };
    expect(
      await check([auth("ta", { awsSecretManager: store }), scaledObject("a", { triggers: [sqs] })]),
    ).toEqual([
      'ScaledObject/a spec.triggers[0].authenticationRef: warning: TriggerAuthentication "ta" sets parameter "awsSecretAccesKey", which aws-sqs-queue does not read from an authentication; did you mean "awsSecretAccessKey"?',
    ]);
  });

  it("secret stores Tidal does not read, filePath in a namespaced TriggerAuthentication and pod identities are errors", async () => {
    expect(
      await check([
        auth("o", { oauth2: { type: "clientCredentials" } }),
        auth("f", { filePath: "/etc/creds" }),
        auth("n", { podIdentity: { provider: "none" } }),
        auth("a", { podIdentity: { provider: "aws" } }),
        auth("e", { podIdentity: { provider: "aws-eks" } }),
        auth("w", {
          podIdentity: { provider: "aws", identityOwner: "workload", roleArn: "arn:aws:iam::1:role/r" },
        }),
        auth("x", { podIdentity: { provider: "aws", externalID: "id" } }),
        auth("az", { podIdentity: { provider: "azure-workload", identityId: "id" } }),
        auth("c", { filePath: "/etc/creds" }, "ClusterTriggerAuthentication"),
      ]),
    ).toEqual([
      "TriggerAuthentication/o spec.oauth2: oauth2 is not supported by Tidal; use secretTargetRef, configMapTargetRef or env",
      "TriggerAuthentication/f spec.filePath: filePath is only allowed in a ClusterTriggerAuthentication",
      `TriggerAuthentication/e spec.podIdentity.provider: pod identity provider "aws-eks" is deprecated in KEDA and not supported by Tidal (it reads the role from the scale target's ServiceAccount): use provider aws with roleArn`,
      "TriggerAuthentication/w spec.podIdentity.roleArn: roleArn of PodIdentity can't be set if KEDA isn't identityOwner: remove roleArn or identityOwner",
      "TriggerAuthentication/x spec.podIdentity.externalID: externalID of PodIdentity requires roleArn to be set",
    ]);
  });

  it("checks an azure-workload identity as KEDA's webhook does", async () => {
    expect(
      await check([
        auth("empty", { podIdentity: { provider: "azure-workload", identityId: "" } }),
        auth("host", {
          podIdentity: { provider: "azure-workload", identityAuthorityHost: "https://login.example" },
        }),
        auth("tenant", { podIdentity: { provider: "azure-workload", identityTenantId: "" } }),
        auth("ok", {
          podIdentity: {
            provider: "azure-workload",
            identityId: "id",
            identityTenantId: "t",
            identityAuthorityHost: "https://login.example",
          },
        }),
      ]),
    ).toEqual([
      "TriggerAuthentication/empty spec.podIdentity.identityId: identityId must not be empty: remove it to use AZURE_CLIENT_ID, or give the client id",
      "TriggerAuthentication/host spec.podIdentity.identityTenantId: identityTenantId is required when identityAuthorityHost is set",
      "TriggerAuthentication/tenant spec.podIdentity.identityTenantId: identityTenantId must not be empty: remove it to use AZURE_TENANT_ID, or give the tenant id",
    ]);
  });

  it("checks an azureKeyVault's credentials as KEDA does, without contacting the vault", async () => {
    const secrets = [{ parameter: "connection", name: "sb" }];
    const vaultUri = "https://vault.invalid";
    expect(
      await check([
        auth("none", { azureKeyVault: { vaultUri, secrets } }),
        auth("gcp", { azureKeyVault: { vaultUri, secrets, podIdentity: { provider: "gcp" } } }),
        auth("wi", {
          azureKeyVault: { vaultUri, secrets, podIdentity: { provider: "azure-workload", identityId: "" } },
        }),
        auth("app", {
          azureKeyVault: {
            vaultUri,
            secrets,
            credentials: {
              clientId: "c",
              tenantId: "t",
              clientSecret: { valueFrom: { secretKeyRef: { name: "kv", key: "secret" } } },
            },
          },
        }),
      ]),
    ).toEqual([
      "TriggerAuthentication/none spec.azureKeyVault.credentials: clientID, tenantID and clientSecret are expected when not using a pod identity provider",
      "TriggerAuthentication/gcp spec.azureKeyVault.podIdentity.provider: key vault does not support pod identity provider - gcp",
      "TriggerAuthentication/wi spec.azureKeyVault.podIdentity.identityId: identityId must not be empty: remove it to use AZURE_CLIENT_ID, or give the client id",
    ]);
  });

  it("accepts podIdentity gcp and gcpSecretManager, reads neither offline, and reports store identities it cannot use", async () => {
    const store = {
      secrets: [{ parameter: "GoogleApplicationCredentials", id: "scaler-key" }],
      credentials: { clientSecret: { valueFrom: { secretKeyRef: { name: "s", key: "key.json" } } } },
    };
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      stringData: { "key.json": "{}" },
    };
    const object = scaledObject("a", {
      triggers: [
        { type: "gcp-pubsub", metadata: { subscriptionName: "q" }, authenticationRef: { name: "workload" } },
        { type: "gcp-pubsub", metadata: { subscriptionName: "q" }, authenticationRef: { name: "store" } },
        { type: "gcp-pubsub", metadata: { subscriptionName: "q" }, authenticationRef: { name: "none" } },
      ],
    });
    expect(
      await check([
        secret,
        object,
        auth("workload", { podIdentity: { provider: "gcp" } }),
        auth("store", { gcpSecretManager: store }),
        auth("none", { secretTargetRef: [{ parameter: "host", name: "s", key: "key.json" }] }),
        auth("aws-store", { gcpSecretManager: { ...store, podIdentity: { provider: "aws" } } }),
      ]),
    ).toEqual([
      'ScaledObject/a spec.triggers[2].authenticationRef: warning: TriggerAuthentication "none" sets parameter "host", which gcp-pubsub does not read from an authentication',
      "ScaledObject/a spec.triggers[2].metadata.GoogleApplicationCredentials: no Google credentials: give a service-account key as the authentication parameter GoogleApplicationCredentials, through credentialsFromEnv or credentialsFromEnvFile, or use a TriggerAuthentication with podIdentity provider gcp",
      'TriggerAuthentication/aws-store spec.gcpSecretManager.podIdentity.provider: gcpSecretManager takes pod identity provider gcp (or none with credentials), not "aws"',
    ]);
  });

  it("never quotes a Secret's value, even when a scaler's check would", async () => {
    const canary = "canary-Xq7-secret-validate";
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      stringData: { address: canary, host: `amqp://u:${canary}@h:notaport/` },
    };
    const ta = auth("ta", {
      secretTargetRef: [
        { parameter: "address", name: "s", key: "address" },
        { parameter: "host", name: "s", key: "host" },
      ],
    });
    const object = scaledObject("a", {
      triggers: [
        { type: "redis", metadata: { listName: "q" }, authenticationRef: { name: "ta" } },
        { type: "rabbitmq", metadata: { queueName: "q" }, authenticationRef: { name: "ta" } },
      ],
    });
    const problems = await check([secret, ta, object]);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join("\n")).not.toContain(canary);
  });

  it("token, the alias of bearerToken, is read from an authentication: no 'not read' warning", async () => {
    const ta = auth("ta", { secretTargetRef: [{ parameter: "token", name: "s", key: "token" }] });
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      stringData: { token: "t-123" },
    };
    const object = scaledObject("a", {
      triggers: [
        {
          type: "prometheus",
          metadata: { serverAddress: "http://p:9090", query: "up", threshold: "1", authModes: "bearer" },
          authenticationRef: { name: "ta" },
        },
        {
          type: "metrics-api",
          metadata: { url: "http://m/x", valueLocation: "v", targetValue: "1", authMode: "bearer" },
          authenticationRef: { name: "ta" },
        },
      ],
    });
    expect(await check([secret, ta, object])).toEqual([]);
  });

  it("never quotes a piece of a Secret's value either (the network of a DSN, the port of an address)", async () => {
    const secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s" },
      // A DSN written user:pass/db (no @) and an address with the password in a query.
      stringData: { dsn: "app:Pw9canaryQ/db", address: "redis:6379?password=Pw9canaryR", port: "x9canaryP" },
    };
    const ta = auth("ta", {
      secretTargetRef: [
        { parameter: "connectionString", name: "s", key: "dsn" },
        { parameter: "address", name: "s", key: "address" },
        { parameter: "port", name: "s", key: "port" },
      ],
    });
    const object = scaledObject("a", {
      triggers: [
        {
          type: "mysql",
          metadata: { query: "SELECT 1", queryValue: "1" },
          authenticationRef: { name: "ta" },
        },
        { type: "redis", metadata: { listName: "q" }, authenticationRef: { name: "ta" } },
        {
          type: "postgresql",
          metadata: {
            query: "SELECT 1",
            targetQueryValue: "1",
            host: "h",
            userName: "u",
            dbName: "d",
            sslmode: "disable",
          },
          authenticationRef: { name: "ta" },
        },
      ],
    });
    const problems = (await check([secret, ta, object])).filter((problem) => !problem.includes("warning:"));
    expect(problems).toEqual([
      'ScaledObject/a spec.triggers[0].metadata.connectionString: connectionString is not a valid DSN (user:password@tcp(host:port)/dbname): network "***:***" is not supported; use tcp or unix',
      'ScaledObject/a spec.triggers[1].metadata.address: port "***?password=***" must be a number from 1 to 65535',
      "ScaledObject/a spec.triggers[2].metadata.port: port must be a number from 1 to 65535",
    ]);
    expect(problems.join("\n")).not.toMatch(/canary|app|6379/);
  });
});

describe("validateManifests", () => {
  it("reads files and folders, sorts problems by file and document, and keeps YAML errors", async () => {
    const { set, problems } = await validateManifests(["test/fixtures/manifests/seeds"]);
    expect(set.scaledObjects.map((loaded) => loaded.object.metadata.name).sort()).toEqual([
      "kafka-scaledobject",
      "keda-service-bus-function",
      "mysql-scaledobject",
      "rabbitmq-consumer",
    ]);
    const files = problems.map((problem) => problem.file);
    expect(files).toEqual([...files].sort());
  });
});

describe("validateSet: the forecast annotation", () => {
  const annotated = (value: string) =>
    scaledObject("a", {}, { annotations: { "autoscaling.tidal.dev/forecast": value } });

  it("accepts true and key=value parameters, and names each bad parameter with its forms", async () => {
    expect(await check([annotated("true")])).toEqual([]);
    expect(await check([annotated("horizon=5m, season=weekly")])).toEqual([]);
    const problems = await check([annotated("horizon=soon, sesaon=daily")]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('ScaledObject/a metadata.annotations["autoscaling.tidal.dev/forecast"]: ');
    expect(problems.join("\n")).toContain('unknown parameter "sesaon"');
    expect(problems.join("\n")).toContain(
      'horizon "soon" is not a duration; write a duration such as 30m, 2h, 1d or 1w2d',
    );
  });
});

describe("validateSet: predictkube", () => {
  const predictKube = (metadata: Record<string, string>) =>
    scaledObject("p", {
      triggers: [
        {
          type: "predictkube",
          metadata: {
            prometheusAddress: "http://prometheus:9090",
            query: "sum(rate(http_requests_total[2m]))",
            predictHorizon: "2h",
            historyTimeWindow: "7d",
            queryStep: "2m",
            threshold: "100",
            ...metadata,
          },
        },
      ],
    });

  it("names a malformed predictHorizon or historyTimeWindow and the forms it accepts", async () => {
    expect(await check([predictKube({})])).toEqual([]);
    const problems = (
      await check([predictKube({ predictHorizon: "2 hours", historyTimeWindow: "a week" })])
    ).join("\n");
    expect(problems).toContain('predictHorizon "2 hours" is not a duration; write a duration such as 30m');
    expect(problems).toContain('historyTimeWindow "a week" is not a duration; write a duration such as 30m');
  });
});

describe("readResources: names as Kubernetes checks them", () => {
  function read(metadata: Record<string, unknown>) {
    const value = { ...scaledObject("x", {}), metadata };
    return readResources([{ file: "m.yaml", doc: 1, value }], legacyTriggerRules).problems.map(
      (problem) => `${problem.kind}/${problem.name} ${problem.path}: ${problem.message}`,
    );
  }

  it("refuses names and namespaces Kubernetes refuses (DNS-1123)", () => {
    expect(read({ name: "Bad_Name" })).toEqual([
      'ScaledObject/Bad_Name metadata.name: name "Bad_Name" is not valid in Kubernetes: use at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (DNS-1123 subdomain)',
    ]);
    expect(read({ name: "a", namespace: "default_a" })).toEqual([
      'ScaledObject/a metadata.namespace: namespace "default_a" is not valid in Kubernetes: use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit (DNS-1123 label)',
    ]);
    for (const name of ["-a", "a-", "a..b", "a/b", "é"]) expect(read({ name })).toHaveLength(1);
    for (const name of ["a", "a-b", "a.b", "0a9"]) expect(read({ name })).toEqual([]);
  });

  it("a name that is not a string is never printed as [object Object]", () => {
    const problems = read({ name: { a: 1 } });
    expect(problems).toEqual(["ScaledObject/ metadata.name: expected a string, got an object"]);
  });
});
