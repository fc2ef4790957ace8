/**
 * fake-vault: a loopback server that speaks the part of HashiCorp Vault's documented HTTP API
 * (`/v1/...`, JSON, `X-Vault-Token`, `X-Vault-Namespace`, errors as `{"errors": [...]}`) that
 * Tidal's hashiCorpVault store calls: token lookup-self and renew-self, Kubernetes auth login (with
 * a TokenReview the test supplies, so a real API server can check the JWT), KV version 1 and 2
 * reads, and PKI issue with real certificates. Only for tests: OpenBao cannot be built from the Go
 * module proxy here (see scripts/services/ and the store's documentation).
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import { generate } from "selfsigned";
import { parseDuration } from "../../../src/util/go/duration.ts";
import { serveLoopback, type LoopbackRequest, type LoopbackServer, type LoopbackTls } from "./loopback.ts";

interface TokenInfo {
  renewable: boolean;
  ttl: number;
  /** Path prefixes (after the namespace) the token may use; `*` for all. */
  paths: string[];
  namespace: string;
  renewals: number;
}

export interface KubernetesRole {
  boundServiceAccountNames: string[];
  boundServiceAccountNamespaces: string[];
  /** Path prefixes the issued token may read. */
  paths: string[];
}

/** What the test's TokenReview says about a JWT: its service account, or undefined when invalid. */
export type TokenReviewer = (jwt: string) => Promise<{ namespace: string; name: string } | undefined>;

export interface RecordedVaultRequest {
  method: string;
  path: string;
  namespace: string;
  token: string | undefined;
  body: unknown;
}

type Mount =
  | { kind: "kv1" | "kv2"; secrets: Map<string, Record<string, unknown>> }
  | { kind: "pki"; roles: Set<string>; ca: { cert: string; key: string } }
  | { kind: "kubernetes"; roles: Map<string, KubernetesRole>; review: TokenReviewer };

export class FakeVault {
  readonly address: string;
  /** The CA that signed the server's certificate when started with `tls`. */
  readonly caPem: string | undefined;
  readonly requests: RecordedVaultRequest[] = [];
  readonly #server: LoopbackServer;
  readonly #tokens = new Map<string, TokenInfo>();
  /** `${namespace}|${path}` → mount. */
  readonly #mounts = new Map<string, Mount>();

  private constructor(server: LoopbackServer, caPem: string | undefined) {
    this.#server = server;
    this.address = server.origin;
    this.caPem = caPem;
  }

  /** Starts on 127.0.0.1:<random port>, over HTTPS with a fresh CA when `tls` is set. */
  static async start(options: { tls?: boolean } = {}): Promise<FakeVault> {
    const holder: { fake?: FakeVault } = {};
    let tls: LoopbackTls = false;
    let caPem: string | undefined;
    if (options.tls) {
      const ca = await certificateAuthority("fake-vault CA");
      caPem = ca.cert;
      const serving = await generate([{ name: "commonName", value: "127.0.0.1" }], {
        keyType: "ec",
        algorithm: "sha256",
        ca,
        extensions: [
          { name: "basicConstraints", cA: false },
          { name: "subjectAltName", altNames: [{ type: 7, ip: "127.0.0.1" }] },
        ],
      });
      tls = { cert: serving.cert, key: serving.private };
    }
    const server = await serveLoopback((request, response) => holder.fake?.handle(request, response), {
      tls,
    });
    holder.fake = new FakeVault(server, caPem);
    return holder.fake;
  }

