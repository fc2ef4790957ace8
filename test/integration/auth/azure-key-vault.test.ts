import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TriggerAuthentication } from "../../../src/api/schema/trigger-authentication.ts";
import { AuthResolutionError, resolveAuthentication } from "../../../src/auth/resolve.ts";
import type { AuthSources } from "../../../src/auth/sources.ts";
import { runTidal } from "../../cli/tidal-cli.ts";
import { startFakeEntra, type FakeEntra } from "../../support/fakes/fake-entra.ts";
import { startFakeKeyVault, type FakeKeyVault } from "../../support/fakes/fake-keyvault.ts";
import { startFakeServiceBus, type FakeServiceBus } from "../../support/fakes/fake-servicebus.ts";
import { trustFakeCertificate } from "../../support/fakes/tls.ts";
import { closedPort } from "../../support/closed-port.ts";
import { useCleanup } from "../../support/isolation.ts";
import { connectTestTrigger } from "../../support/scaler-harness.ts";

const tenantId = "0f0f0f0f-1111-2222-3333-444444444444";
const appId = "5a5a5a5a-6666-7777-8888-999999999999";
const appSecret = "app-client-secret-that-must-never-be-printed";
const workloadId = "7b7b7b7b-1111-2222-3333-444444444444";
const federatedToken = "eyJhbGciOiJSUzI1NiJ9.key-vault-workload.signature";

let entra: FakeEntra;
let vault: FakeKeyVault;
let serviceBus: FakeServiceBus;
const saved = { ...process.env };

beforeAll(async () => {
  await trustFakeCertificate();
  entra = await startFakeEntra();
  vault = await startFakeKeyVault({ authority: entra.authorityHost, tenantId });
  serviceBus = await startFakeServiceBus();
  entra.addApp({ tenantId, clientId: appId, clientSecret: appSecret });
  entra.addApp({ tenantId, clientId: workloadId, federatedToken });
  vault.acceptToken(entra.tokenFor(appId, vault.scope));
  vault.acceptToken(entra.tokenFor(workloadId, vault.scope));
  vault.setSecret("servicebus-connection", serviceBus.connectionString());
  vault.setSecret("api-key", "first", "0001");
  vault.setSecret("api-key", "second", "0002");
  const file = join(mkdtempSync(join(tmpdir(), "tidal-kv-")), "token");
  writeFileSync(file, federatedToken);
  process.env.AZURE_FEDERATED_TOKEN_FILE = file;
});
afterAll(async () => {
  if (saved.AZURE_FEDERATED_TOKEN_FILE === undefined) delete process.env.AZURE_FEDERATED_TOKEN_FILE;
  await Promise.all([entra.close(), vault.close(), serviceBus.close()]);
});

type VaultSpec = NonNullable<TriggerAuthentication["spec"]["azureKeyVault"]>;

function sourcesWith(spec: VaultSpec, secrets: Record<string, Record<string, string>> = {}): AuthSources {
  const authentication: TriggerAuthentication = {
    apiVersion: "keda.sh/v1alpha1",
    kind: "TriggerAuthentication",
    metadata: { name: "vault-auth", namespace: "team" },
    spec: { azureKeyVault: spec },
  };
  return {
    triggerAuthentication: async (_, name) => (name === "vault-auth" ? authentication : undefined),
    clusterTriggerAuthentication: async () => undefined,
    secret: async (namespace, name) => (namespace === "team" ? secrets[name] : undefined),
    serviceAccountToken: async () => {
      throw new Error("no cluster: service account tokens need the TokenRequest API");
    },
    configMap: async () => undefined,
  };
}

const context = { namespace: "team", clusterObjectNamespace: "keda", containerEnv: {} };
const reference = { kind: "TriggerAuthentication" as const, name: "vault-auth" };

function withAppCredentials(secrets: VaultSpec["secrets"], vaultUri = vault.vaultUri): VaultSpec {
  return {
    vaultUri,
    cloud: {
      type: "Private",
      activeDirectoryEndpoint: entra.authorityHost,
      keyVaultResourceURL: vault.vaultUri,
    },
    credentials: {
      clientId: appId,
      tenantId,
      clientSecret: { valueFrom: { secretKeyRef: { name: "vault-app", key: "secret" } } },
    },
    secrets,
  };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AuthResolutionError);
    return (error as Error).message;
  }
  throw new Error("expected the resolution to fail");
}

