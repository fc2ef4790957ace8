// deploy/grafana/tidal.json against real data: a `tidal run` with a working trigger, a failing one
// and crashing workers, scraped every second by a Prometheus of the test's own; every query of
// every panel must return series.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closedPort } from "../../support/closed-port.ts";
import { eventually } from "../../support/isolation.ts";
import { TidalRun } from "../../support/tidal-run.ts";

interface Dashboard {
  templating: { list: { name: string; allValue?: string }[] };
  panels: { id: number; title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
}

const dashboard = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../deploy/grafana/tidal.json", import.meta.url)), "utf8"),
) as Dashboard;

/** A panel's query as Grafana sends it with "All" chosen for every variable. */
function concrete(expr: string): string {
  let query = expr.replaceAll("$__rate_interval", "1m");
  for (const variable of dashboard.templating.list)
    if (variable.allValue !== undefined) query = query.replaceAll(`$${variable.name}`, variable.allValue);
  return query;
}

const folder = mkdtempSync(join(tmpdir(), "tidal-grafana-"));
let metricsApi: Server;
let tidal: TidalRun;
let prometheus: ChildProcess;
let prometheusUrl: string;

beforeAll(async () => {
  metricsApi = createServer((_request, response) => response.end(JSON.stringify({ value: 7 })));
  await new Promise<void>((resolve) => metricsApi.listen(0, "127.0.0.1", resolve));
  const apiPort = (metricsApi.address() as { port: number }).port;
  const deadPort = await closedPort();
  writeFileSync(
    join(folder, "objects.yaml"),
    `apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata: { name: worker }
spec: { command: [node, -e, "setInterval(() => {}, 1 << 30)"] }
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: orders }
spec:
  scaleTargetRef: { apiVersion: tidal.dev/v1alpha1, kind: ProcessPool, name: worker }
  pollingInterval: 1
  triggers:
    - type: metrics-api
      metadata: { url: "http://127.0.0.1:${apiPort}/", valueLocation: value, targetValue: "5", activationTargetValue: "1" }
---
apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata: { name: crasher }
spec: { command: [node, -e, "process.exit(1)"] }
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: crashing }
spec:
  scaleTargetRef: { apiVersion: tidal.dev/v1alpha1, kind: ProcessPool, name: crasher }
  pollingInterval: 1
  triggers:
    - type: metrics-api
      metadata: { url: "http://127.0.0.1:${apiPort}/", valueLocation: value, targetValue: "5", activationTargetValue: "1" }
---
apiVersion: tidal.dev/v1alpha1
kind: ProcessPool
metadata: { name: idle }
spec: { command: [node, -e, "setInterval(() => {}, 1 << 30)"] }
---
apiVersion: keda.sh/v1alpha1
kind: ScaledObject
metadata: { name: broken }
spec:
  scaleTargetRef: { apiVersion: tidal.dev/v1alpha1, kind: ProcessPool, name: idle }
  pollingInterval: 1
  triggers:
    - type: metrics-api
      metadata: { url: "http://127.0.0.1:${deadPort}/", valueLocation: value, targetValue: "5" }
`,
  );
  tidal = await TidalRun.start([join(folder, "objects.yaml")]);
  const target = new URL(tidal.statusUrl).host;
  const prometheusPort = await closedPort();
  writeFileSync(
    join(folder, "prometheus.yml"),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: tidal
    static_configs: [{ targets: ["${target}"] }]
`,
  );
  prometheus = spawn(
    "prometheus",
    [
      `--config.file=${join(folder, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(folder, "data")}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
    ],
    { stdio: "ignore" },
  );
  prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
}, 120_000);

afterAll(async () => {
  prometheus?.kill();
  await tidal?.stop();
  metricsApi?.close();
  rmSync(folder, { recursive: true, force: true });
});

async function seriesOf(query: string): Promise<number> {
  const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await response.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  if (body.status !== "success") throw new Error(`${query}: ${body.error}`);
  return body.data!.result.length;
}

describe("the Grafana dashboard", () => {
  it("reads its data source from a variable and names each panel once", () => {
    expect(dashboard.templating.list.map((variable) => variable.name)).toEqual([
      "datasource",
      "namespace",
      "scaledObject",
    ]);
    expect(new Set(dashboard.panels.map((panel) => panel.id)).size).toBe(dashboard.panels.length);
    for (const panel of dashboard.panels) expect(panel.datasource.uid).toBe("${datasource}");
  });

  it("has series for every query of every panel, scraped from a running tidal run", async () => {
    const queries = dashboard.panels.flatMap((panel) =>
      panel.targets.map((target) => ({ panel: panel.title, query: concrete(target.expr) })),
    );
    expect(queries.length).toBeGreaterThanOrEqual(10);
    let missing: string[] = [];
    await eventually(
      "series for every panel query",
      async () => {
        missing = [];
        for (const { panel, query } of queries)
          if ((await seriesOf(query)) === 0) missing.push(`${panel}: ${query}`);
        return missing.length === 0;
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    ).catch(() => {});
    expect(missing).toEqual([]);
  }, 180_000);
});
