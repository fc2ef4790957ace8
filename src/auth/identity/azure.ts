/**
 * Azure credentials for scalers and secret stores: the clouds KEDA knows (endpoint suffixes and
 * the Entra ID authority), `podIdentity.provider: azure-workload` (a federated service-account
 * token exchanged at the Entra ID token endpoint), and client-secret credentials (Key Vault).
 * `@azure/identity` loads only when a credential is first made.
 */
import { readFileSync } from "node:fs";
import type { TokenCredential } from "@azure/identity";
import type { PodIdentity } from "../../api/schema/trigger-authentication.ts";

export type { TokenCredential };

/** The endpoints of one Azure cloud that Tidal's Azure scalers and stores use. */
export interface AzureEnvironment {
  name: string;
  /** Entra ID authority host, e.g. https://login.microsoftonline.com/ */
  activeDirectoryEndpoint: string;
  /** e.g. servicebus.windows.net (Service Bus and Event Hubs namespaces) */
  serviceBusEndpointSuffix: string;
  /** e.g. core.windows.net (storage accounts: <account>.blob.<suffix>) */
  storageEndpointSuffix: string;
  /** e.g. vault.azure.net */
  keyVaultDnsSuffix: string;
}

const PUBLIC: AzureEnvironment = {
  name: "AzurePublicCloud",
  activeDirectoryEndpoint: "https://login.microsoftonline.com/",
  serviceBusEndpointSuffix: "servicebus.windows.net",
  storageEndpointSuffix: "core.windows.net",
  keyVaultDnsSuffix: "vault.azure.net",
};
const US_GOVERNMENT: AzureEnvironment = {
  name: "AzureUSGovernmentCloud",
  activeDirectoryEndpoint: "https://login.microsoftonline.us/",
  serviceBusEndpointSuffix: "servicebus.usgovcloudapi.net",
  storageEndpointSuffix: "core.usgovcloudapi.net",
  keyVaultDnsSuffix: "vault.usgovcloudapi.net",
};
const CHINA: AzureEnvironment = {
  name: "AzureChinaCloud",
  activeDirectoryEndpoint: "https://login.chinacloudapi.cn/",
  serviceBusEndpointSuffix: "servicebus.chinacloudapi.cn",
  storageEndpointSuffix: "core.chinacloudapi.cn",
  keyVaultDnsSuffix: "vault.azure.cn",
};
const GERMANY: AzureEnvironment = {
  name: "AzureGermanCloud",
  activeDirectoryEndpoint: "https://login.microsoftonline.de/",
  serviceBusEndpointSuffix: "servicebus.cloudapi.de",
  storageEndpointSuffix: "core.cloudapi.de",
  keyVaultDnsSuffix: "vault.microsoftazure.de",
};

export const AZURE_PUBLIC_CLOUD = PUBLIC;

/** KEDA's cloud names (matched case-insensitively). */
const ENVIRONMENTS: Readonly<Record<string, AzureEnvironment>> = {
  AZURECHINACLOUD: CHINA,
  AZUREGERMANCLOUD: GERMANY,
  AZURECLOUD: PUBLIC,
  AZUREPUBLICCLOUD: PUBLIC,
  AZUREUSGOVERNMENT: US_GOVERNMENT,
  AZUREUSGOVERNMENTCLOUD: US_GOVERNMENT,
};

/** The `cloud` value that asks for explicit endpoints instead of a known cloud's. */
export const PRIVATE_CLOUD = "Private";

/**
 * The cloud named `name` (case-insensitive), as KEDA resolves it: `AzureStackCloud` reads the JSON
 * file named by AZURE_ENVIRONMENT_FILEPATH. Undefined for an unknown name.
 */
export function azureEnvironment(
  name: string,
  env: NodeJS.ProcessEnv = process.env,
): AzureEnvironment | undefined {
  const upper = name.toUpperCase();
  if (upper === "AZURESTACKCLOUD") return environmentFromFile(env.AZURE_ENVIRONMENT_FILEPATH);
  return ENVIRONMENTS[upper];
}

function environmentFromFile(path: string | undefined): AzureEnvironment | undefined {
  if (!path) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    const text = (key: string) => (typeof parsed[key] === "string" ? (parsed[key] as string) : "");
    return {
      name: text("name"),
      activeDirectoryEndpoint: text("activeDirectoryEndpoint"),
      serviceBusEndpointSuffix: text("serviceBusEndpointSuffix"),
      storageEndpointSuffix: text("storageEndpointSuffix"),
      keyVaultDnsSuffix: text("keyVaultDNSSuffix"),
    };
  } catch {
    return undefined;
  }
}

