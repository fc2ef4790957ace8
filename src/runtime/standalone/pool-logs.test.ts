import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PoolLogs, type WorkerLogLine } from "./pool-logs.ts";
import { formatLogLine } from "../status/source.ts";

const line = (n: number, stream: "stdout" | "stderr" = "stdout"): WorkerLogLine => ({
  at: "2026-01-01T00:00:00.000Z",
  worker: n % 2,
  stream,
  line: `line ${n}`,
});

describe("PoolLogs", () => {
  it("keeps the last lines per pool and feeds followers until they stop", () => {
    const logs = new PoolLogs({ keepLines: 3 });
    const followed: string[] = [];
    const stop = logs.follow("default/a", (entry) => followed.push(entry.line));
    for (let n = 0; n < 5; n += 1) logs.append("default/a", line(n));
    stop();
    logs.append("default/a", line(5));
    logs.append("default/b", line(9));
    expect(logs.recent("default/a").map((entry) => entry.line)).toEqual(["line 3", "line 4", "line 5"]);
    expect(logs.recent("default/a", 1).map((entry) => entry.line)).toEqual(["line 5"]);
    expect(logs.recent("default/a", 0)).toEqual([]);
    expect(followed).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
    expect(logs.recent("default/none")).toEqual([]);
    expect(logs.pathOf("default/a")).toBeUndefined();
  });

  it("writes each pool's lines to its file and rotates it by size, keeping the newest files", () => {
    const dir = join(mkdtempSync(join(tmpdir(), "tidal-logs-")), "logs");
    const logs = new PoolLogs({ dir, maxFileBytes: 200, keepFiles: 2 });
    const path = join(dir, "default_a.log");
    expect(logs.pathOf("default/a")).toBe(path);
    for (let n = 0; n < 20; n += 1) logs.append("default/a", line(n, n % 3 === 0 ? "stderr" : "stdout"));
    logs.close();
    const current = readFileSync(path, "utf8");
    expect(current.endsWith("2026-01-01T00:00:00.000Z worker-1 stdout | line 19\n")).toBe(true);
    expect(Buffer.byteLength(current)).toBeLessThanOrEqual(200);
    expect(readFileSync(`${path}.1`, "utf8")).toContain(" stderr | line");
    expect(existsSync(`${path}.2`)).toBe(true);
    expect(existsSync(`${path}.3`)).toBe(false);
    const all = [`${path}.2`, `${path}.1`, path].map((file) => readFileSync(file, "utf8")).join("");
    expect(all.trim().split("\n").at(-1)).toContain("line 19");
  });

  it("formats lines as tidal logs prints them, prefixed by worker", () => {
    expect(formatLogLine(line(1))).toBe("worker-1 | line 1\n");
    expect(formatLogLine(line(2, "stderr"))).toBe("worker-0 stderr | line 2\n");
    expect(formatLogLine(line(3), true)).toBe("2026-01-01T00:00:00.000Z worker-1 | line 3\n");
  });
});
