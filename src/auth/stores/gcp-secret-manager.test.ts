import { describe, expect, it } from "vitest";
import type { GcpSecretManager } from "../../api/schema/trigger-authentication.ts";
import type { AuthSources } from "../sources.ts";
import { gcpSecretManagerStore } from "./gcp-secret-manager.ts";

/** Sources with one Secret "creds" of namespace "apps", whose key "sa" is not a key. */
const sources: AuthSources = {
  triggerAuthentication: async () => undefined,
  clusterTriggerAuthentication: async () => undefined,
  secret: async (namespace, name) => (namespace === "apps" && name === "creds" ? { sa: "{}" } : undefined),
  serviceAccountToken: async () => {
    throw new Error("no cluster: service account tokens need the TokenRequest API");
  },
  configMap: async () => undefined,
};

function resolve(config: Partial<GcpSecretManager>, namespace = "apps") {
  return gcpSecretManagerStore.resolve(
    { secrets: [{ parameter: "p", id: "s" }], ...config } as GcpSecretManager,
    {
      namespace,
      label: 'TriggerAuthentication "ta"',
      sources,
      containerEnv: {},
      processEnvironment: {},
      objectNamespace: namespace,
      refreshBy: () => {},
    },
  );
}

const secretRef = (name: string, key: string) => ({
  clientSecret: { valueFrom: { secretKeyRef: { name, key } } },
});

// KEDA's TestGCPSecretManagerHandlerInitialize: every row fails before any call to Google.
describe("gcpSecretManager: KEDA's initialization table", () => {
  it.each([
    [
      "Invalid Pod identity provider",
      { podIdentity: { provider: "xyz" } } as unknown as Partial<GcpSecretManager>,
      "apps",
      'TriggerAuthentication "ta": gcpSecretManager does not support pod identity provider xyz; use gcp or a clientSecret',
    ],
    [
      "Missing credentials and pod identity provider",
      { podIdentity: { provider: "" } } as unknown as Partial<GcpSecretManager>,
      "apps",
      'TriggerAuthentication "ta": gcpSecretManager: credentials.clientSecret is required when not using pod identity provider gcp',
    ],
    [
      "Empty trigger namespace",
      { credentials: secretRef("creds", "sa"), podIdentity: { provider: "none" } },
      "",
      'TriggerAuthentication "ta": gcpSecretManager: the clientSecret Secret "creds" is not found in namespace ""',
    ],
    [
      "Empty credentials secret name",
      { credentials: secretRef("", "sa"), podIdentity: { provider: "none" } },
      "apps",
      'TriggerAuthentication "ta": gcpSecretManager: the clientSecret Secret "" is not found in namespace "apps"',
    ],
    [
      "Empty credentials secret key",
      { credentials: secretRef("creds", ""), podIdentity: { provider: "none" } },
      "apps",
      'TriggerAuthentication "ta": gcpSecretManager: the clientSecret Secret "creds" has no key ""',
    ],
  ] as const)("%s", async (_name, config, namespace, message) => {
    await expect(resolve(config, namespace)).rejects.toThrow(new Error(message));
  });

  it("needs a clientSecret without pod identity, and a service-account key in it", async () => {
    await expect(resolve({})).rejects.toThrow(
      'TriggerAuthentication "ta": gcpSecretManager: credentials.clientSecret is required when not using pod identity provider gcp',
    );
    await expect(resolve({ credentials: secretRef("creds", "sa") })).rejects.toThrow(
      'TriggerAuthentication "ta": gcpSecretManager: the clientSecret (Secret "creds", key "sa") is not a service-account key (its type is missing; it must be "service_account")',
    );
  });

  it("reads nothing when it lists no secrets", async () => {
    await expect(resolve({ secrets: [] })).resolves.toEqual({});
  });
});
