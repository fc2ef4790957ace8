import { isIP } from "node:net";
import { generate } from "selfsigned";
import type { TlsCredentials } from "./server.ts";

/**
 * A self-signed serving certificate for out-of-cluster runs, where the APIService is registered
 * with `insecureSkipTLSVerify: true` (the aggregator sets the TLS server name to `<svc>.<ns>.svc`,
 * which cannot match a loopback address anyway). In-cluster runs mount a real certificate instead.
 *
 * `hosts` become the subject alternative names (IP addresses as IP SANs, the rest as DNS names);
 * the first is the common name. EC P-256 keys: fast to make and to handshake with.
 */
export async function selfSignedServingCert(
  hosts: string[] = ["localhost", "127.0.0.1", "::1"],
  validDays = 365,
  /** A CA to sign it with instead (PEM): the certificate is then not self-signed. */
  ca?: { cert: string; key: string },
): Promise<TlsCredentials> {
  if (hosts.length === 0) throw new Error("selfSignedServingCert needs at least one host name or address");
  const notBeforeDate = new Date(Date.now() - 60_000);
  const notAfterDate = new Date(notBeforeDate.getTime() + validDays * 86_400_000);
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
