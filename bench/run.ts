/**
 * Tidal's benchmarks: `npm run bench [-- --quick] [-- --only reaction,scale,...]`.
 *
 * Runs the sections on this machine, one after another, each in its own module:
 *   1. reaction    bench/reaction.ts     burst in Redis / RabbitMQ (and push: Redis, PostgreSQL) → decision → replicas
 *   2. scale       bench/scale.ts        1,000 / 5,000 / 10,000 ScaledObjects in one tidal run
 *   3. metricsApi  bench/metrics-api.ts  external metrics API latency and rate
 *   4. proxy       bench/proxy.ts        HTTP proxy overhead and cold start
 *   5. quality     bench/quality.ts      tidal simulate --workload vs KEDA defaults and the optimum
 *   6. forecastCost bench/forecast-cost.ts 1,000 forecasters: refit and poll CPU, memory
 *   7. history     bench/history.ts      the dashboard's history of 10,000 objects: memory, read time
 *   8. startup     bench/startup.ts      tidal --version / --help / validate start times beside node -e 0
 *   9. http-k8s    bench/http-k8s.ts     tidal operator + interceptor on the local control plane (opt-in)
 *  10. keda        bench/keda.ts         the same objects under KEDA and Tidal on the local control plane;
 *                                        opt-in (`--only keda`): builds KEDA once (~15 CPU-minutes)
 * and writes bench/results/latest.json (every figure with its target and ratio, the machine, the
 * details) and bench/results/latest.md (the same, for people), printing the latter.
 *
 * Load generators and sources run in processes of their own; everything listens on 127.0.0.1 and
 * stops by itself (Ctrl-C stops every child too). Nothing here is a test: no number is asserted.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { stopAll, stopChildrenOnExit } from "./lib/children.ts";
import { machineInfo } from "./lib/machine.ts";
import { renderMarkdown, type SectionResult } from "./lib/report.ts";
import { forecastCostSection } from "./forecast-cost.ts";
import { metricsApiSection } from "./metrics-api.ts";
import { proxySection } from "./proxy.ts";
import { qualitySection } from "./quality.ts";
import { reactionSection } from "./reaction.ts";
import { scaleSection } from "./scale.ts";
import { startupSection } from "./startup.ts";
import { historySection } from "./history.ts";
import { httpKubernetesSection } from "./http-k8s.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(
    "usage: npm run bench [-- --quick] [-- --only reaction,scale,metricsApi,proxy,quality,forecastCost,history,startup,http-k8s,keda]\n" +
      "  --quick   fewer bursts, sizes and seconds: a few minutes instead of ~25\n" +
      "  --only    run only these sections (results still go to bench/results/latest.*)\n" +
      "  http-k8s runs only when named: it starts the local control plane (scripts/kube.sh up)\n" +
      "  keda (side by side with KEDA on the local control plane) runs only when named\n",
  );
  process.exit(0);
}
const quick = args.includes("--quick");
const onlyIndex = args.indexOf("--only");
const only = onlyIndex >= 0 ? new Set((args[onlyIndex + 1] ?? "").split(",")) : undefined;

type Section = (options: { root: string; quick: boolean }) => Promise<Omit<SectionResult, "seconds">>;
/** The fourth field marks a section that runs only when --only names it. */
const sections: [string, string, Section, "opt-in"?][] = [
  ["reaction", "1. Reaction latency", reactionSection],
  ["scale", "2. Scale", scaleSection],
  ["metricsApi", "3. External metrics API", metricsApiSection],
  ["proxy", "4. HTTP proxy", proxySection],
  ["quality", "5. Scaling quality", qualitySection],
  ["forecastCost", "6. Forecast cost", forecastCostSection],
  ["history", "7. Dashboard history", historySection],
  ["startup", "8. CLI start", startupSection],
  ["http-k8s", "9. HTTPScaledObjects on Kubernetes", httpKubernetesSection, "opt-in"],
  // Loaded only when it runs: it brings the Kubernetes client along.
  [
    "keda",
    "10. Side by side with KEDA",
    async (options) => (await import("./keda.ts")).kedaSection(options),
    "opt-in",
  ],
];

stopChildrenOnExit();
const machine = machineInfo(root);
process.stderr.write(
  `tidal bench${quick ? " --quick" : ""}: ${String(machine.cores)} cores, ${String(machine.cpuModel)}, Node ${process.version}\n`,
);
const results: SectionResult[] = [];
for (const [id, title, run, optIn] of sections) {
  if (only ? !only.has(id) : optIn !== undefined) continue;
  const started = performance.now();
  const loadBefore = loadavg()[0] as number;
  process.stderr.write(`${title} …\n`);
  try {
    const result = await run({ root, quick });
    result.details.loadAverage = {
      before: Number(loadBefore.toFixed(2)),
      after: Number((loadavg()[0] as number).toFixed(2)),
    };
    results.push({ ...result, seconds: (performance.now() - started) / 1000 });
  } catch (error) {
    await stopAll();
    const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`${title} failed: ${message}\n`);
    results.push({
      id,
      title,
      figures: [],
      details: {},
      notes: [],
      seconds: (performance.now() - started) / 1000,
      error: message.split("\n")[0] as string,
    });
  }
  process.stderr.write(`${title}: ${Math.round((performance.now() - started) / 1000)} s\n`);
}

const run = {
  machine: { ...machine, loadAverageAtEnd: loadavg().map((value) => Number(value.toFixed(2))) },
  quick,
  sections: results,
};
const directory = fileURLToPath(new URL("./results/", import.meta.url));
mkdirSync(directory, { recursive: true });
writeFileSync(`${directory}latest.json`, `${JSON.stringify(run, null, 2)}\n`);
const markdown = renderMarkdown(run);
writeFileSync(`${directory}latest.md`, markdown);
process.stdout.write(markdown);
process.stderr.write(`wrote bench/results/latest.json and bench/results/latest.md\n`);
process.exitCode = results.some((result) => result.error) ? 1 : 0;