describe("azureKeyVault secret store against fake-keyvault and fake-entra", () => {
  const cleanup = useCleanup();
  const appSecretRef = { "vault-app": { secret: appSecret } };

  it("reads secrets with an app's client secret, and the Service Bus scaler uses the connection string it gives", async () => {
    const sources = sourcesWith(
      withAppCredentials([
        { parameter: "connection", name: "servicebus-connection" },
        { parameter: "apiKey", name: "api-key", version: "0001" },
        { parameter: "latestKey", name: "api-key" },
      ]),
      appSecretRef,
    );
    const resolved = await resolveAuthentication(reference, sources, context);
    expect(resolved.params).toEqual({
      connection: serviceBus.connectionString(),
      apiKey: "first",
      latestKey: "second",
    });
    expect(entra.requests.at(-1)).toMatchObject({ clientId: appId, kind: "secret", status: 200 });

    serviceBus.setQueue("vault-queue", { active: 6 });
    const trigger = connectTestTrigger({
      type: "azure-servicebus",
      metadata: { queueName: "vault-queue" },
      authParams: resolved.params,
    });
    cleanup.add(() => trigger.close());
    expect(await trigger.measure()).toMatchObject({ value: 6, active: true });
  });

  it("reads secrets with the vault's own azure-workload identity", async () => {
    const sources = sourcesWith({
      vaultUri: vault.vaultUri,
      cloud: { type: "Private", keyVaultResourceURL: vault.vaultUri },
      podIdentity: {
        provider: "azure-workload",
        identityId: workloadId,
        identityTenantId: tenantId,
        identityAuthorityHost: entra.authorityHost,
      },
      secrets: [{ parameter: "apiKey", name: "api-key" }],
    });
    expect((await resolveAuthentication(reference, sources, context)).params).toEqual({ apiKey: "second" });
    expect(entra.requests.at(-1)).toMatchObject({ clientId: workloadId, kind: "assertion", status: 200 });
  });

  it("names a missing secret and its parameter", async () => {
    const sources = sourcesWith(
      withAppCredentials([{ parameter: "password", name: "no-such-secret" }]),
      appSecretRef,
    );
    expect(await failure(resolveAuthentication(reference, sources, context))).toBe(
      `TriggerAuthentication "vault-auth": azureKeyVault: secret "no-such-secret" of vault ${vault.vaultUri} not found: A secret with (name/id) no-such-secret was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. (parameter password)`,
    );
  });

  it("says Entra ID refused a wrong client secret, without it", async () => {
    const wrong = "a-wrong-client-secret-not-to-print";
    const sources = sourcesWith(withAppCredentials([{ parameter: "apiKey", name: "api-key" }]), {
      "vault-app": { secret: wrong },
    });
    const message = await failure(resolveAuthentication(reference, sources, context));
    expect(message).toMatch(
      /^TriggerAuthentication "vault-auth": azureKeyVault: secret "api-key" of vault .*client secret credential \(client 5a5a5a5a-.*\): .*AADSTS7000215/,
    );
    expect(message).not.toContain(wrong);
    expect(message).not.toContain(appSecret);
  });

  it("says the vault refused an identity without access", async () => {
    const other = "3c3c3c3c-1111-2222-3333-444444444444";
    entra.addApp({ tenantId, clientId: other, clientSecret: "other-app-secret" });
    vault.forbidToken(entra.tokenFor(other, vault.scope));
    const spec = withAppCredentials([{ parameter: "apiKey", name: "api-key" }]);
    spec.credentials = { ...(spec.credentials as NonNullable<VaultSpec["credentials"]>), clientId: other };
    const sources = sourcesWith(spec, { "vault-app": { secret: "other-app-secret" } });
    expect(await failure(resolveAuthentication(reference, sources, context))).toMatch(
      /secret "api-key" of vault .*: the vault refused access \(HTTP 403\): The user, group or application does not have secrets get permission/,
    );
  });

  it("says a vault cannot be reached", async () => {
    const port = await closedPort();
    const sources = sourcesWith(
      withAppCredentials([{ parameter: "apiKey", name: "api-key" }], `https://127.0.0.1:${port}`),
      appSecretRef,
    );
    expect(await failure(resolveAuthentication(reference, sources, context))).toMatch(
      /cannot reach the vault: .*ECONNREFUSED/,
    );
  });

  it("needs credentials or a pod identity, and the client secret's Secret, as KEDA does", async () => {
    const noCredentials = sourcesWith({
      vaultUri: vault.vaultUri,
      secrets: [{ parameter: "a", name: "api-key" }],
    });
    expect(await failure(resolveAuthentication(reference, noCredentials, context))).toBe(
      'TriggerAuthentication "vault-auth": azureKeyVault: clientID, tenantID and clientSecret are expected when not using a pod identity provider',
    );
    const missingSecret = sourcesWith(withAppCredentials([{ parameter: "a", name: "api-key" }]));
    expect(await failure(resolveAuthentication(reference, missingSecret, context))).toMatch(
      /expected when not using a pod identity provider \(Secret "vault-app" key "secret" in namespace "team" is missing or empty\)/,
    );
    const gcp = sourcesWith({
      vaultUri: vault.vaultUri,
      podIdentity: { provider: "gcp" },
      secrets: [{ parameter: "a", name: "api-key" }],
    });
    expect(await failure(resolveAuthentication(reference, gcp, context))).toContain(
      "key vault does not support pod identity provider - gcp",
    );
  });

  it("is not contacted when only files are read (offline)", async () => {
    const before = vault.requests.length;
    const sources = sourcesWith(withAppCredentials([{ parameter: "apiKey", name: "api-key" }]), appSecretRef);
    expect(await resolveAuthentication(reference, sources, { ...context, offline: true })).toEqual({
      params: {},
      skippedStores: ["azureKeyVault"],
    });
    expect(vault.requests.length).toBe(before);
  });

  it("tidal validate accepts a ScaledObject whose connection comes from Key Vault, without contacting it", async () => {
    const before = vault.requests.length;
    const dir = mkdtempSync(join(tmpdir(), "tidal-kv-validate-"));
    const file = join(dir, "vault.yaml");
    writeFileSync(
      file,
      [
        JSON.stringify({
          apiVersion: "keda.sh/v1alpha1",
          kind: "TriggerAuthentication",
          metadata: { name: "vault-auth" },
          spec: {
            azureKeyVault: withAppCredentials([{ parameter: "connection", name: "servicebus-connection" }]),
          },
        }),
        JSON.stringify({
          apiVersion: "keda.sh/v1alpha1",
          kind: "ScaledObject",
          metadata: { name: "orders" },
          spec: {
            scaleTargetRef: { name: "orders" },
            triggers: [
              {
                type: "azure-servicebus",
                metadata: { queueName: "orders" },
                authenticationRef: { name: "vault-auth" },
              },
            ],
          },
        }),
      ].join("\n---\n"),
    );
    const result = await runTidal(["validate", "-f", file]);
    expect(result).toEqual({ code: 0, stdout: "", stderr: "2 resources valid\n" });
    expect(vault.requests.length).toBe(before);
  });
});
