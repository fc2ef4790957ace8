import { readFile } from "node:fs/promises";
import type {
  HashiCorpVault,
  VaultPkiData,
  VaultSecret,
  VaultSecretType,
} from "../../api/schema/hashicorp-vault.ts";
import { messageOf } from "../../util/errors.ts";
import type { SecretStore, SecretStoreContext, StoreProblem } from "./types.ts";
import { vaultCall, vaultTlsFromEnv, type VaultAnswer, type VaultClientOptions } from "./vault-http.ts";

/** Where KEDA reads the operator's own service account token when `credential` is left out. */
export const DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** The body of a PKI issue request: KEDA's pkiData fields under Vault's names, empty ones left out. */
export function pkiRequest(pkiData: VaultPkiData | undefined): Record<string, string> {
  const fields: [keyof VaultPkiData, string][] = [
    ["commonName", "common_name"],
    ["altNames", "alt_names"],
    ["ipSans", "ip_sans"],
    ["uriSans", "uri_sans"],
    ["otherSans", "other_sans"],
    ["ttl", "ttl"],
    ["format", "format"],
  ];
  const body: Record<string, string> = {};
  for (const [field, name] of fields) {
    const value = pkiData?.[field];
    if (value) body[name] = value;
  }
  return body;
}

/** The kind a secret is read as: `""` becomes KV v2 when the answer has `data.data`, else KV v1. */
export function effectiveType(
  type: VaultSecretType | undefined,
  data: Record<string, unknown>,
): VaultSecretType {
  if (type === undefined || type === "") return Object.hasOwn(data, "data") ? "secretV2" : "secret";
  return type;
}

/**
 * The value a secret entry takes from what Vault answered for its path (`data`; undefined when
 * Vault has nothing there), as KEDA extracts it: KV v1 reads `data.<key>`, KV v2
 * `data.data.<key>`, PKI `data.<key>` with `ca_chain`'s list joined by newlines. Only strings are
 * values; anything else is an error naming the path and key.
 */
export function secretValue(
  secret: Pick<VaultSecret, "path" | "key" | "type">,
  data: Record<string, unknown> | null | undefined,
): { value: string } | { error: string } {
  const { key, path } = secret;
  if (data === undefined || data === null) return { error: `path "${path}" has no secret in Vault` };
  const kind = effectiveType(secret.type, data);
  let holder: Record<string, unknown> = data;
  if (kind === "secretV2") {
    const inner = data.data;
    if (inner === null || typeof inner !== "object" || Array.isArray(inner))
      return {
        error: `path "${path}" has no data.data (a deleted version, or not a KV version 2 path <mount>/data/<name>)`,
      };
    holder = inner as Record<string, unknown>;
  }
  if (!Object.hasOwn(holder, key)) return { error: `path "${path}" has no key "${key}"` };
  const value = holder[key];
  if (kind === "pki" && key === "ca_chain") {
    if (Array.isArray(value) && value.every((item) => typeof item === "string"))
      return { value: value.join("\n") };
    return { error: `path "${path}": key "${key}" is not a list of strings` };
  }
  if (typeof value === "string") return { value };
  return { error: `path "${path}": key "${key}" is not a string` };
}

/** Entries that read the same path the same way: Vault is asked once per group (one PKI certificate for its key and chain). */
export function groupSecrets(secrets: readonly VaultSecret[]): { entries: [number, VaultSecret][] }[] {
  const groups = new Map<string, { entries: [number, VaultSecret][] }>();
  for (const [index, secret] of secrets.entries()) {
    const id = JSON.stringify([
      secret.type ?? "",
      secret.path,
      secret.type === "pki" ? pkiRequest(secret.pkiData) : {},
    ]);
    let group = groups.get(id);
    if (group === undefined) groups.set(id, (group = { entries: [] }));
    group.entries.push([index, secret]);
  }
  return [...groups.values()];
}

type Fail = (where: string, message: string) => Error;

/** A token to call Vault with, as KEDA's handler gets one for `authentication`. */
async function vaultToken(
  config: HashiCorpVault,
  client: VaultClientOptions,
  context: SecretStoreContext,
  fail: Fail,
): Promise<string> {
  if (config.authentication === "token") {
    // KEDA's Go client takes VAULT_TOKEN from the operator's environment first.
    const token = context.processEnvironment.VAULT_TOKEN || config.credential?.token;
    if (!token)
      throw fail(
        "credential.token",
        "empty; give the Vault token, or set VAULT_TOKEN in Tidal's environment",
      );
    return token;
  }
  if (!config.mount) throw fail("mount", "empty; name the Kubernetes auth mount, e.g. kubernetes");
  if (!config.role) throw fail("role", "empty; name the Vault role to log in as");
  const credential = config.credential ?? { serviceAccount: DEFAULT_SERVICE_ACCOUNT_TOKEN_FILE };
  let jwt: string;
  if (credential.serviceAccountName) {
    try {
      // As KEDA: in the namespace of the ScaledObject/ScaledJob, also for a ClusterTriggerAuthentication.
      const issued = await context.sources.serviceAccountToken(
        context.objectNamespace,
        credential.serviceAccountName,
      );
      context.refreshBy(issued.refreshAt);
      jwt = issued.token;
    } catch (error) {
      throw fail("credential.serviceAccountName", messageOf(error));
    }
  } else if (credential.serviceAccount) {
    try {
      jwt = (await readFile(credential.serviceAccount, "utf8")).trim();
    } catch (error) {
      throw fail(
        "credential.serviceAccount",
        `cannot read the service account token file "${credential.serviceAccount}": ${(error as NodeJS.ErrnoException).code ?? "unreadable"}`,
      );
    }
  } else {
    throw fail("credential", "names neither serviceAccount (a token file) nor serviceAccountName");
  }
  let answer: VaultAnswer | undefined;
  try {
    answer = await vaultCall(client, "POST", `auth/${config.mount}/login`, { jwt, role: config.role });
  } catch (error) {
    throw fail(
      "authentication",
      `Kubernetes login at auth/${config.mount}/login as role "${config.role}" failed: ${messageOf(error)}`,
    );
  }
  const token = answer?.auth?.client_token;
  if (!token) throw fail("authentication", `auth/${config.mount}/login answered without a client token`);
  return token;
}

