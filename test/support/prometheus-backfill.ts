/**
 * History for Prometheus in the past: samples written as OpenMetrics, turned into TSDB blocks by
 * `promtool tsdb create-blocks-from openmetrics`, and moved into the test server's data folder,
 * which Prometheus scans for new blocks once a minute. Series should be named with
 * uniqueIdentifier, so runs never see each other's data; Prometheus compacts the blocks and drops
 * them with its retention (15 days).
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { eventually } from "./isolation.ts";
import { services } from "./services.ts";

const run = promisify(execFile);

export interface BackfilledPoint {
  /** Milliseconds since the epoch. */
  t: number;
  value: number;
}

/** Writes `points` as the gauge `name` and waits until Prometheus answers them over their whole span. */
export async function backfillPrometheus(name: string, points: readonly BackfilledPoint[]): Promise<void> {
  const dataDir = services.prometheusDataDir;
  // Beside the data folder, so the blocks move in with a rename on the same file system.
  const work = await mkdtemp(join(dirname(dataDir), "backfill-"));
  try {
    const lines = [`# TYPE ${name} gauge`];
    for (const point of [...points].sort((a, b) => a.t - b.t)) {
      lines.push(`${name} ${point.value} ${point.t / 1000}`);
    }
    lines.push("# EOF", "");
    await writeFile(join(work, "input.om"), lines.join("\n"));
    await run("promtool", ["tsdb", "create-blocks-from", "openmetrics", "--quiet", "input.om", "blocks"], {
      cwd: work,
    });
    for (const block of await readdir(join(work, "blocks"))) {
      await rename(join(work, "blocks", block), join(dataDir, block));
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const first = Math.min(...points.map((point) => point.t));
  const last = Math.max(...points.map((point) => point.t));
  await eventually(
    `Prometheus to load the backfilled ${name}`,
    async () => {
      const url = new URL("/api/v1/query_range", services.prometheusUrl);
      url.searchParams.set("query", name);
      url.searchParams.set("start", String(first / 1000));
      url.searchParams.set("end", String(last / 1000));
      url.searchParams.set("step", "3600");
      const body = (await (await fetch(url)).json()) as { data?: { result?: { values?: unknown[] }[] } };
      const loaded = body.data?.result?.[0]?.values?.length ?? 0;
      // Every hour of the span has a point once all blocks are loaded.
      return loaded >= Math.floor((last - first) / 3_600_000) || undefined;
    },
    { timeoutMs: 150_000, intervalMs: 1000 },
  );
}
