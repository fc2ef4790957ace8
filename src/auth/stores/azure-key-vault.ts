/**
 * The `azureKeyVault` secret store, as KEDA reads it: each entry of `secrets` is the value of a
 * Key Vault secret (its latest version, or `version`) given to the trigger as `parameter`. The
 * vault is reached with the app credentials of `credentials` (clientId, tenantId, and the client
 * secret from a Secret in the authentication's namespace) or with `podIdentity` azure-workload.
 * `@azure/keyvault-secrets` loads only when an authentication uses a vault.
 */
import type { AzureKeyVault, PodIdentity } from "../../api/schema/trigger-authentication.ts";
import {
  AZURE_PUBLIC_CLOUD,
  PRIVATE_CLOUD,
  azureClientSecretCredential,
  azureEnvironment,
  azureWorkloadCredential,
  azureWorkloadIdentityProblems,
  type TokenCredential,
} from "../identity/azure.ts";
import { AuthResolutionError } from "../resolve.ts";
import type { SecretStore, SecretStoreContext } from "./types.ts";

const MISSING_CREDENTIALS =
  "clientID, tenantID and clientSecret are expected when not using a pod identity provider";

/** Problems of a vault's configuration that need no network to see (KEDA's, at initialization). */
export function azureKeyVaultProblems(vault: AzureKeyVault): { field: string; message: string }[] {
  const provider = vault.podIdentity?.provider ?? "none";
  if (provider === "azure-workload") return [];
  if (provider !== "none") {
    return [
      {
        field: "podIdentity.provider",
        message: `key vault does not support pod identity provider - ${provider}`,
      },
    ];
  }
  const credentials = vault.credentials;
  if (
    credentials === undefined ||
    !credentials.clientId ||
    !credentials.tenantId ||
    !credentials.clientSecret.valueFrom.secretKeyRef.name ||
    !credentials.clientSecret.valueFrom.secretKeyRef.key
  ) {
    return [{ field: "credentials", message: MISSING_CREDENTIALS }];
  }
  return [];
}

/** The Entra ID authority for a vault's `cloud` (a private cloud gives its own). */
function authorityHost(vault: AzureKeyVault): string | undefined {
  const cloud = vault.cloud;
  if (cloud === undefined) return undefined;
  if (cloud.type.toLowerCase() === PRIVATE_CLOUD.toLowerCase())
    return cloud.activeDirectoryEndpoint || undefined;
  return (azureEnvironment(cloud.type) ?? AZURE_PUBLIC_CLOUD).activeDirectoryEndpoint;
}

async function vaultCredential(vault: AzureKeyVault, context: SecretStoreContext): Promise<TokenCredential> {
  const problems = azureKeyVaultProblems(vault);
  if (problems.length > 0)
    throw new AuthResolutionError(`${context.label}: azureKeyVault: ${problems[0]?.message}`);
  const identity: PodIdentity | undefined = vault.podIdentity;
  if (identity?.provider === "azure-workload") return azureWorkloadCredential(identity);
  const credentials = vault.credentials as NonNullable<AzureKeyVault["credentials"]>;
  const reference = credentials.clientSecret.valueFrom.secretKeyRef;
  const secret = (await context.sources.secret(context.namespace, reference.name))?.[reference.key];
  if (!secret) {
    // KEDA reads a missing client secret as empty, which is the same missing-credentials error.
    throw new AuthResolutionError(
      `${context.label}: azureKeyVault: ${MISSING_CREDENTIALS} (Secret "${reference.name}" key "${reference.key}" in namespace "${context.namespace}" is missing or empty)`,
    );
  }
  const host = authorityHost(vault);
  return azureClientSecretCredential({
    tenantId: credentials.tenantId,
    clientId: credentials.clientId,
    clientSecret: secret,
    ...(host ? { authorityHost: host } : {}),
  });
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** One line for a failed read of a vault secret: not found, refused, unreachable, or the service's words. */
function readError(error: unknown, vaultUri: string, name: string, version: string | undefined): string {
  const what = `secret "${name}"${version ? ` version "${version}"` : ""} of vault ${vaultUri}`;
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0]?.trim() ?? "";
  const status = statusOf(error);
  if (status === 404) return `${what} not found: ${message}`;
  if (status === 401 || status === 403)
    return `${what}: the vault refused access (HTTP ${status}): ${message}`;
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH/.test(message)) {
    return `${what}: cannot reach the vault: ${message}`;
  }
  return `${what}: ${message}`;
}

export const azureKeyVaultStore: SecretStore<"azureKeyVault"> = {
  field: "azureKeyVault",
  check: (vault) =>
    [
      ...azureKeyVaultProblems(vault),
      ...(vault.podIdentity === undefined
        ? []
        : azureWorkloadIdentityProblems(vault.podIdentity).map((problem) => ({
            ...problem,
            field: `podIdentity.${problem.field}`,
          }))),
    ].map((problem) => ({ path: problem.field, message: problem.message, severity: "error" as const })),
  async resolve(vault, context) {
    const credential = await vaultCredential(vault, context);
    const { SecretClient } = await import("@azure/keyvault-secrets");
    const client = new SecretClient(vault.vaultUri, credential, {
      retryOptions: { maxRetries: 0 },
      // The SDK takes the token's resource from the vault's challenge and accepts it only when the
      // vault's host lies under it (myvault.vault.azure.net under vault.azure.net). A private
      // cloud that names its vaults' resource in cloud.keyVaultResourceURL may differ.
      ...(vault.cloud?.keyVaultResourceURL ? { disableChallengeResourceVerification: true } : {}),
    });
    const values: Record<string, string> = {};
    for (const secret of vault.secrets) {
      try {
        const read = await client.getSecret(secret.name, {
          ...(secret.version ? { version: secret.version } : {}),
          ...(context.signal ? { abortSignal: context.signal } : {}),
        });
        values[secret.parameter] = read.value ?? "";
      } catch (error) {
        throw new AuthResolutionError(
          `${context.label}: azureKeyVault: ${readError(error, vault.vaultUri, secret.name, secret.version)} (parameter ${secret.parameter})`,
        );
      }
    }
    return values;
  },
};
