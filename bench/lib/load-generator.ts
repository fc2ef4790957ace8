/**
 * The load generator: runs in its own process (forked by LoadClient), so its CPU never counts
 * against the system under test. Jobs arrive over IPC; each answers with counts and latencies.
 *
 * - closed: `concurrency` workers, each sending its next request when the previous one finished.
 * - open: requests scheduled at a fixed `rate`; latency counts from the scheduled instant, so a
 *   slow server cannot hide its queueing by slowing the sender (no coordinated omission).
 * Both keep connections alive and read every body to the end.
 */
import http from "node:http";
import https from "node:https";
import { distribution, type Distribution } from "./stats.ts";

export interface LoadJob {
  mode: "closed" | "open";
  /** URLs used in turn (e.g. different objects). */
  urls: string[];
  headers?: Record<string, string>;
  concurrency?: number;
  rate?: number;
  /** Most requests in flight for open load; later ones wait (and their wait counts). */
  maxInFlight?: number;
  warmupMs: number;
  durationMs: number;
  /** Accept any TLS certificate (a self-signed server). */
  insecure?: boolean;
  /** A client certificate and the CA to trust (PEM), e.g. to reach a kube-apiserver as admin. */
  tls?: { ca: string; cert: string; key: string };
}

export interface LoadResult {
  requests: number;
  errors: number;
  firstError?: string;
  seconds: number;
  /** Completed requests per second in the measured window. */
  throughput: number;
  latencyMs: Distribution;
}

// Connections stay open from one job to the next, as a long-lived client keeps them: a job does not
// pay for TLS handshakes that an earlier one already made.
const agents = {
  "http:": new http.Agent({ keepAlive: true }),
  "https:": new https.Agent({ keepAlive: true, rejectUnauthorized: false }),
  "https-verified:": new https.Agent({ keepAlive: true }),
};
// One agent per client identity, kept for later jobs like the others.
const identityAgents = new Map<string, https.Agent>();

function identityAgent(tls: NonNullable<LoadJob["tls"]>): https.Agent {
  const key = `${tls.ca}\n${tls.cert}`;
  let agent = identityAgents.get(key);
  if (!agent) {
    agent = new https.Agent({ keepAlive: true, ...tls });
    identityAgents.set(key, agent);
  }
  return agent;
}

function requester(job: LoadJob) {
  const sockets = job.mode === "closed" ? (job.concurrency ?? 1) : (job.maxInFlight ?? 256);
  const jobAgents = {
    "http:": agents["http:"],
    "https:": job.tls ? identityAgent(job.tls) : job.insecure ? agents["https:"] : agents["https-verified:"],
  };
  for (const agent of Object.values(jobAgents)) agent.maxSockets = sockets;
  const urls = job.urls.map((text) => new URL(text));
  let turn = 0;
  const send = () =>
    new Promise<void>((resolve, reject) => {
      const url = urls[turn++ % urls.length] as URL;
      const transport = url.protocol === "https:" ? https : http;
      const request = transport.request(
        url,
        { agent: jobAgents[url.protocol as "http:"], headers: job.headers },
        (response) => {
          response.on("data", () => {});
          response.on("end", () =>
            (response.statusCode ?? 0) < 400 ? resolve() : reject(new Error(`HTTP ${response.statusCode}`)),
          );
          response.on("error", reject);
        },
      );
      request.on("error", reject);
      request.end();
    });
  return { send };
}

async function run(job: LoadJob): Promise<LoadResult> {
  const { send } = requester(job);
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const end = measureFrom + job.durationMs;
  const record = (scheduled: number, error?: unknown) => {
    const done = performance.now();
    if (scheduled < measureFrom || scheduled >= end) return;
    if (error) {
      errors += 1;
      firstError ??= error instanceof Error ? error.message : String(error);
    } else latencies.push(done - scheduled);
  };
  if (job.mode === "closed") {
    const worker = async () => {
      while (performance.now() < end) {
        const scheduled = performance.now();
        try {
          await send();
          record(scheduled);
        } catch (error) {
          record(scheduled, error);
        }
      }
    };
    await Promise.all(Array.from({ length: job.concurrency ?? 1 }, worker));
  } else {
    const interval = 1000 / (job.rate ?? 100);
    const maxInFlight = job.maxInFlight ?? 256;
    const waiting: number[] = [];
    let inFlight = 0;
    let next = start;
    let finished: () => void = () => {};
    const allDone = new Promise<void>((resolve) => (finished = resolve));
    const dispatch = () => {
      while (inFlight < maxInFlight && waiting.length > 0) {
        const scheduled = waiting.shift() as number;
        inFlight += 1;
        send()
          .then(
            () => record(scheduled),
            (error: unknown) => record(scheduled, error),
          )
          .finally(() => {
            inFlight -= 1;
            dispatch();
            if (inFlight === 0 && waiting.length === 0 && next >= end) finished();
          });
      }
    };
    const tick = () => {
      const now = performance.now();
      while (next <= now && next < end) {
        waiting.push(next);
        next += interval;
      }
      dispatch();
      if (next < end) setTimeout(tick, Math.max(0, Math.min(1, next - performance.now())));
      else if (inFlight === 0 && waiting.length === 0) finished();
    };
    tick();
    await allDone;
  }
  const seconds = job.durationMs / 1000;
  return {
    requests: latencies.length + errors,
    errors,
    ...(firstError ? { firstError } : {}),
    seconds,
    throughput: latencies.length / seconds,
    latencyMs: distribution(latencies),
  };
}

process.on("message", (message: { type: "run"; id: number; job: LoadJob }) => {
  if (message.type !== "run") return;
  run(message.job).then(
    (result) => process.send?.({ type: "result", id: message.id, result }),
    (error: unknown) => process.send?.({ type: "error", id: message.id, error: String(error) }),
  );
});
process.on("disconnect", () => {
  for (const agent of [...Object.values(agents), ...identityAgents.values()]) agent.destroy();
  process.exit(0);
});
