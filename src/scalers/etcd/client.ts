import { createPrivateKey } from "node:crypto";
import type { Etcd3, IOptions } from "etcd3";
import { messageOf } from "../../util/errors.ts";

/**
 * etcd through the npm package etcd3 (etcd's gRPC API over @grpc/grpc-js, no install scripts,
 * loaded when the first etcd trigger connects). Its default fault handling retries and opens a
 * circuit breaker per host, which would answer later polls with "the circuit breaker is open";
 * Tidal polls anyway, so every call goes to the server and fails with its own cause.
 */

export interface EtcdSettings {
  endpoints: readonly string[];
  username?: string | undefined;
  password?: string | undefined;
  tls: "enable" | "disable";
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  keyPassword?: string | undefined;
  dialTimeoutMs: number;
}

/** A client for these settings. TLS material is PEM; an encrypted key is decrypted with keyPassword. */
export async function createEtcdClient(settings: EtcdSettings): Promise<Etcd3> {
  const [{ Etcd3 }, { noop }] = await Promise.all([import("etcd3"), import("cockatiel")]);
  const options: IOptions = {
    hosts: [...settings.endpoints],
    dialTimeout: settings.dialTimeoutMs,
    faultHandling: { host: () => noop, global: noop },
    ...(settings.username
      ? { auth: { username: settings.username, password: settings.password ?? "" } }
      : {}),
  };
  if (settings.tls === "enable") {
    const key = settings.key
      ? createPrivateKey({ key: settings.key, passphrase: settings.keyPassword ?? "" })
          .export({ type: "pkcs8", format: "pem" })
          .toString()
      : undefined;
    options.credentials = {
      // Without a CA, gRPC trusts the system's roots, as Go's TLS does in KEDA.
      rootCertificate: settings.ca ? Buffer.from(settings.ca) : (undefined as unknown as Buffer),
      ...(key ? { privateKey: Buffer.from(key) } : {}),
      ...(settings.cert ? { certChain: Buffer.from(settings.cert) } : {}),
    };
  }
  return new Etcd3(options);
}

/** gRPC's "14 UNAVAILABLE: No connection established. Last error: … Resolution note: " made readable. */
export function etcdErrorMessage(error: unknown): string {
  return messageOf(error)
    .replace(/^\d+ [A-Z_]+: /, "")
    .replace(/\s*Resolution note:\s*$/, "")
    .replace(/Last error: Error: /, "last error: ");
}
