/**
 * The TLS identity of the loopback fakes: the Azure SDKs speak HTTPS only to Service Bus, Entra ID
 * and Key Vault (and MSAL refuses an authority that is not https), so the fakes serve a
 * self-signed certificate for 127.0.0.1 and localhost that the code under test must trust:
 * in this process through `trustFakeCertificate()`, in a child process through
 * NODE_EXTRA_CA_CERTS=`fakeTls().caFile`, as an operator trusts a private CA.
 */
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
