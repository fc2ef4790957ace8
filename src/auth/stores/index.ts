import { awsSecretManagerStore } from "./aws-secret-manager.ts";
import { azureKeyVaultStore } from "./azure-key-vault.ts";
import { boundServiceAccountTokenStore } from "./bound-service-account-token.ts";
import { gcpSecretManagerStore } from "./gcp-secret-manager.ts";
import { hashiCorpVaultStore } from "./hashicorp-vault.ts";
import type { SecretStore } from "./types.ts";

/**
 * The secret stores Tidal reads, in KEDA's order of precedence (later ones overwrite earlier
 * parameters): hashiCorpVault, azureKeyVault, gcpSecretManager, awsSecretManager,
 * boundServiceAccountToken. A store's client library is loaded only when an authentication uses it.
 */
export const SECRET_STORES: readonly SecretStore[] = [
  hashiCorpVaultStore as SecretStore,
  azureKeyVaultStore as SecretStore,
  gcpSecretManagerStore as SecretStore,
  awsSecretManagerStore as SecretStore,
  boundServiceAccountTokenStore as SecretStore,
];
