import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { eventually } from "../../../test/support/isolation.ts";
import { followCertDir, readCertDir, selfSignedServingCert } from "./certs.ts";
import type { TlsCredentials } from "./server.ts";

describe("followCertDir", () => {
  const stops: (() => void)[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    stops.splice(0).forEach((stop) => stop());
    dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  const write = (dir: string, tls: TlsCredentials) => {
    writeFileSync(join(dir, "tls.crt"), tls.cert);
    writeFileSync(join(dir, "tls.key"), tls.key);
  };

  it("hands over a renewed pair once, and skips a pair whose key is not the certificate's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tidal-certs-"));
    dirs.push(dir);
    const [first, second, third] = await Promise.all([
      selfSignedServingCert(),
      selfSignedServingCert(),
      selfSignedServingCert(),
    ]);
    write(dir, first);
    const seen: TlsCredentials[] = [];
    stops.push(followCertDir(dir, await readCertDir(dir), (tls) => seen.push(tls), { intervalMs: 10 }));

    // Caught halfway: the new certificate with the old key is not served.
    writeFileSync(join(dir, "tls.crt"), second.cert);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);

    write(dir, third);
    await eventually("the renewed pair", () => seen.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([{ cert: third.cert, key: third.key }]);
  });
});
