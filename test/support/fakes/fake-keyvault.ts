/**
 * fake-keyvault: a loopback fake of Azure Key Vault's documented secrets REST API as
 * `SecretClient` calls it, over HTTPS:
 *
 * - `GET /secrets/<name>[/<version>]?api-version=…` without a token answers 401 with the
 *   challenge `WWW-Authenticate: Bearer authorization="<authority>/<tenant>", resource="<vault>"`,
 *   from which the SDK learns the tenant and the scope (`<resource>/.default`). The resource is
 *   the vault's own URL: the SDK accepts it only when told the vault's resource
 *   (`cloud.keyVaultResourceURL`), since a loopback address has no parent domain such as
 *   `vault.azure.net`;
 * - with `Authorization: Bearer <token>` for a token the test accepts: `{value, id, attributes}`,
 *   or 404 `{error: {code: "SecretNotFound", message}}`; an unknown token is 401, a known token
 *   without access 403 `{error: {code: "Forbidden"}}`.
 */
import { sendJson, serveLoopback, type RecordedExchange } from "./loopback.ts";

export interface FakeKeyVault {
  /** https://127.0.0.1:<port> (the vaultUri). */
  readonly vaultUri: string;
  /** The scope a token must be issued for: `<vaultUri>/.default`. */
  readonly scope: string;
  /** Stores a secret version; the last one set is the latest. */
  setSecret(name: string, value: string, version?: string): void;
  acceptToken(token: string): void;
  /** Tokens that are valid but have no access to secrets (403). */
  forbidToken(token: string): void;
  readonly requests: RecordedExchange[];
  close(): Promise<void>;
}

export async function startFakeKeyVault(options: {
  authority: string;
  tenantId: string;
}): Promise<FakeKeyVault> {
  const secrets = new Map<string, Map<string, string>>();
  const latest = new Map<string, string>();
  const accepted = new Set<string>();
  const forbidden = new Set<string>();
  let vaultUri = "";
  let counter = 0;

  const server = await serveLoopback(
    (request, response) => {
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
        sendJson(response, status, body, headers);
      const authorization = request.headers.authorization ?? "";
      const challenge = {
        "www-authenticate": `Bearer authorization="${options.authority}/${options.tenantId}", resource="${vaultUri}"`,
      };
      if (!authorization.startsWith("Bearer ")) {
        return json(
          401,
          { error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." } },
          challenge,
        );
      }
      const token = authorization.slice("Bearer ".length);
      if (forbidden.has(token)) {
        return json(403, {
          error: {
            code: "Forbidden",
            message:
              "The user, group or application does not have secrets get permission on key vault 'fake'.",
            innererror: { code: "AccessDenied" },
          },
        });
      }
      if (!accepted.has(token)) {
        return json(
          401,
          { error: { code: "Unauthorized", message: "AKV10032: Invalid issuer." } },
          challenge,
        );
      }
      const match = request.path.match(/^\/secrets\/([^/]+)(?:\/([^/]*))?$/);
      if (request.method !== "GET" || !match) {
        return json(400, {
          error: {
            code: "BadParameter",
            message: `${request.method} ${request.path} is not served by this fake.`,
          },
        });
      }
      const name = decodeURIComponent(match[1] as string);
      const version = match[2] || latest.get(name);
      const value = version === undefined ? undefined : secrets.get(name)?.get(version);
      if (value === undefined) {
        return json(404, {
          error: {
            code: "SecretNotFound",
            message: `A secret with (name/id) ${name}${match[2] ? `/${match[2]}` : ""} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`,
          },
        });
      }
      return json(200, {
        value,
        id: `${vaultUri}/secrets/${name}/${version}`,
        attributes: {
          enabled: true,
          created: 1767225600,
          updated: 1767225600,
          recoveryLevel: "Recoverable+Purgeable",
        },
        tags: {},
      });
    },
    { tls: true },
  );
  vaultUri = server.origin;
  return {
    vaultUri,
    scope: `${vaultUri}/.default`,
    setSecret: (name, value, version) => {
      const id = version ?? `v${(counter += 1).toString(16).padStart(31, "0")}`;
      const versions = secrets.get(name) ?? new Map<string, string>();
      versions.set(id, value);
      secrets.set(name, versions);
      latest.set(name, id);
    },
    acceptToken: (token) => void accepted.add(token),
    forbidToken: (token) => void forbidden.add(token),
    requests: server.requests,
    close: () => server.close(),
  };
}