/**
 * `spec.hashiCorpVault`: logs in (token, or Kubernetes auth with a service account's JWT), checks
 * the token with `auth/token/lookup-self` and renews it once when it is renewable (what KEDA's
 * handler ends up doing for each resolution), then reads each path once: KV v1 and v2 with GET,
 * PKI certificates with a POST of `pkiData`. Where KEDA leaves a parameter empty (a path or key
 * Vault does not have, a value that is not a string), Tidal fails the authentication, naming the entry.
 */
export const hashiCorpVaultStore: SecretStore<"hashiCorpVault"> = {
  field: "hashiCorpVault",

  async resolve(config, context) {
    const fail: Fail = (where, message) => new Error(`${context.label}: hashiCorpVault.${where}: ${message}`);
    if (!config.address) throw fail("address", "empty; give Vault's URL, e.g. https://vault:8200");
    let tls;
    try {
      tls = vaultTlsFromEnv(context.processEnvironment);
    } catch (error) {
      throw fail("address", `TLS settings: ${messageOf(error)}`);
    }
    const client: VaultClientOptions = {
      address: config.address,
      namespace: config.namespace || context.processEnvironment.VAULT_NAMESPACE,
      tls,
      signal: context.signal,
    };
    client.token = await vaultToken(config, client, context, fail);
    let self: VaultAnswer | undefined;
    try {
      self = await vaultCall(client, "GET", "auth/token/lookup-self");
    } catch (error) {
      throw fail(
        config.authentication === "token" ? "credential.token" : "role",
        `the token is not accepted by Vault: ${messageOf(error)}`,
      );
    }
    if (self?.data?.renewable === true) {
      // KEDA starts a renewer that renews once before its handler stops; a failure is only logged.
      await vaultCall(client, "POST", "auth/token/renew-self", { increment: 0 }).catch(() => undefined);
    }
    const params: Record<string, string> = {};
    for (const group of groupSecrets(config.secrets)) {
      const [firstIndex, first] = group.entries[0] as [number, VaultSecret];
      const entryLabel = (index: number, secret: VaultSecret) =>
        `secrets[${index}] (parameter ${secret.parameter})`;
      let answer: VaultAnswer | undefined;
      try {
        answer =
          first.type === "pki"
            ? await vaultCall(client, "POST", first.path, pkiRequest(first.pkiData))
            : await vaultCall(client, "GET", first.path);
      } catch (error) {
        throw fail(entryLabel(firstIndex, first), `cannot read path "${first.path}": ${messageOf(error)}`);
      }
      for (const [index, secret] of group.entries) {
        const found = secretValue(secret, answer?.data);
        if ("error" in found) throw fail(entryLabel(index, secret), found.error);
        params[secret.parameter] = found.value;
      }
    }
    return params;
  },

  check(config) {
    const problems: StoreProblem[] = [];
    const error = (path: string, message: string) => problems.push({ path, message, severity: "error" });
    if (config.address === "")
      error("address", "must not be empty: give Vault's URL, e.g. https://vault:8200");
    else {
      const protocol = URL.parse(config.address)?.protocol;
      if (protocol !== "http:" && protocol !== "https:")
        error("address", `must be an http:// or https:// URL, got "${config.address}"`);
    }
    const credential = config.credential;
    if (config.authentication === "kubernetes") {
      if (!config.mount)
        error("mount", "is required with authentication kubernetes: the auth mount, e.g. kubernetes");
      if (!config.role)
        error("role", "is required with authentication kubernetes: the Vault role to log in as");
      if (credential !== undefined && !credential.serviceAccount && !credential.serviceAccountName)
        error(
          "credential",
          "needs serviceAccount (a token file) or serviceAccountName with authentication kubernetes; leave credential out to use the operator's own token",
        );
      if (credential?.token)
        problems.push({
          path: "credential.token",
          message: "is not used with authentication kubernetes",
          severity: "warning",
        });
      if (credential?.serviceAccountName)
        problems.push({
          path: "credential.serviceAccountName",
          message:
            "is a service account whose token comes from the cluster's TokenRequest API: `tidal operator` requests it; `tidal run` and `tidal probe` cannot",
          severity: "warning",
        });
    } else if (!credential?.token) {
      problems.push({
        path: "credential.token",
        message: "is empty: give the Vault token, or set VAULT_TOKEN in the environment of the operator",
        severity: "warning",
      });
    }
    for (const [index, secret] of config.secrets.entries()) {
      for (const field of ["parameter", "path", "key"] as const)
        if (secret[field] === "") error(`secrets[${index}].${field}`, "must not be empty");
      if (secret.pkiData !== undefined && secret.type !== "pki")
        problems.push({
          path: `secrets[${index}].pkiData`,
          message: "is only sent with type: pki; add type: pki to issue a certificate",
          severity: "warning",
        });
    }
    return problems;
  },
};