  /** A token for `paths` (default all), like `vault token create`. */
  createToken(
    options: { renewable?: boolean; ttl?: number; paths?: string[]; namespace?: string } = {},
  ): string {
    const token = `hvs.${randomBytes(18).toString("base64url")}`;
    this.#tokens.set(token, {
      renewable: options.renewable ?? false,
      ttl: options.ttl ?? 0,
      paths: options.paths ?? ["*"],
      namespace: options.namespace ?? "",
      renewals: 0,
    });
    return token;
  }

  /** How often `token` was renewed with renew-self. */
  renewals(token: string): number {
    return this.#tokens.get(token)?.renewals ?? 0;
  }

  /** `vault secrets enable -path=PATH kv` (version 1 or 2). */
  enableKv(path: string, version: 1 | 2, namespace = ""): void {
    this.#mounts.set(`${namespace}|${path}`, { kind: version === 1 ? "kv1" : "kv2", secrets: new Map() });
  }

  /** `vault kv put MOUNT/NAME key=value...` */
  putSecret(mount: string, name: string, data: Record<string, unknown>, namespace = ""): void {
    const found = this.#mounts.get(`${namespace}|${mount}`);
    if (found?.kind !== "kv1" && found?.kind !== "kv2") throw new Error(`no KV mount ${mount}`);
    found.secrets.set(name, data);
  }

  /** `vault secrets enable -path=PATH pki` with a generated root CA and roles that allow any name. */
  async enablePki(path: string, roles: string[], namespace = ""): Promise<void> {
    this.#mounts.set(`${namespace}|${path}`, {
      kind: "pki",
      roles: new Set(roles),
      ca: await certificateAuthority(`fake-vault ${path} root`),
    });
  }

  /** `vault auth enable -path=MOUNT kubernetes` with roles; `review` checks the JWTs. */
  enableKubernetesAuth(mount: string, roles: Record<string, KubernetesRole>, review: TokenReviewer): void {
    this.#mounts.set(`|auth/${mount}`, { kind: "kubernetes", roles: new Map(Object.entries(roles)), review });
  }

  close(): Promise<void> {
    return this.#server.close();
  }

  async handle(request: LoopbackRequest, response: ServerResponse): Promise<void> {
    const answer = (status: number, body?: unknown) => {
      if (body === undefined) response.writeHead(status).end();
      else response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    const fail = (status: number, ...errors: string[]) => answer(status, { errors });
    try {
      const body = request.body === "" ? {} : (JSON.parse(request.body) as Record<string, unknown>);
      const method = request.method;
      const namespace = String(request.headers["x-vault-namespace"] ?? "").replace(/^\/|\/$/g, "");
      const token = request.headers["x-vault-token"] as string | undefined;
      if (!request.path.startsWith("/v1/")) return fail(404);
      const path = request.path.slice(4).replace(/\/$/, "");
      this.requests.push({ method, path, namespace, token, body });

      const login = /^auth\/(.+)\/login$/.exec(path);
      if (login && method !== "GET")
        return await this.#login(login[1] as string, body, namespace, answer, fail);

      const info = token === undefined ? undefined : this.#tokens.get(token);
      if (info === undefined || info.namespace !== namespace) return fail(403, "permission denied");
      if (path === "auth/token/lookup-self" && method === "GET")
        return answer(200, {
          request_id: randomUUID(),
          data: {
            id: token,
            renewable: info.renewable,
            ttl: info.ttl,
            policies: ["default"],
            path: "auth/token/create",
          },
        });
      if (path === "auth/token/renew-self" && (method === "POST" || method === "PUT")) {
        if (!info.renewable) return fail(400, "lease is not renewable");
        info.renewals += 1;
        return answer(200, {
          request_id: randomUUID(),
          auth: { client_token: token, renewable: true, lease_duration: info.ttl },
        });
      }
      if (!info.paths.some((prefix) => prefix === "*" || path === prefix || path.startsWith(`${prefix}/`)))
        return fail(403, "permission denied");
      const mounted = this.#findMount(namespace, path);
      if (mounted === undefined) return fail(404, `no handler for route "${path}". route entry not found.`);
      const [mount, rest] = mounted;
      if (mount.kind === "kv1" || mount.kind === "kv2") {
        if (method !== "GET") return fail(405, "unsupported operation");
        const name = mount.kind === "kv2" ? /^data\/(.+)$/.exec(rest)?.[1] : rest;
        if (name === undefined) return fail(404);
        const data = mount.secrets.get(name);
        if (data === undefined) return fail(404);
        return answer(200, {
          request_id: randomUUID(),
          lease_duration: mount.kind === "kv1" ? 2764800 : 0,
          data:
            mount.kind === "kv2"
              ? { data, metadata: { version: 1, created_time: new Date().toISOString(), deletion_time: "" } }
              : data,
        });
      }
      if (mount.kind === "pki") {
        const issue = /^issue\/(.+)$/.exec(rest);
        if (issue === null || (method !== "POST" && method !== "PUT"))
          return fail(405, "unsupported operation");
        if (!mount.roles.has(issue[1] as string)) return fail(400, `unknown role: ${issue[1]}`);
        return answer(200, { request_id: randomUUID(), data: await issueCertificate(mount.ca, body) });
      }
      return fail(405, "unsupported operation");
    } catch (error) {
      return fail(500, `fake-vault: ${(error as Error).message}`);
    }
  }

  #findMount(namespace: string, path: string): [Mount, string] | undefined {
    const parts = path.split("/");
    for (let length = parts.length; length > 0; length -= 1) {
      const mount = this.#mounts.get(`${namespace}|${parts.slice(0, length).join("/")}`);
      if (mount) return [mount, parts.slice(length).join("/")];
    }
    return undefined;
  }

  async #login(
    mountPath: string,
    body: Record<string, unknown>,
    namespace: string,
    answer: (status: number, body?: unknown) => void,
    fail: (status: number, ...errors: string[]) => void,
  ): Promise<void> {
    const mount = this.#mounts.get(`${namespace}|auth/${mountPath}`);
    if (mount?.kind !== "kubernetes") return fail(400, `no handler for route "auth/${mountPath}/login"`);
    const roleName = String(body.role ?? "");
    if (roleName === "") return fail(400, "missing role");
    const role = mount.roles.get(roleName);
    if (role === undefined) return fail(400, `invalid role name "${roleName}"`);
    const jwt = String(body.jwt ?? "");
    if (jwt === "") return fail(400, "missing jwt");
    const account = await mount.review(jwt);
    if (account === undefined) return fail(403, "permission denied");
    if (!role.boundServiceAccountNames.includes(account.name) && !role.boundServiceAccountNames.includes("*"))
      return fail(403, "service account name not authorized");
    if (
      !role.boundServiceAccountNamespaces.includes(account.namespace) &&
      !role.boundServiceAccountNamespaces.includes("*")
    )
      return fail(403, "namespace not authorized");
    const token = this.createToken({ renewable: true, ttl: 3600, paths: role.paths, namespace });
    return answer(200, {
      request_id: randomUUID(),
      auth: {
        client_token: token,
        accessor: randomUUID(),
        policies: ["default"],
        lease_duration: 3600,
        renewable: true,
        metadata: {
          role: roleName,
          service_account_name: account.name,
          service_account_namespace: account.namespace,
        },
      },
    });
  }
}