/**
 * KEDA's ParseEnvironmentProperty: with `cloud` set to `Private` the property comes from the
 * metadata key `propertyKey` (required then); with another cloud, from that cloud; without
 * `cloud`, from the public cloud (a `propertyKey` in metadata is then ignored).
 */
export function azureEnvironmentProperty(
  metadata: Readonly<Record<string, string>>,
  propertyKey: string,
  pick: (environment: AzureEnvironment) => string,
): { value: string } | { error: string } {
  const cloud = metadata.cloud;
  if (cloud) {
    if (cloud.toLowerCase() === PRIVATE_CLOUD.toLowerCase()) {
      const value = metadata[propertyKey];
      if (value) return { value };
      return { error: `${propertyKey} must be provided for ${PRIVATE_CLOUD} cloud type` };
    }
    const environment = azureEnvironment(cloud);
    if (environment === undefined) {
      return {
        error: `invalid cloud environment ${cloud}: use AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud, AzureGermanCloud, or Private with ${propertyKey}`,
      };
    }
    return { value: pick(environment) };
  }
  return { value: pick(PUBLIC) };
}

/**
 * Problems of an `azure-workload` pod identity, as KEDA's admission webhook reports them: an
 * identityId or identityTenantId set to "" is refused, and identityAuthorityHost needs
 * identityTenantId.
 */
export function azureWorkloadIdentityProblems(identity: PodIdentity): { field: string; message: string }[] {
  if (identity.provider !== "azure-workload") return [];
  const problems: { field: string; message: string }[] = [];
  if (identity.identityId === "") {
    problems.push({
      field: "identityId",
      message: "identityId must not be empty: remove it to use AZURE_CLIENT_ID, or give the client id",
    });
  }
  if (identity.identityAuthorityHost) {
    if (!identity.identityTenantId) {
      problems.push({
        field: "identityTenantId",
        message: "identityTenantId is required when identityAuthorityHost is set",
      });
    }
  } else if (identity.identityTenantId === "") {
    problems.push({
      field: "identityTenantId",
      message: "identityTenantId must not be empty: remove it to use AZURE_TENANT_ID, or give the tenant id",
    });
  }
  return problems;
}

/** What a workload identity credential is made of. */
export interface WorkloadIdentitySettings {
  clientId: string;
  tenantId: string;
  tokenFilePath: string;
  /** Entra ID authority host, e.g. https://login.microsoftonline.com */
  authorityHost: string;
}

/**
 * The settings of an `azure-workload` identity, as KEDA takes them: the client and tenant from
 * the podIdentity (identityId, identityTenantId) or else from the environment the Azure Workload
 * Identity webhook gives Tidal's own pod (AZURE_CLIENT_ID, AZURE_TENANT_ID); the token from the
 * file AZURE_FEDERATED_TOKEN_FILE names; the authority from identityAuthorityHost (only with
 * identityTenantId), else AZURE_AUTHORITY_HOST, else the public cloud's.
 */
export function workloadIdentitySettings(
  identity: PodIdentity,
  env: NodeJS.ProcessEnv = process.env,
): WorkloadIdentitySettings {
  const clientId = identity.identityId || env.AZURE_CLIENT_ID || "";
  const tenantId = identity.identityTenantId || env.AZURE_TENANT_ID || "";
  const tokenFilePath = env.AZURE_FEDERATED_TOKEN_FILE || "";
  const authorityHost =
    (identity.identityTenantId && identity.identityAuthorityHost) ||
    env.AZURE_AUTHORITY_HOST ||
    PUBLIC.activeDirectoryEndpoint;
  const missing = [
    clientId ? undefined : "a client id (podIdentity.identityId or AZURE_CLIENT_ID)",
    tenantId ? undefined : "a tenant id (podIdentity.identityTenantId or AZURE_TENANT_ID)",
    tokenFilePath ? undefined : "a federated token file (AZURE_FEDERATED_TOKEN_FILE)",
  ].filter((item) => item !== undefined);
  if (missing.length > 0) {
    throw new Error(
      `azure-workload identity needs ${missing.join(", ")}; Tidal's pod gets them from the Azure Workload Identity webhook`,
    );
  }
  return { clientId, tenantId, tokenFilePath, authorityHost: authorityHost.replace(/\/+$/, "") };
}

/** Error texts of @azure/identity carry a troubleshooting link and MSAL's trace lines: keep the cause. */
export function credentialErrorMessage(message: string): string {
  const firstLines = message
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !/^(Trace ID|Correlation ID|Timestamp|To troubleshoot)/i.test(line));
  return firstLines
    .join(" ")
    .replace(/\s*To troubleshoot, visit \S+/g, "")
    .trim();
}

