import type { ManifestSet } from "../api/resources.ts";
import { decodeSecret, type AuthSources } from "./sources.ts";

/** Authentication data from documents loaded from files (Tidal without Kubernetes). */
export function manifestAuthSources(set: ManifestSet): AuthSources {
  const find = <T extends { metadata: { name: string; namespace?: string | undefined } }>(
    items: { object: T }[],
    namespace: string | undefined,
    name: string,
  ) =>
    items.find(
      (item) =>
        item.object.metadata.name === name &&
        (namespace === undefined || item.object.metadata.namespace === namespace),
    )?.object;
  return {
    triggerAuthentication: async (namespace, name) => find(set.triggerAuthentications, namespace, name),
    clusterTriggerAuthentication: async (name) => find(set.clusterTriggerAuthentications, undefined, name),
    secret: async (namespace, name) => {
      const secret = find(set.secrets, namespace, name);
      return secret === undefined ? undefined : decodeSecret(secret);
    },
    configMap: async (namespace, name) => {
      const configMap = find(set.configMaps, namespace, name);
      return configMap === undefined ? undefined : { ...configMap.data };
    },
    serviceAccountToken: async (namespace, name) => {
      throw new Error(
        `a token for service account "${name}" (namespace "${namespace}") needs a Kubernetes cluster's TokenRequest API, which files alone do not have; run this authentication with \`tidal operator\`, or pass the token through secretTargetRef or env`,
      );
    },
  };
}
