import type { TriggerAuthenticationSpec } from "../../api/schema/trigger-authentication.ts";
import type { AuthSources } from "../sources.ts";

/** The spec fields that name an external secret store. */
export type SecretStoreField =
  "hashiCorpVault" | "azureKeyVault" | "gcpSecretManager" | "awsSecretManager" | "boundServiceAccountToken";

export interface SecretStoreContext {
  /** Where the authentication's Secrets live (its own namespace, or KEDA_CLUSTER_OBJECT_NAMESPACE). */
  namespace: string;
  /** e.g. `TriggerAuthentication "db"`, for messages. */
  label: string;
  sources: AuthSources;
  /** Environment of the scale target's container. */
  containerEnv: Readonly<Record<string, string>>;
  /** Tidal's own environment (KEDA's operator pod's): the store's cloud identity when it uses Tidal's. */
  processEnvironment: Readonly<Record<string, string | undefined>>;
  /** Deadline of one call to the store. */
  signal?: AbortSignal;
}

/**
 * An external secret store a (Cluster)TriggerAuthentication may read parameters from: one module
 * per store in this folder, listed in index.ts. `resolve` returns parameter → value; errors name
 * the store, the authentication and the entry, never a value.
 */
export interface SecretStore<F extends SecretStoreField = SecretStoreField> {
  field: F;
  resolve(
    config: NonNullable<TriggerAuthenticationSpec[F]>,
    context: SecretStoreContext,
  ): Promise<Record<string, string>>;
}
