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
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { fakeTls } from "./tls.ts";

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
  readonly requests: { path: string; status: number }[];
  close(): Promise<void>;
}

export async function startFakeKeyVault(options: {
  authority: string;
  tenantId: string;
}): Promise<FakeKeyVault> {
  const tls = await fakeTls();
  const secrets = new Map<string, Map<string, string>>();
  const latest = new Map<string, string>();
  const accepted = new Set<string>();
  const forbidden = new Set<string>();
  const requests: FakeKeyVault["requests"] = [];
  let vaultUri = "";
  let counter = 0;

  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (request, response) => {
    const url = new URL(request.url ?? "/", vaultUri);
    request.resume();
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      requests.push({ path: url.pathname, status });
      response
        .writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers })
        .end(JSON.stringify(body));
    };
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
          message: "The user, group or application does not have secrets get permission on key vault 'fake'.",
          innererror: { code: "AccessDenied" },
        },
      });
    }
    if (!accepted.has(token)) {
      return json(401, { error: { code: "Unauthorized", message: "AKV10032: Invalid issuer." } }, challenge);
    }
    const match = url.pathname.match(/^\/secrets\/([^/]+)(?:\/([^/]*))?$/);
    if (request.method !== "GET" || !match) {
      return json(400, {
        error: {
          code: "BadParameter",
          message: `${request.method} ${url.pathname} is not served by this fake.`,
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
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  vaultUri = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
