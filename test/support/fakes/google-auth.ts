/**
 * What the Google API fakes share: service-account keys made for a test, the bearer tokens the
 * fakes accept (self-signed JWTs of a trusted service account, as the client libraries send for a
 * key; or access tokens the fake metadata server issued to the workload) and Google's error format.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from "node:crypto";
import type { ServerResponse } from "node:http";

export interface FakeServiceAccount {
  email: string;
  projectId: string;
  keyId: string;
  /** The key file's contents, as a user would put it in a Secret. */
  keyJson: string;
  /** The PEM private key alone, to check that it never appears in output. */
  privateKey: string;
  publicKey: KeyObject;
}

/** A new service account of `projectId` with its own RSA key (a key file as Google issues it). */
export function fakeServiceAccount(projectId: string, name = "tidal-test"): FakeServiceAccount {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const email = `${name}@${projectId}.iam.gserviceaccount.com`;
  const keyId = randomBytes(20).toString("hex");
  const keyJson = JSON.stringify({
    type: "service_account",
    project_id: projectId,
    private_key_id: keyId,
    private_key: pem,
    client_email: email,
    client_id: "1".repeat(21),
    auth_uri: "https://accounts.google.com/o/oauth2/auth",
    token_uri: "https://oauth2.googleapis.com/token",
    universe_domain: "googleapis.com",
  });
  return { email, projectId, keyId, keyJson, privateKey: pem, publicKey: createPublicKey(pem) };
}

export type Principal = { kind: "serviceAccount"; email: string } | { kind: "workload"; token: string };

/** The credentials a fake accepts. One set can be shared by several fakes (metadata issues, others check). */
export class FakeGoogleTokens {
  readonly #accounts = new Map<string, FakeServiceAccount>();
  readonly #tokens = new Set<string>();

  trust(account: FakeServiceAccount): void {
    this.#accounts.set(account.email, account);
  }

  /** A new access token for the workload (what the metadata server hands out). */
  issue(): string {
    const token = `ya29.fake-${randomBytes(24).toString("base64url")}`;
    this.#tokens.add(token);
    return token;
  }

  /** Who an Authorization header authenticates, or why it does not. */
  check(authorization: string | undefined): Principal | { rejected: string } {
    const match = /^Bearer (\S+)$/i.exec(authorization ?? "");
    if (!match) return { rejected: "the request has no bearer token" };
    const token = match[1] as string;
    if (this.#tokens.has(token)) return { kind: "workload", token };
    const parts = token.split(".");
    if (parts.length !== 3) return { rejected: "the token is neither a known access token nor a JWT" };
    const [header, payload, signature] = parts as [string, string, string];
    let claims: { iss?: string; exp?: number; iat?: number };
    try {
      claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as typeof claims;
      const head = JSON.parse(Buffer.from(header, "base64url").toString()) as { alg?: string };
      if (head.alg !== "RS256") return { rejected: "the JWT is not signed with RS256" };
    } catch {
      return { rejected: "the JWT cannot be decoded" };
    }
    const account = this.#accounts.get(claims.iss ?? "");
    if (account === undefined) return { rejected: "the JWT's issuer is not a known service account" };
    const signed = verify(
      "RSA-SHA256",
      Buffer.from(`${header}.${payload}`),
      account.publicKey,
      Buffer.from(signature, "base64url"),
    );
    if (!signed) return { rejected: "the JWT's signature does not match the service account's key" };
    if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now())
      return { rejected: "the JWT expired" };
    return { kind: "serviceAccount", email: account.email };
  }
}

/** Google's JSON error body for a REST call. */
export function sendGoogleError(
  response: ServerResponse,
  httpStatus: number,
  status: string,
  message: string,
): void {
  response
    .writeHead(httpStatus, { "content-type": "application/json; charset=UTF-8" })
    .end(JSON.stringify({ error: { code: httpStatus, message, status } }));
}

export function sendJson(response: ServerResponse, body: unknown): void {
  response.writeHead(200, { "content-type": "application/json; charset=UTF-8" }).end(JSON.stringify(body));
}
