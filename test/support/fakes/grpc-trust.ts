/**
 * Makes gRPC clients (@grpc/grpc-js) trust the fakes' certificate. gRPC takes its TLS roots from
 * the file GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names, read when the module loads (the path) and at
 * the first TLS channel (the file), not from Node's certificate store: import this module before
 * anything that loads @grpc/grpc-js, and await `trustFakeCertificateForGrpc()` before the first
 * channel. (In child processes, set the variable to `fakeTls().caFile`.)
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trustFakeCertificate } from "./tls.ts";

const rootsFile = join(mkdtempSync(join(tmpdir(), "tidal-grpc-roots-")), "roots.pem");
writeFileSync(rootsFile, "");
process.env.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH = rootsFile;

export async function trustFakeCertificateForGrpc(): Promise<void> {
  writeFileSync(rootsFile, (await trustFakeCertificate()).cert);
}
