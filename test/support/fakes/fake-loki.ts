/**
 * fake-loki: a loopback server that speaks the part of Grafana Loki's documented HTTP API that
 * KEDA's loki scaler calls: the instant query endpoint `GET /loki/api/v1/query?query=…`, answering
 * `{"status":"success","data":{"resultType":"vector"|"scalar","result":…}}` or an HTTP error, with
 * tenants (`X-Scope-OrgID`) and optional basic or bearer authentication. Log lines are pushed by
 * the test through `POST /loki/api/v1/push` (Loki's JSON push format) or `push()`.
 *
 * Its LogQL is a small subset: `count_over_time(…)`, `rate(…)` and `sum(…)` of them, over a stream
 * selector with `=` matchers and `|=` line filters, a range such as `[5m]`, and a bare number
 * (a scalar). Anything else is a 400 parse error. Only for tests: Loki itself is AGPL.
 */
import type { ServerResponse } from "node:http";
import { LoopbackFake, type LoopbackRequest } from "./loopback.ts";

interface Entry {
  labels: Record<string, string>;
  timeMs: number;
  line: string;
}

export interface FakeLokiOptions {
  /** Required credentials: `basic` user and password, or a `bearer` token. */
  auth?: { basic?: { username: string; password: string }; bearer?: string };
  /** When set, requests must name a tenant (X-Scope-OrgID), as Loki with auth_enabled. */
  multiTenant?: boolean;
}

export class FakeLoki extends LoopbackFake {
  readonly #entries = new Map<string, Entry[]>();
  readonly #options: FakeLokiOptions;

  private constructor(options: FakeLokiOptions) {
    super();
    this.#options = options;
  }

  static start(options: FakeLokiOptions = {}): Promise<FakeLoki> {
    return new FakeLoki(options).listen();
  }

  /** Adds log lines of one stream for a tenant ("fake" when the server is single-tenant). */
  push(labels: Record<string, string>, lines: string[], tenant = "fake", timeMs = Date.now()): void {
    const entries = this.#entries.get(tenant) ?? [];
    for (const line of lines) entries.push({ labels, timeMs, line });
    this.#entries.set(tenant, entries);
  }

  handle(request: LoopbackRequest, response: ServerResponse): void {
    const tenantHeader = request.headers["x-scope-orgid"];
    const tenant = typeof tenantHeader === "string" ? tenantHeader : undefined;
    const reply = (status: number, body: unknown) => {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      response.writeHead(status, {
        "Content-Type": typeof body === "string" ? "text/plain" : "application/json",
      });
      response.end(text);
    };
    if (!this.authorized(request.headers.authorization)) {
      reply(401, "Unauthorized\n");
      return;
    }
    if (this.#options.multiTenant && !tenant) {
      reply(401, "no org id\n");
      return;
    }
    const scope = tenant ?? "fake";
    if (request.method === "POST" && request.path === "/loki/api/v1/push") {
      const { streams } = JSON.parse(request.body) as {
        streams: { stream: Record<string, string>; values: [string, string][] }[];
      };
      for (const stream of streams) {
        for (const [time, line] of stream.values)
          this.push(stream.stream, [line], scope, Number(BigInt(time) / 1_000_000n));
      }
      response.writeHead(204).end();
      return;
    }
    if (request.method !== "GET" || request.path !== "/loki/api/v1/query") {
      reply(404, "404 page not found\n");
      return;
    }
    const query = request.query.get("query") ?? "";
    const nowSeconds = Date.now() / 1000;
    try {
      const result = this.evaluate(query.trim(), scope);
      if (result.kind === "scalar") {
        reply(200, {
          status: "success",
          data: { resultType: "scalar", result: [nowSeconds, String(result.value)] },
        });
      } else {
        reply(200, {
          status: "success",
          data: {
            resultType: "vector",
            result: result.samples.map((sample) => ({
              metric: sample.labels,
              value: [nowSeconds, String(sample.value)],
            })),
          },
        });
      }
    } catch (error) {
      reply(400, `parse error : ${(error as Error).message}\n`);
    }
  }

  private authorized(header: string | undefined): boolean {
    const auth = this.#options.auth;
    if (!auth) return true;
    if (auth.bearer !== undefined && header === `Bearer ${auth.bearer}`) return true;
    if (auth.basic) {
      const expected = Buffer.from(`${auth.basic.username}:${auth.basic.password}`).toString("base64");
      if (header === `Basic ${expected}`) return true;
    }
    return false;
  }

  private evaluate(
    query: string,
    tenant: string,
  ):
    | { kind: "scalar"; value: number }
    | { kind: "vector"; samples: { labels: Record<string, string>; value: number }[] } {
    if (/^-?\d+(\.\d+)?$/.test(query)) return { kind: "scalar", value: Number(query) };
    const sum = /^sum\s*\((.*)\)$/s.exec(query);
    if (sum) {
      const inner = this.evaluate((sum[1] ?? "").trim(), tenant);
      if (inner.kind !== "vector") throw new Error("sum needs a vector");
      if (inner.samples.length === 0) return inner;
      return {
        kind: "vector",
        samples: [{ labels: {}, value: inner.samples.reduce((total, s) => total + s.value, 0) }],
      };
    }
    const range =
      /^(count_over_time|rate)\s*\(\s*(\{[^}]*\})((?:\s*\|=\s*"[^"]*")*)\s*\[(\d+)([smh])\]\s*\)$/.exec(
        query,
      );
    if (!range) throw new Error(`syntax error: unexpected query ${JSON.stringify(query)}`);
    const [, fn, selector = "", filters = "", amount = "0", unit = "s"] = range;
    const matchers = [...selector.matchAll(/(\w+)\s*=\s*"([^"]*)"/g)].map(([, name, value]) => [name, value]);
    const contains = [...filters.matchAll(/\|=\s*"([^"]*)"/g)].map(([, text]) => text ?? "");
    const windowMs = Number(amount) * { s: 1000, m: 60_000, h: 3_600_000 }[unit as "s" | "m" | "h"];
    const since = Date.now() - windowMs;
    const streams = new Map<string, { labels: Record<string, string>; count: number }>();
    for (const entry of this.#entries.get(tenant) ?? []) {
      if (entry.timeMs < since) continue;
      if (!matchers.every(([name, value]) => entry.labels[name as string] === value)) continue;
      if (!contains.every((text) => entry.line.includes(text))) continue;
      const key = JSON.stringify(entry.labels);
      const stream = streams.get(key) ?? { labels: entry.labels, count: 0 };
      stream.count += 1;
      streams.set(key, stream);
    }
    return {
      kind: "vector",
      samples: [...streams.values()].map((stream) => ({
        labels: stream.labels,
        value: fn === "rate" ? stream.count / (windowMs / 1000) : stream.count,
      })),
    };
  }
}
