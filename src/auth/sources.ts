import { isUtf8 } from "node:buffer";
import type {
  ClusterTriggerAuthentication,
  TriggerAuthentication,
} from "../api/schema/trigger-authentication.ts";

/**
 * Where authentication data comes from: documents loaded from files when standalone, the
 * Kubernetes API in the operator. Secrets and ConfigMaps are returned decoded (`data` base64
 * decoded, merged with `stringData`).
 */
export interface AuthSources {
  triggerAuthentication(namespace: string, name: string): Promise<TriggerAuthentication | undefined>;
  clusterTriggerAuthentication(name: string): Promise<ClusterTriggerAuthentication | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /**
   * A token for a service account from the TokenRequest API (boundServiceAccountToken, Vault's
   * credential.serviceAccountName). Only a cluster can issue one: without one it throws, saying so.
   */
  serviceAccountToken(namespace: string, name: string): Promise<ServiceAccountToken>;
}

/** A bound service account token and when to ask for the next one. */
export interface ServiceAccountToken {
  token: string;
  /** When the API server says it expires (epoch milliseconds). */
  expiresAt: number;
  /** When to replace it: before it expires, as a kubelet refreshes projected tokens. */
  refreshAt: number;
}

/**
 * Decodes a Secret document or object: base64 `data` plus plain `stringData` (which wins). A value
 * that is not UTF-8 text (a keytab, a DER key) is kept one character per byte, so that the few
 * parameters that take binary data (kafka's `keytab`) get its bytes back unchanged.
 */
export function decodeSecret(secret: { data?: Record<string, string>; stringData?: Record<string, string> }) {
  const values: Record<string, string> = {};
  for (const [key, encoded] of Object.entries(secret.data ?? {})) {
    const bytes = Buffer.from(encoded, "base64");
    values[key] = isUtf8(bytes) ? bytes.toString("utf8") : bytes.toString("latin1");
  }
  return { ...values, ...secret.stringData };
}
