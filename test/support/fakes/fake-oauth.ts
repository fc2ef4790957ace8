/**
 * fake-oauth: a loopback OAuth 2.0 authorization server's token endpoint (RFC 6749 section 4.4,
 * client credentials) issuing RS256-signed JWT access tokens, for servers that validate such
 * tokens themselves: RabbitMQ's rabbitmq_auth_backend_oauth2 (configured with the public key) and
 * Kafka's OAUTHBEARER validator (reading the JWKS file the test setup wrote). The signing key is
 * the one `scripts/services.sh` generated for that server.
 *
 * `POST /token` with `grant_type=client_credentials`, the client authenticated by HTTP basic
 * (`client_id:client_secret`, each form-encoded, RFC 6749 section 2.3.1) or by `client_id` and
 * `client_secret` in the form (unless the client is `basicOnly`/`formOnly`). The token's claims:
 * `iss`, `sub` and `client_id` (the client), `aud` (the client's audience, or the `audience`
 * parameter), `scope` (the requested scope, else the client's default scopes), `iat`, `exp`, and
 * any extra claims of the client. Answers `{access_token, token_type: "bearer", expires_in}` or
 * 400/401 `{error, error_description}`. Every request is recorded.
 */
import { createPrivateKey, sign, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface FakeOAuthClient {
  id: string;
  secret: string;
  /** Scopes when the request names none. */
  defaultScopes?: string[];
  audience?: string | string[];
  /** Extra claims (e.g. Kafka's `sub` needs nothing more; RabbitMQ reads `scope` and `aud`). */
  claims?: Record<string, unknown>;
  /** Only this way of sending the credentials is accepted (some servers refuse the other). */
  only?: "basic" | "form";
}

export interface FakeOAuthRequest {
  clientId: string;
  via: "basic" | "form" | "none";
  form: Record<string, string[]>;
  status: number;
}

export interface FakeOAuth {
  /** http(s)://127.0.0.1:<port>/token */
  readonly tokenUrl: string;
  readonly requests: FakeOAuthRequest[];
  addClient(client: FakeOAuthClient): void;
  /** The claims of a token this server issued. */
  claimsOf(token: string): Record<string, unknown>;
  /** Tokens issued from now on expire after this many seconds (default 3600). */
  setLifetime(seconds: number): void;
  close(): Promise<void>;
}

export interface FakeOAuthOptions {
  /** PEM file of the RSA private key (the key the server under test trusts). */
  keyFile: string;
  /** The JWT header's `kid`. */
  keyId: string;
  /** Serve HTTPS with this certificate and key instead of HTTP. */
  tls?: { cert: string; key: string };
  issuer?: string;
}

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString("base64url");
}

export function signJwt(key: KeyObject, keyId: string, claims: Record<string, unknown>): string {
  const header = base64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: keyId }));
  const payload = base64url(JSON.stringify(claims));
  const signature = sign("sha256", Buffer.from(`${header}.${payload}`), key);
  return `${header}.${payload}.${base64url(signature)}`;
}

function formDecode(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, " "));
}

export async function startFakeOAuth(options: FakeOAuthOptions): Promise<FakeOAuth> {
  const key = createPrivateKey(readFileSync(options.keyFile));
  const clients = new Map<string, FakeOAuthClient>();
  const requests: FakeOAuthRequest[] = [];
  let lifetime = 3600;
  const issuer = options.issuer ?? "tidal-fake-oauth";

  const handler = (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const json = (status: number, body: unknown) =>
        response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      const url = new URL(request.url ?? "/", "http://127.0.0.1");
      if (request.method !== "POST" || url.pathname !== "/token") return json(404, { error: "not_found" });
      const form: Record<string, string[]> = {};
      for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString("utf8"))) {
        (form[name] ??= []).push(value);
      }
      let clientId = "";
      let secret: string | undefined;
      let via: FakeOAuthRequest["via"] = "none";
      const basic = /^Basic (.+)$/i.exec(request.headers.authorization ?? "");
      if (basic) {
        const decoded = Buffer.from(basic[1] as string, "base64").toString("utf8");
        const colon = decoded.indexOf(":");
        clientId = formDecode(decoded.slice(0, colon));
        secret = formDecode(decoded.slice(colon + 1));
        via = "basic";
      } else if (form.client_id) {
        clientId = form.client_id[0] ?? "";
        secret = form.client_secret?.[0] ?? "";
        via = "form";
      }
      const refuse = (status: number, error: string, description: string) => {
        requests.push({ clientId, via, form, status });
        json(status, { error, error_description: description });
      };
      if (form.grant_type?.[0] !== "client_credentials") {
        return refuse(400, "unsupported_grant_type", "only client_credentials is supported");
      }
      const client = clients.get(clientId);
      if (!client || client.secret !== secret)
        return refuse(401, "invalid_client", "unknown client or bad secret");
      if (client.only && client.only !== via) {
        return refuse(401, "invalid_client", `send the client credentials by ${client.only}`);
      }
      const now = Math.floor(Date.now() / 1000);
      const requested = form.scope?.[0];
      const scope =
        requested !== undefined && requested !== "" ? requested : (client.defaultScopes ?? []).join(" ");
      const claims = {
        iss: issuer,
        sub: client.id,
        client_id: client.id,
        aud: form.audience?.[0] ?? client.audience ?? "tidal",
        scope,
        iat: now,
        nbf: now - 5,
        exp: now + lifetime,
        ...client.claims,
      };
      requests.push({ clientId, via, form, status: 200 });
      json(200, {
        access_token: signJwt(key, options.keyId, claims),
        token_type: "bearer",
        expires_in: lifetime,
      });
    });
  };

  const server: Server = options.tls ? createHttpsServer(options.tls, handler) : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const tokenUrl = `${options.tls ? "https" : "http"}://127.0.0.1:${port}/token`;
  return {
    tokenUrl,
    requests,
    addClient: (client) => clients.set(client.id, client),
    claimsOf: (token) =>
      JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as Record<
        string,
        unknown
      >,
    setLifetime: (seconds) => {
      lifetime = seconds;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
