import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";

export const fixtures = fileURLToPath(new URL("../../fixtures/workers/", import.meta.url));

/** Writes manifests into a new temporary folder and returns the file's path. */
export function writeManifests(documents: unknown[]): string {
  const directory = mkdtempSync(join(tmpdir(), "tidal-run-test-"));
  const file = join(directory, "tidal.yaml");
  writeFileSync(file, documents.map((document) => stringify(document)).join("---\n"));
  return file;
}

export function processPool(name: string, script: string, spec: Record<string, unknown> = {}) {
  return {
    apiVersion: "tidal.dev/v1alpha1",
    kind: "ProcessPool",
    metadata: { name },
    spec: { command: [process.execPath, join(fixtures, script)], terminationGracePeriodSeconds: 2, ...spec },
  };
}

export function redisScaledObject(
  name: string,
  pool: string,
  listName: string,
  spec: Record<string, unknown> = {},
) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: "tidal.dev/v1alpha1", kind: "ProcessPool", name: pool },
      pollingInterval: 1,
      cooldownPeriod: 3,
      maxReplicaCount: 10,
      triggers: [{ type: "redis", metadata: { address: "127.0.0.1:6379", listName, listLength: "10" } }],
      ...spec,
    },
  };
}
