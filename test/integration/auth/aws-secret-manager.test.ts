/**
 * The awsSecretManager store of a TriggerAuthentication against moto's Secrets Manager, through
 * resolveAuthentication as the runtimes call it: the authentication and its credentials Secret
 * come from an in-memory AuthSources; Tidal's environment points the SDK at moto.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type {
  TriggerAuthentication,
  TriggerAuthenticationSpec,
} from "../../../src/api/schema/trigger-authentication.ts";
import { resolveAuthentication } from "../../../src/auth/resolve.ts";
import type { AuthSources } from "../../../src/auth/sources.ts";
import { messageOf } from "../../../src/util/errors.ts";
import { motoClientConfig, REGION, testCredentials } from "../../support/aws.ts";
import { closedPort } from "../../support/closed-port.ts";
import { uniqueName, useCleanup, type Cleanup } from "../../support/isolation.ts";
import { services, useServices } from "../../support/services.ts";

beforeAll(() => useServices("moto"));

let secretsManager: SecretsManagerClient;
beforeAll(() => {
  secretsManager = new SecretsManagerClient(motoClientConfig());
});
afterAll(() => secretsManager.destroy());

const credentials = testCredentials();
/** Secret values stored in moto: none may appear in an error. */
const CANARY = `canary-Xq7-stored-${uniqueName("value")}`;

async function secret(cleanup: Cleanup, value: string): Promise<{ name: string; versionId: string }> {
  const name = uniqueName("sm");
  const created = await secretsManager.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  cleanup.add(() =>
    secretsManager.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true })),
  );
  return { name, versionId: created.VersionId! };
}

function sources(spec: TriggerAuthenticationSpec): AuthSources {
  const authentication: TriggerAuthentication = {
    apiVersion: "keda.sh/v1alpha1",
    kind: "TriggerAuthentication",
    metadata: { name: "aws", namespace: "default" },
    spec,
  };
  const secrets: Record<string, Record<string, string>> = {
    "aws-keys": { id: credentials.awsAccessKeyID, secret: credentials.awsSecretAccessKey },
    plain: { host: "from-a-secret" },
  };
  return {
    triggerAuthentication: async (_namespace, name) => (name === "aws" ? authentication : undefined),
    clusterTriggerAuthentication: async () => undefined,
    secret: async (_namespace, name) => secrets[name],
    serviceAccountToken: async () => {
      throw new Error("no cluster: service account tokens need the TokenRequest API");
    },
    configMap: async () => undefined,
  };
}

const keys = {
  accessKey: { valueFrom: { secretKeyRef: { name: "aws-keys", key: "id" } } },
  accessSecretKey: { valueFrom: { secretKeyRef: { name: "aws-keys", key: "secret" } } },
};

async function resolve(spec: TriggerAuthenticationSpec, processEnvironment: Record<string, string> = {}) {
  return resolveAuthentication({ name: "aws", kind: "TriggerAuthentication" }, sources(spec), {
    namespace: "default",
    clusterObjectNamespace: "keda",
    containerEnv: {},
    processEnvironment: { AWS_ENDPOINT_URL: services.motoUrl, ...processEnvironment },
  });
}

async function failure(spec: TriggerAuthenticationSpec, processEnvironment: Record<string, string> = {}) {
  const error = await resolve(spec, processEnvironment).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "resolution fails").toBeInstanceOf(Error);
  const message = messageOf(error);
  for (const value of [CANARY, credentials.awsSecretAccessKey, credentials.awsAccessKeyID]) {
    expect(message).not.toContain(value);
  }
  return message;
}

