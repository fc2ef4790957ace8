/**
 * fake-entra: a loopback fake of Microsoft Entra ID's documented OAuth 2.0 endpoints, as MSAL (under
 * `@azure/identity`) calls them for an authority `https://127.0.0.1:<port>/<tenant>`:
 *
 * - `GET /common/discovery/instance` (instance discovery) and
 *   `GET /<tenant>/v2.0/.well-known/openid-configuration` (the token endpoint's address);
 * - `POST /<tenant>/oauth2/v2.0/token` with `grant_type=client_credentials`, `client_id`, `scope`
 *   and either `client_secret` (an app's secret) or `client_assertion` with
 *   `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer` (a workload
 *   identity's federated service-account token). It answers `{token_type, expires_in,
 *   access_token}`, or 400/401 with `{error, error_description: "AADSTS…"}`.
 *
 * Tokens are deterministic (`tokenFor(clientId, scope)`), so a fake service can be told which to
 * accept; `issueToken` replaces them where a real server checks the token (a JWT it trusts). HTTPS with the fakes' certificate: MSAL refuses an authority that is not https.
 */
import { createHash } from "node:crypto";
import { sendJson, serveLoopback } from "./loopback.ts";

export interface FakeEntraApp {
  tenantId: string;
  clientId: string;
  /** A client secret the app accepts. */
  clientSecret?: string;
  /** A federated token (the service account token's content) the app accepts as an assertion. */
  federatedToken?: string;
}

export interface FakeEntra {
  /** https://127.0.0.1:<port> */
  readonly authorityHost: string;
  addApp(app: FakeEntraApp): void;
  /** The access token issued to `clientId` for `scope` (e.g. https://servicebus.azure.net/.default). */
  tokenFor(clientId: string, scope: string): string;
  /** Token requests: client, scope, grant kind, status. */
  readonly requests: {
    clientId: string;
    scope: string;
    kind: "secret" | "assertion" | "none";
    status: number;
  }[];
  close(): Promise<void>;
}

export interface FakeEntraOptions {
  /** The access token issued to `clientId` for `scope`, instead of the deterministic default. */
  issueToken?: (clientId: string, scope: string) => string;
}

export async function startFakeEntra(options: FakeEntraOptions = {}): Promise<FakeEntra> {
  const apps = new Map<string, FakeEntraApp>();
  const requests: FakeEntra["requests"] = [];
  let authorityHost = "";
  const tokenFor =
    options.issueToken ??
    ((clientId: string, scope: string) =>
      `fake-entra.${createHash("sha256").update(`${clientId} ${scope}`).digest("hex").slice(0, 32)}`);

  const server = await serveLoopback(
    (request, response) => {
      const json = (status: number, body: unknown) => sendJson(response, status, body);
      if (request.method === "GET" && request.path === "/common/discovery/instance") {
        const host = new URL(authorityHost).host;
        return json(200, {
          tenant_discovery_endpoint: `${authorityHost}/common/v2.0/.well-known/openid-configuration`,
          "api-version": "1.1",
          metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
        });
      }
      const discovery = request.path.match(/^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/);
      if (request.method === "GET" && discovery) {
        const tenant = discovery[1] as string;
        return json(200, {
          token_endpoint: `${authorityHost}/${tenant}/oauth2/v2.0/token`,
          authorization_endpoint: `${authorityHost}/${tenant}/oauth2/v2.0/authorize`,
          end_session_endpoint: `${authorityHost}/${tenant}/oauth2/v2.0/logout`,
          issuer: `${authorityHost}/${tenant}/v2.0`,
          jwks_uri: `${authorityHost}/${tenant}/discovery/v2.0/keys`,
          response_types_supported: ["code", "id_token", "token"],
          subject_types_supported: ["pairwise"],
          id_token_signing_alg_values_supported: ["RS256"],
        });
      }
      const token = request.path.match(/^\/([^/]+)\/oauth2\/v2\.0\/token$/);
      if (request.method === "POST" && token) {
        const form = new URLSearchParams(request.body);
        const clientId = form.get("client_id") ?? "";
        const scope = (form.get("scope") ?? "")
          .split(" ")
          .filter((item) => !["openid", "profile", "offline_access"].includes(item))
          .join(" ");
        const secret = form.get("client_secret");
        const assertion = form.get("client_assertion");
        const kind = secret ? "secret" : assertion ? "assertion" : "none";
        const refuse = (status: number, error: string, description: string) => {
          requests.push({ clientId, scope, kind, status });
          json(status, {
            error,
            error_description: `${description}\r\nTrace ID: fake\r\nCorrelation ID: fake\r\nTimestamp: 2026-01-01 00:00:00Z`,
            error_codes: [Number(/AADSTS(\d+)/.exec(description)?.[1] ?? 0)],
            timestamp: "2026-01-01 00:00:00Z",
            trace_id: "fake",
            correlation_id: "fake",
          });
        };
        const app = apps.get(clientId);
        if (app === undefined || app.tenantId !== token[1]) {
          return refuse(
            400,
            "unauthorized_client",
            `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${token[1]}'.`,
          );
        }
        if (form.get("grant_type") !== "client_credentials") {
          return refuse(
            400,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type.",
          );
        }
        if (secret !== null) {
          if (secret !== app.clientSecret)
            return refuse(
              401,
              "invalid_client",
              `AADSTS7000215: Invalid client secret provided for app '${clientId}'.`,
            );
        } else if (assertion !== null) {
          if (form.get("client_assertion_type") !== "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            return refuse(400, "invalid_request", "AADSTS50027: Invalid client_assertion_type.");
          if (assertion !== app.federatedToken)
            return refuse(
              400,
              "invalid_client",
              "AADSTS700213: No matching federated identity record found for presented assertion subject.",
            );
        } else {
          return refuse(
            401,
            "invalid_client",
            "AADSTS7000218: The request body must contain client_assertion or client_secret.",
          );
        }
        requests.push({ clientId, scope, kind, status: 200 });
        return json(200, {
          token_type: "Bearer",
          expires_in: 3599,
          ext_expires_in: 3599,
          access_token: tokenFor(clientId, scope),
        });
      }
      json(404, {
        error: "not_found",
        error_description: `AADSTS90002: ${request.path} is not served by this fake.`,
      });
    },
    { tls: true },
  );
  authorityHost = server.origin;
  return {
    authorityHost,
    addApp: (app) => void apps.set(app.clientId, app),
    tokenFor,
    requests,
    close: () => server.close(),
  };
}
