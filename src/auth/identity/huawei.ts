/**
 * Huawei Cloud's AK/SK request signing as KEDA's client (Huawei's gophercloud) does it: the
 * `SDK-HMAC-SHA256` scheme. Every header of the request is signed; the canonical request is the
 * method, the path (ending in `/`, percent-encoded but for `/`), the sorted query, the sorted
 * headers, their names and the body's SHA-256; the key is derived from `SDK<secret key>` over
 * the date, the (empty) region and service, and `sdk_request`.
 */
import { createHash, createHmac } from "node:crypto";

export const HUAWEI_SIGN_ALGORITHM = "SDK-HMAC-SHA256";

/** Percent-encoding of the signature: letters, digits and `.-_~` kept (and `/` in paths). */
export function huaweiUrlEncode(text: string, path: boolean): string {
  let encoded = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const character = String.fromCharCode(byte);
    encoded +=
      /[A-Za-z0-9._~-]/.test(character) || (path && character === "/")
        ? character
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/** `20060102T150405Z` */
export function huaweiSigningTime(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

const sha256Hex = (data: string) => createHash("sha256").update(data, "utf8").digest("hex");
const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data, "utf8").digest();

export interface HuaweiSignable {
  method: string;
  url: URL;
  /** Every header that will be sent and signed (Host and X-Sdk-Date included). */
  headers: Readonly<Record<string, string>>;
  body: string;
}

/** The canonical request: what both sides hash. */
export function huaweiCanonicalRequest(request: HuaweiSignable, signedHeaders: readonly string[]): string {
  let path = request.url.pathname;
  if (!path.startsWith("/")) path = `/${path}`;
  if (!path.endsWith("/")) path = `${path}/`;
  const canonicalPath = huaweiUrlEncode(decodeURIComponent(path), true);
  const query = [...new Set(request.url.searchParams.keys())]
    .map((key) => [huaweiUrlEncode(key, false), key] as const)
    .sort(([a], [b]) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0))
    .map(([encoded, key]) => `${encoded}=${huaweiUrlEncode(request.url.searchParams.get(key) ?? "", false)}`)
    .join("&");
  const lower = new Map(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value]));
  const headers = signedHeaders
    .map((name) => `${name}:${(lower.get(name) ?? "").replace(/\s+/g, " ")}\n`)
    .join("");
  // A POST without a body signs its query as the payload.
  const payload =
    request.method.toUpperCase() === "POST" && request.body === ""
      ? request.url.searchParams.toString()
      : request.body;
  return [
    request.method.toUpperCase(),
    canonicalPath,
    query,
    headers,
    signedHeaders.join(";"),
    sha256Hex(payload),
  ].join("\n");
}

/** The signature of a canonical request at a signing time, with a secret key. */
export function huaweiSignature(canonicalRequest: string, signingTime: string, secretKey: string): string {
  const date = signingTime.slice(0, 8);
  const scope = `${date}///sdk_request`;
  const stringToSign = [HUAWEI_SIGN_ALGORITHM, signingTime, scope, sha256Hex(canonicalRequest)].join("\n");
  const kDate = hmac(`SDK${secretKey.trim()}`, date);
  const kRegion = hmac(kDate, "");
  const kService = hmac(kRegion, "");
  const signingKey = hmac(kService, "sdk_request");
  return hmac(signingKey, stringToSign).toString("hex");
}

/**
 * Signs a request: returns its headers with `Host`, `X-Sdk-Date` and `Authorization` added, every
 * header signed (sorted by lower-case name).
 */
export function huaweiSign(
  request: Omit<HuaweiSignable, "headers"> & { headers: Record<string, string> },
  credentials: { accessKey: string; secretKey: string },
  now = new Date(),
): Record<string, string> {
  const signingTime = huaweiSigningTime(now);
  const headers = { ...request.headers, Host: request.url.host, "X-Sdk-Date": signingTime };
  const signedHeaders = Object.keys(headers)
    .map((name) => name.trim().toLowerCase())
    .sort();
  const canonical = huaweiCanonicalRequest({ ...request, headers }, signedHeaders);
  const signature = huaweiSignature(canonical, signingTime, credentials.secretKey);
  const scope = `${signingTime.slice(0, 8)}///sdk_request`;
  return {
    ...headers,
    Authorization: `${HUAWEI_SIGN_ALGORITHM} Credential=${credentials.accessKey.trim()}/${scope}, SignedHeaders=${signedHeaders.join(";")}, Signature=${signature}`,
  };
}