describe("awsSecretManager against moto", () => {
  const cleanup = useCleanup();

  it("reads a secret's string into its parameter, after secretTargetRef, which it overrides", async () => {
    const { name } = await secret(cleanup, "amqp://user:pass@rabbit:5672/");
    const resolved = await resolve({
      secretTargetRef: [{ parameter: "host", name: "plain", key: "host" }],
      awsSecretManager: {
        region: REGION,
        credentials: keys,
        secrets: [{ parameter: "host", name }],
      },
    });
    expect(resolved.params).toEqual({ host: "amqp://user:pass@rabbit:5672/" });
  });

  it("reads a key of a JSON secret with secretKey", async () => {
    const { name } = await secret(
      cleanup,
      JSON.stringify({ username: "tidal", password: "hunter2", port: 5672 }),
    );
    const resolved = await resolve({
      awsSecretManager: {
        region: REGION,
        credentials: keys,
        secrets: [
          { parameter: "username", name, secretKey: "username" },
          { parameter: "password", name, secretKey: "password" },
        ],
      },
    });
    expect(resolved.params).toEqual({ username: "tidal", password: "hunter2" });
  });

  it("reads the version named by versionId or versionStage", async () => {
    const { name, versionId } = await secret(cleanup, "first");
    await secretsManager.send(new PutSecretValueCommand({ SecretId: name, SecretString: "second" }));
    const resolved = await resolve({
      awsSecretManager: {
        region: REGION,
        credentials: keys,
        secrets: [
          { parameter: "current", name },
          { parameter: "byId", name, versionId },
          { parameter: "previous", name, versionStage: "AWSPREVIOUS" },
        ],
      },
    });
    expect(resolved.params).toEqual({ current: "second", byId: "first", previous: "first" });
  });

  it("takes the region from Tidal's environment, and Tidal's own credentials with podIdentity aws", async () => {
    const { name } = await secret(cleanup, "value");
    const resolved = await resolve(
      { awsSecretManager: { podIdentity: { provider: "aws" }, secrets: [{ parameter: "p", name }] } },
      {
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: "AKIATIDALOWN",
        AWS_SECRET_ACCESS_KEY: credentials.awsSecretAccessKey,
      },
    );
    expect(resolved.params).toEqual({ p: "value" });
  });

  it("names the entry and the cause when a secret is missing or its key is not a string", async () => {
    const missing = await failure({
      awsSecretManager: {
        region: REGION,
        credentials: keys,
        secrets: [{ parameter: "p", name: "tidal-no-such-secret" }],
      },
    });
    expect(missing).toContain(
      'TriggerAuthentication "aws": awsSecretManager secret "tidal-no-such-secret" (parameter p): ResourceNotFoundException',
    );

    const { name } = await secret(cleanup, JSON.stringify({ number: 5, text: CANARY }));
    const notString = await failure({
      awsSecretManager: {
        region: REGION,
        credentials: keys,
        secrets: [{ parameter: "p", name, secretKey: "number" }],
      },
    });
    expect(notString).toContain("SecretKey value is not a string");
    const absent = await failure({
      awsSecretManager: {
        region: REGION,
        credentials: keys,
        secrets: [{ parameter: "p", name, secretKey: "other" }],
      },
    });
    expect(absent).toContain('SecretKey Not Found: the secret has no key "other"');

    const plain = await secret(cleanup, `not json ${CANARY}`);
    const notJson = await failure({
      awsSecretManager: {
        region: REGION,
        credentials: keys,
        secrets: [{ parameter: "p", name: plain.name, secretKey: "text" }],
      },
    });
    expect(notJson).toContain('secretKey "text" is set but the secret is not a JSON object');
  });

  it("needs credentials or a pod identity, and a region", async () => {
    const spec = { secrets: [{ parameter: "p", name: "s" }] };
    expect(await failure({ awsSecretManager: { region: REGION, ...spec } })).toContain(
      "AccessKeyID and AccessSecretKey are expected when not using a pod identity provider",
    );
    expect(await failure({ awsSecretManager: { credentials: keys, ...spec } })).toContain(
      "no region: set awsSecretManager.region",
    );
    expect(
      await failure({ awsSecretManager: { region: REGION, podIdentity: { provider: "gcp" }, ...spec } }),
    ).toContain("pod identity provider gcp not supported");
    expect(
      await failure({ awsSecretManager: { region: REGION, podIdentity: { provider: "aws" }, ...spec } }),
    ).toContain("no AWS credentials");
  });

  it("reports an unreachable Secrets Manager", async () => {
    const message = await failure(
      { awsSecretManager: { region: REGION, credentials: keys, secrets: [{ parameter: "p", name: "s" }] } },
      { AWS_ENDPOINT_URL: `http://127.0.0.1:${await closedPort()}` },
    );
    expect(message).toContain("ECONNREFUSED");
  });
});