const KNOWN_AUTHORITY_HOSTS = new Set(
  [PUBLIC, US_GOVERNMENT, CHINA, GERMANY].map(
    (environment) => new URL(environment.activeDirectoryEndpoint).host,
  ),
);

/**
 * MSAL validates an authority it does not know by asking the public cloud's instance discovery
 * endpoint, which a private cloud's (or a disconnected cluster's) authority cannot pass; the known
 * clouds need no discovery. So discovery is off for authorities other than the known clouds'.
 */
function instanceDiscoveryOptions(authorityHost: string): { disableInstanceDiscovery?: true } {
  try {
    return KNOWN_AUTHORITY_HOSTS.has(new URL(authorityHost).host) ? {} : { disableInstanceDiscovery: true };
  } catch {
    return {};
  }
}

/** Wraps a credential so its failures read as one line naming what was asked. */
function explained(credential: TokenCredential, what: string): TokenCredential {
  return {
    async getToken(scopes, options) {
      try {
        return await credential.getToken(scopes, options);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        // eslint-disable-next-line preserve-caught-error -- the cause's text is kept, its stack is not wanted
        throw new Error(`${what}: ${credentialErrorMessage(message)}`);
      }
    },
  };
}

/**
 * The credential of an `azure-workload` pod identity: the federated token file exchanged for an
 * Entra ID token (client-assertion grant), refreshed by the SDK before it expires.
 */
export async function azureWorkloadCredential(
  identity: PodIdentity,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TokenCredential> {
  const settings = workloadIdentitySettings(identity, env);
  const { WorkloadIdentityCredential } = await import("@azure/identity");
  const credential = new WorkloadIdentityCredential({
    clientId: settings.clientId,
    tenantId: settings.tenantId,
    tokenFilePath: settings.tokenFilePath,
    authorityHost: settings.authorityHost,
    retryOptions: { maxRetries: 0 },
    ...instanceDiscoveryOptions(settings.authorityHost),
  });
  return explained(credential, `azure-workload identity (client ${settings.clientId})`);
}

/** A client-secret credential (an app registration's id, tenant and secret), for Key Vault. */
export async function azureClientSecretCredential(options: {
  tenantId: string;
  clientId: string;
  clientSecret: string;
  authorityHost?: string;
}): Promise<TokenCredential> {
  const { ClientSecretCredential } = await import("@azure/identity");
  const credential = new ClientSecretCredential(options.tenantId, options.clientId, options.clientSecret, {
    ...(options.authorityHost
      ? { authorityHost: options.authorityHost, ...instanceDiscoveryOptions(options.authorityHost) }
      : {}),
    retryOptions: { maxRetries: 0 },
  });
  return explained(credential, `client secret credential (client ${options.clientId})`);
}

/**
 * The credential for a pod identity, for scalers: only `azure-workload` is an Azure identity.
 * Throws for other providers, naming what is supported.
 */
export async function azurePodIdentityCredential(
  identity: PodIdentity,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TokenCredential> {
  if (identity.provider !== "azure-workload") {
    throw new Error(
      `pod identity ${identity.provider} is not supported for Azure credentials; use azure-workload`,
    );
  }
  return azureWorkloadCredential(identity, env);
}

/**
 * The credential of an Azure scaler that takes an app registration's secret or the pod identity,
 * as KEDA's Monitor, Log Analytics, App Insights, Data Explorer and Pipelines scalers do: with
 * `podIdentity` azure-workload the workload identity; otherwise the client secret, sent to
 * `authorityHost` when the trigger names one (Data Explorer's activeDirectoryEndpoint), else to
 * the authority the Azure SDK reads from AZURE_AUTHORITY_HOST, else the public cloud's.
 */
export async function azureScalerCredential(options: {
  podIdentity?: PodIdentity | undefined;
  tenantId?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  authorityHost?: string | undefined;
  env?: Readonly<Record<string, string | undefined>> | undefined;
}): Promise<TokenCredential> {
  const env = (options.env ?? process.env) as NodeJS.ProcessEnv;
  if (options.podIdentity) return azurePodIdentityCredential(options.podIdentity, env);
  const authorityHost = options.authorityHost || env.AZURE_AUTHORITY_HOST || PUBLIC.activeDirectoryEndpoint;
  return azureClientSecretCredential({
    tenantId: options.tenantId ?? "",
    clientId: options.clientId ?? "",
    clientSecret: options.clientSecret ?? "",
    authorityHost,
  });
}

/** KEDA's scope for a resource: `<resource>/.default`. */
export function scopeOf(resource: string): string {
  const trimmed = resource.replace(/\/+$/, "");
  return trimmed.endsWith(".default") ? trimmed : `${trimmed}/.default`;
}
