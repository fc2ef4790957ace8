import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";
import { createSecureContext } from "node:tls";
import type { TlsCredentials } from "./server.ts";

/**
 * A self-signed serving certificate for out-of-cluster runs, where the APIService is registered
 * with `insecureSkipTLSVerify: true` (the aggregator sets the TLS server name to `<svc>.<ns>.svc`,
 * which cannot match a loopback address anyway). In-cluster runs mount a real certificate instead.
 *
 * `hosts` become the subject alternative names (IP addresses as IP SANs, the rest as DNS names);
 * the first is the common name. EC P-256 keys: fast to make and to handshake with. The library
 * loads on first use: most runs never make a certificate.
 */
export async function selfSignedServingCert(
  hosts: string[] = ["localhost", "127.0.0.1", "::1"],
  validDays = 365,
  /** A CA to sign it with instead (PEM): the certificate is then not self-signed. */
  ca?: { cert: string; key: string },
  /** Exact validity instead of `validDays` from a minute ago (rotation, and tests of it). */
  validity?: { notBefore: Date; notAfter: Date },
): Promise<TlsCredentials> {
  if (hosts.length === 0) throw new Error("selfSignedServingCert needs at least one host name or address");
  const notBeforeDate = validity?.notBefore ?? new Date(Date.now() - 60_000);
  const notAfterDate = validity?.notAfter ?? new Date(notBeforeDate.getTime() + validDays * 86_400_000);
  const { generate } = await import("selfsigned");
  const pems = await generate([{ name: "commonName", value: hosts[0] as string }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    ...(ca ? { ca } : {}),
    extensions: [
      { name: "basicConstraints", cA: false, critical: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: hosts.map((host) =>
          isIP(host) ? { type: 7 as const, ip: host } : { type: 2 as const, value: host },
        ),
      },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** A certificate authority (PEM) that signs serving certificates; KEDA's lasts 10 years. */
export async function certificateAuthority(
  commonName: string,
  validity: { notBefore: Date; notAfter: Date },
): Promise<{ cert: string; key: string }> {
  const { generate } = await import("selfsigned");
  const pems = await generate([{ name: "commonName", value: commonName }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate: validity.notBefore,
    notAfterDate: validity.notAfter,
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { cert: pems.cert, key: pems.private };
}

/** tls.crt and tls.key of a folder (a mounted kubernetes.io/tls Secret). */
export async function readCertDir(dir: string): Promise<TlsCredentials> {
  return {
    cert: await readFile(join(dir, "tls.crt"), "utf8"),
    key: await readFile(join(dir, "tls.key"), "utf8"),
  };
}

/**
 * Follows a certificate folder: the kubelet replaces a mounted Secret's files when the Secret
 * changes (cert-manager renewing it, say), and `onChange` then gets the new pair, without a
 * restart. A pair that does not load (caught halfway, or a key of another certificate) is skipped
 * until the next look. Returns a function that stops following.
 */
export function followCertDir(
  dir: string,
  current: TlsCredentials,
  onChange: (tls: TlsCredentials) => void,
  options: { intervalMs?: number; onError?: (error: unknown) => void } = {},
): () => void {
  let served = String(current.cert) + String(current.key);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void readCertDir(dir)
      .then((tls) => {
        const seen = String(tls.cert) + String(tls.key);
        if (seen === served) return;
        createSecureContext({ cert: tls.cert, key: tls.key });
        served = seen;
        onChange(tls);
      })
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => (busy = false));
  }, options.intervalMs ?? 10_000);
  timer.unref();
  return () => clearInterval(timer);
}
