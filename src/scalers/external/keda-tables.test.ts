import { expect } from "vitest";
import { runParseVectors, runValueVectors } from "../../../test/support/keda-vectors.ts";
import type { ConnectionPool } from "../connection-pool.ts";
import { acquireExternalScalerClient, type ExternalScalerConnection } from "./client.ts";

const FILE = "external_scaler_test.json";

for (const type of ["external", "external-push"]) {
  runParseVectors({
    file: FILE,
    table: "testExternalScalerMetadata",
    variant: type,
    type,
    expect: (row) => ({
      params: (row.metadata as Record<string, string>).enableTLS === "true" ? { enableTLS: true } : {},
    }),
  });
}

/** The pool key Tidal's trigger acquires its channel under (the channel is never created here). */
function poolKeyOf(metadata: Record<string, unknown>): string {
  const connection: ExternalScalerConnection = {
    scalerAddress: String(metadata.ScalerAddress ?? ""),
    enableTLS: Boolean(metadata.EnableTLS),
    unsafeSsl: Boolean(metadata.UnsafeSsl),
    caCert: metadata.CaCert as string | undefined,
    tlsClientCert: metadata.TLSClientCert as string | undefined,
    tlsClientKey: metadata.TLSClientKey as string | undefined,
  };
  let acquired = "";
  const pool = {
    acquire: (key: string) => {
      acquired = key;
      return { client: new Promise(() => undefined), release: async () => undefined };
    },
  } as unknown as ConnectionPool;
  acquireExternalScalerClient(connection, { pool });
  return acquired;
}

// KEDA's TestGetConnectionPoolKey: triggers share a connection exactly when address and TLS match.
runValueVectors(FILE, "TestGetConnectionPoolKey.tests", {}, (row) => {
  const left = poolKeyOf(row.left as Record<string, unknown>);
  const right = poolKeyOf(row.right as Record<string, unknown>);
  expect(left === right).toBe(row.wantSame);
});
