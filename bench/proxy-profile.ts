/**
 * The HTTP proxy's fast path under load, in this process, for a CPU profile:
 *
 *   node bench/proxy-profile.ts [--seconds 10] [--concurrency 32] [--profile FILE.cpuprofile]
 *   node bench/proxy-profile.ts --summary FILE.cpuprofile   (self time per function)
 *   node bench/proxy-profile.ts --source DIR   (the proxy of another checkout's src/, to compare)
 *
 * One worker (bench/fixtures/http-worker.js) and a load process (bench/lib/load-generator.ts) run
 * beside it, unprofiled; the load goes straight to the worker, then through the proxy (profiled
 * with --profile: that run only, as `node --cpu-prof` would), and both rates are printed. Not
 * part of `npm run bench`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import type { createHttpProxy as CreateHttpProxy } from "../src/http-proxy/index.ts";
import { fileURLToPath } from "node:url";
import { forkTracked, stopChild, stopChildrenOnExit } from "./lib/children.ts";
import { LoadClient } from "./lib/load-client.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** Self time per function of a .cpuprofile, the largest first. */
function summarize(file: string, top = 40): string {
  const profile = JSON.parse(readFileSync(file, "utf8")) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    const frame = (byId.get(id) as ProfileNode).callFrame;
    const where = frame.url
      ? `${frame.url.replace(/^.*\/(src|node_modules)\//, "$1/")}:${frame.lineNumber + 1}`
      : "";
    const key = `${frame.functionName || "(anonymous)"} ${where}`;
    self.set(key, (self.get(key) ?? 0) + delta);
    total += delta;
  });
  const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return rows
    .map(([key, micros]) => `${((micros / total) * 100).toFixed(1).padStart(5)} %  ${key}`)
    .join("\n");
}

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const index = args.indexOf(name);
  return index >= 0 ? (args[index + 1] ?? fallback) : fallback;
};

if (args.includes("--summary")) {
  process.stdout.write(`${summarize(option("--summary", ""))}\n`);
} else {
  stopChildrenOnExit();
  const seconds = Number(option("--seconds", "10"));
  const concurrency = Number(option("--concurrency", "32"));
  const worker = forkTracked(fileURLToPath(new URL("./fixtures/http-worker.js", import.meta.url)), [], {
    env: { ...process.env, PORT: "0" },
    execArgv: [],
  });
  const port = await new Promise<number>((resolve) =>
    worker.once("message", (message: { port: number }) => resolve(message.port)),
  );
  const source = args.includes("--source")
    ? option("--source", "")
    : fileURLToPath(new URL("..", import.meta.url));
  const { createHttpProxy } = (await import(`${source}/src/http-proxy/index.ts`)) as {
    createHttpProxy: typeof CreateHttpProxy;
  };
  const endpoints = [{ host: "127.0.0.1", port }];
  let served = 0;
  const proxy = createHttpProxy({
    routes: [{ key: "bench/warm", hosts: ["warm.bench"] }],
    endpoints: () => {
      served++;
      return endpoints;
    },
    onDemand: () => {},
    waitForEndpoints: () => new Promise(() => {}),
  });
  const proxyPort = (await proxy.listen(0)).port;
  const load = new LoadClient();
  const job = { mode: "closed" as const, concurrency, warmupMs: 1000, durationMs: seconds * 1000 };
  const direct = await load.run({ ...job, urls: [`http://127.0.0.1:${port}/`] });
  const profileFile = args.includes("--profile") ? option("--profile", "") : undefined;
  const session = new Session();
  if (profileFile) {
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
  }
  const cpuBefore = process.cpuUsage();
  const servedBefore = served;
  const proxied = await load.run({
    ...job,
    urls: [`http://127.0.0.1:${proxyPort}/`],
    headers: { host: "warm.bench" },
  });
  const cpu = process.cpuUsage(cpuBefore);
  const perRequest = (cpu.user + cpu.system) / (served - servedBefore);
  if (profileFile) {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(profileFile, JSON.stringify(profile));
    session.disconnect();
  }
  process.stdout.write(
    `pid ${process.pid}: direct ${Math.round(direct.throughput)} req/s, proxy ${Math.round(proxied.throughput)} req/s (${(proxied.throughput / direct.throughput).toFixed(2)}×), errors ${proxied.errors}${proxied.firstError ? ` (${proxied.firstError})` : ""}; proxy CPU ${perRequest.toFixed(1)} µs per request (user ${Math.round((cpu.user / (cpu.user + cpu.system)) * 100)} %)\n`,
  );
  await load.close();
  await proxy.close();
  await stopChild(worker, 2000);
}
