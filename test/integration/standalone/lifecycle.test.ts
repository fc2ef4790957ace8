import { renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { eventually, uniqueName, useCleanup } from "../../support/isolation.ts";
import { TidalRun } from "../../support/tidal-run.ts";
import { processPool, redisScaledObject, writeManifests } from "./manifests.ts";
import { useServices } from "../../support/services.ts";

beforeAll(() => useServices("redis"));

const webServer = fileURLToPath(new URL("../../../examples/quickstart/server.js", import.meta.url));

describe("tidal run over time", () => {
  const cleanup = useCleanup();

  it("scales an HTTPScaledObject's pool back to zero after scaledownPeriod, and from zero again", async () => {
    const file = writeManifests([
      {
        apiVersion: "tidal.dev/v1alpha1",
        kind: "ProcessPool",
        metadata: { name: "web" },
        spec: { command: [process.execPath, webServer], terminationGracePeriodSeconds: 2 },
      },
      {
        apiVersion: "http.keda.sh/v1alpha1",
        kind: "HTTPScaledObject",
        metadata: { name: "web" },
        spec: {
          scaleTargetRef: { name: "web" },
          replicas: { min: 0, max: 2 },
          scaledownPeriod: 2,
          scalingMetric: { concurrency: { targetValue: 10 } },
        },
      },
    ]);
    const run = await TidalRun.start([file]);
    cleanup.add(() => run.stop());
    const first = await fetch(`${run.httpProxyUrl}/a`);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-keda-http-cold-start")).toBe("true");
    await first.text();
    expect((await run.pool("web")).replicas).toBe(1);

    await eventually("the pool back at zero", async () => (await run.pool("web")).replicas === 0, {
      timeoutMs: 30_000,
    });
    expect(run.logs.some((line) => line.reason === "KEDAScaleTargetDeactivated")).toBe(true);

    const again = await fetch(`${run.httpProxyUrl}/b`);
    expect(again.status).toBe(200);
    expect(again.headers.get("x-keda-http-cold-start")).toBe("true");
    expect(await again.text()).toContain("GET /b");
  });

  it("reloads a changed file (written in place or replaced), and keeps running on an invalid one", async () => {
    const list = uniqueName("reload");
    const manifests = (minReplicaCount: number) => [
      processPool("reloaded", "idle.js"),
      redisScaledObject("reloaded", "reloaded", list, { minReplicaCount }),
    ];
    const file = writeManifests(manifests(1));
    const run = await TidalRun.start([file]);
    cleanup.add(() => run.stop());
    const readyWorkers = async () =>
      (await run.pool("reloaded")).workers.filter((worker) => worker.state === "ready").length;
    await eventually("1 worker", async () => (await readyWorkers()) === 1);

    writeFileSync(
      file,
      manifests(2)
        .map((document) => stringify(document))
        .join("---\n"),
    );
    await eventually("2 workers after an edit in place", async () => (await readyWorkers()) === 2);

    // Editors often save by writing a new file and renaming it over the old one.
    const replacement = join(dirname(file), ".tidal.yaml.swp");
    writeFileSync(
      replacement,
      manifests(3)
        .map((document) => stringify(document))
        .join("---\n"),
    );
    renameSync(replacement, file);
    await eventually("3 workers after a replace", async () => (await readyWorkers()) === 3);

    writeFileSync(file, "kind: ScaledObject\nspec: [not, a, mapping\n");
    await eventually("the rejected reload", () =>
      run.logs.some((line) => line.level === "error" && line.msg.startsWith("reload rejected")),
    );
    expect(await readyWorkers()).toBe(3);
    expect(run.logs.filter((line) => line.msg === "reloaded")).toHaveLength(2);
  });
});
