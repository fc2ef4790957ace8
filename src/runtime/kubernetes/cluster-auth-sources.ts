import type {
  ClusterTriggerAuthentication,
  TriggerAuthentication,
} from "../../api/schema/trigger-authentication.ts";
import { triggerAuthenticationSpec } from "../../api/schema/trigger-authentication.ts";
import { decodeSecret, type AuthSources } from "../../auth/sources.ts";
import type { ObjectCache } from "./informer.ts";
import { isNotFound, resourcePath, type KubeClient } from "./kube-api.ts";
import { ServiceAccountTokens } from "./service-account-tokens.ts";
import { KEDA_API_VERSION } from "../../api/names.ts";

type Raw = { metadata?: { name?: string; namespace?: string }; spec?: unknown };

/** Reads a TriggerAuthentication-like object from the cluster with Tidal's schema (defaults applied). */
function parseAuthentication<T>(raw: Raw | undefined, kind: string): T | undefined {
  if (raw === undefined) return undefined;
  const parsed = triggerAuthenticationSpec.safeParse(raw.spec ?? {});
  if (!parsed.success) {
    throw new Error(
      `${kind} "${raw.metadata?.name}" is invalid: ${parsed.error.issues.map((issue) => issue.message).join("; ")}`,
    );
  }
  return { apiVersion: KEDA_API_VERSION, kind, metadata: raw.metadata, spec: parsed.data } as T;
}

/**
 * Authentication data from the cluster: (Cluster)TriggerAuthentications from the informers'
 * caches, Secrets and ConfigMaps read when needed (only `get` on them is required), service
 * account tokens from the TokenRequest API (`create serviceaccounts/token`).
 */
export function clusterAuthSources(
  api: KubeClient,
  informers: {
    triggerAuthentications: ObjectCache<Raw & { metadata: { name: string } }>;
    clusterTriggerAuthentications: ObjectCache<Raw & { metadata: { name: string } }>;
  },
  tokens: ServiceAccountTokens = new ServiceAccountTokens(api, { expirationSeconds: 3600 }),
): AuthSources {
  const read = async <T>(path: string): Promise<T | undefined> => {
    try {
      return await api.get<T>(path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  };
  return {
    triggerAuthentication: async (namespace, name) =>
      parseAuthentication<TriggerAuthentication>(
        informers.triggerAuthentications.get(name, namespace),
        "TriggerAuthentication",
      ),
    clusterTriggerAuthentication: async (name) =>
      parseAuthentication<ClusterTriggerAuthentication>(
        informers.clusterTriggerAuthentications.get(name),
        "ClusterTriggerAuthentication",
      ),
    secret: async (namespace, name) => {
      const secret = await read<{ data?: Record<string, string>; stringData?: Record<string, string> }>(
        resourcePath("v1", "secrets", namespace, name),
      );
      return secret === undefined ? undefined : decodeSecret(secret);
    },
    configMap: async (namespace, name) => {
      const configMap = await read<{ data?: Record<string, string> }>(
        resourcePath("v1", "configmaps", namespace, name),
      );
      return configMap === undefined ? undefined : { ...configMap.data };
    },
    serviceAccountToken: (namespace, name) => tokens.get(namespace, name),
  };
}
