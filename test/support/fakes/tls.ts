/**
 * The TLS identity of the loopback fakes: the Azure SDKs speak HTTPS only to Service Bus, Entra ID
 * and Key Vault (and MSAL refuses an authority that is not https), so the fakes serve a
 * self-signed certificate for 127.0.0.1 and localhost that the code under test must trust:
 * in this process through `trustFakeCertificate()`, in a child process through
 * NODE_EXTRA_CA_CERTS=`fakeTls().caFile`, as an operator trusts a private CA.
 */
import { createPrivateKey } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getCACertificates, setDefaultCACertificates } from "node:tls";
import { generate } from "selfsigned";

export interface FakeTls {
  cert: string;
  key: string;
  /** A PEM file holding `cert`, for NODE_EXTRA_CA_CERTS. */
  caFile: string;
}

let made: Promise<FakeTls> | undefined;

async function make(): Promise<FakeTls> {
  const notBeforeDate = new Date(Date.now() - 60_000);
  const pems = await generate([{ name: "commonName", value: "tidal test fakes" }], {
    keyType: "ec",
    curve: "P-256",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate: new Date(notBeforeDate.getTime() + 7 * 86_400_000),
    extensions: [
      { name: "basicConstraints", cA: true, critical: true },
      { name: "keyUsage", digitalSignature: true, keyCertSign: true, critical: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 7 as const, ip: "127.0.0.1" },
          { type: 2 as const, value: "localhost" },
        ],
      },
    ],
  });
  const caFile = join(mkdtempSync(join(tmpdir(), "tidal-fake-tls-")), "ca.crt");
  writeFileSync(caFile, pems.cert);
  return { cert: pems.cert, key: pems.private, caFile };
}

/** The fakes' certificate and key (one per test process). */
export function fakeTls(): Promise<FakeTls> {
  made ??= make();
  return made;
}

let trusted = false;

/** Makes this process's TLS clients trust the fakes' certificate besides the usual roots. */
export async function trustFakeCertificate(): Promise<FakeTls> {
  const tls = await fakeTls();
  if (!trusted) {
    setDefaultCACertificates([...getCACertificates("default"), tls.cert]);
    trusted = true;
  }
  return tls;
}

export interface MutualTls {
  /** The CA certificate (PEM) that signed the server's and the client's certificates. */
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The client key as encrypted PKCS#8 PEM, passphrase `tidal-test`. */
  clientEncryptedKey: string;
}

let mutual: Promise<MutualTls> | undefined;

/**
 * A server certificate for 127.0.0.1 and localhost that is its own CA, and a client certificate
 * (CN tidal) it signed: for test servers that require client certificates.
 */
export function mutualTls(): Promise<MutualTls> {
  mutual ??= (async () => {
    const notBeforeDate = new Date(Date.now() - 60_000);
    const pems = await generate([{ name: "commonName", value: "tidal test server" }], {
      keyType: "ec",
      curve: "P-256",
      algorithm: "sha256",
      notBeforeDate,
      notAfterDate: new Date(notBeforeDate.getTime() + 7 * 86_400_000),
      extensions: [
        { name: "basicConstraints", cA: true, critical: true },
        { name: "keyUsage", digitalSignature: true, keyCertSign: true, critical: true },
        { name: "extKeyUsage", serverAuth: true, clientAuth: true },
        {
          name: "subjectAltName",
          altNames: [
            { type: 7 as const, ip: "127.0.0.1" },
            { type: 2 as const, value: "localhost" },
          ],
        },
      ],
      clientCertificate: { cn: "tidal", keyType: "ec", algorithm: "sha256", notBeforeDate },
    });
    const { clientcert, clientprivate } = pems as unknown as { clientcert: string; clientprivate: string };
    const clientEncryptedKey = createPrivateKey(clientprivate).export({
      type: "pkcs8",
      format: "pem",
      cipher: "aes-256-cbc",
      passphrase: "tidal-test",
    }) as string;
    return {
      ca: pems.cert,
      serverCert: pems.cert,
      serverKey: pems.private,
      clientCert: clientcert,
      clientKey: clientprivate,
      clientEncryptedKey,
    };
  })();
  return mutual;
}
