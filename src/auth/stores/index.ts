import { gcpSecretManagerStore } from "./gcp-secret-manager.ts";
import type { SecretStore } from "./types.ts";

/**
 * The secret stores Tidal reads, in KEDA's order of precedence (later ones overwrite earlier
 * parameters). A store's module is loaded by its own file only when an authentication uses it.
 */
export const SECRET_STORES: readonly SecretStore[] = [gcpSecretManagerStore as SecretStore];
