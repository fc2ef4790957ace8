import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadKubeConfig } from "./kube-api.ts";

describe("loadKubeConfig", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("refuses to guess a cluster when there is no kubeconfig, KUBECONFIG or service account", () => {
    vi.stubEnv("HOME", mkdtempSync(join(tmpdir(), "tidal-home-")));
    expect(() => loadKubeConfig(undefined, { KUBECONFIG: "" })).toThrow(
      "no cluster configured: pass --kubeconfig FILE or set KUBECONFIG (inside a Pod, its service account is used)",
    );
  });
});
