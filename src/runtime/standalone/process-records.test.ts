import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger } from "../../observability/logger.ts";
import { StateStore } from "../state-store.ts";
import { ProcessRecords } from "./process-records.ts";

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe("ProcessRecords", () => {
  it("has a started process on disk when recording returns, before any await (a kill -9 right after loses nothing)", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tidal-records-"));
    directories.push(directory);
    const store = new StateStore(directory);
    const records = new ProcessRecords(store, createLogger({ level: "error" }));
    const record = records.recorder("processpool.default/web");
    const identity = { pid: 4242, startTicks: 7, bootId: "boot" };
    const forget = record({ ...identity, index: 0, graceMs: 1000 });
    const onDisk = () =>
      JSON.parse(readFileSync(store.pathOf("processes.processpool.default/web"), "utf8")) as {
        processes: { pid: number }[];
      };
    // Synchronously: no await between recording and reading.
    expect(onDisk().processes.map((process) => process.pid)).toEqual([4242]);

    const second = record({ ...identity, pid: 4243, index: 1, graceMs: 1000 });
    expect(onDisk().processes.map((process) => process.pid)).toEqual([4242, 4243]);
    forget();
    second();
    await records.flush();
    expect(() => onDisk()).toThrow(/ENOENT/);
  });
});
