import { azureKeyVaultStore } from "./azure-key-vault.ts";
import { awsSecretManagerStore } from "./aws-secret-manager.ts";
import { gcpSecretManagerStore } from "./gcp-secret-manager.ts";
import type { SecretStore } from "./types.ts";

/**
 * The secret stores Tidal reads, in KEDA's order of precedence (later ones overwrite earlier
 * parameters). A store's module is loaded by its own file only when an authentication uses it.
 */
export const SECRET_STORES: readonly SecretStore[] = [
  azureKeyVaultStore as SecretStore,
  gcpSecretManagerStore as SecretStore,
  awsSecretManagerStore as SecretStore,
];