async function certificateAuthority(commonName: string): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: "commonName", value: commonName }], {
    keyType: "ec",
    algorithm: "sha256",
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** Vault's PKI issue: a certificate for common_name (+ alt_names, ip_sans) signed by the mount's CA. */
async function issueCertificate(
  ca: { cert: string; key: string },
  body: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const commonName = String(body.common_name ?? "");
  if (commonName === "") throw new Error("the common_name field is required");
  const ttlMs = parseDuration(String(body.ttl ?? "")) || 72 * 3600_000;
  const notBeforeDate = new Date(Date.now() - 30_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + ttlMs);
  const names = [commonName, ...String(body.alt_names ?? "").split(",")]
    .map((name) => name.trim())
    .filter(Boolean);
  const ips = String(body.ip_sans ?? "")
    .split(",")
    .map((ip) => ip.trim())
    .filter(Boolean);
  const pems = await generate([{ name: "commonName", value: commonName }], {
    keyType: "ec",
    algorithm: "sha256",
    ca,
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: false },
      {
        name: "subjectAltName",
        altNames: [
          ...names.map((value) => ({ type: 2 as const, value })),
          ...ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  const der = (pem: string) => pem.replace(/-----[^-]+-----|\s/g, "");
  const format = String(body.format ?? "pem");
  return {
    certificate: format === "der" ? der(pems.cert) : pems.cert.trim(),
    issuing_ca: format === "der" ? der(ca.cert) : ca.cert.trim(),
    ca_chain: [format === "der" ? der(ca.cert) : ca.cert.trim()],
    private_key: pems.private.trim(),
    private_key_type: "ec",
    serial_number: randomBytes(8).toString("hex").match(/../g)?.join(":"),
    expiration: Math.floor(notAfterDate.getTime() / 1000),
  };
}
