import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_SERVER, findServer, unreachableMessage } from "./find-server.ts";
import {
  DEFAULT_STATUS_PORT,
  SERVER_RECORD,
  readServerRecord,
  removeServerRecord,
  writeServerRecord,
} from "./server-record.ts";

const stateDir = () => mkdtempSync(join(tmpdir(), "tidal-state-"));

/** A pid no process has: beyond Linux's pid_max. */
const GONE_PID = 2 ** 22 + 1;

describe("the tidal run record", () => {
  it("is written, read back, and removed only by the process that wrote it", async () => {
    const dir = stateDir();
    const record = {
      pid: process.pid,
      statusApi: "http://127.0.0.1:1234",
      startedAt: "2026-01-01T00:00:00Z",
    };
    await writeServerRecord(dir, record);
    expect(await readServerRecord(dir)).toEqual(record);
    await removeServerRecord(dir, process.pid + 1);
    expect(await readServerRecord(dir)).toEqual(record);
    await removeServerRecord(dir);
    expect(await readServerRecord(dir)).toBeUndefined();
  });

  it("is absent when the file is not one", async () => {
    const dir = stateDir();
    writeFileSync(join(dir, SERVER_RECORD), "{not json");
    expect(await readServerRecord(dir)).toBeUndefined();
    writeFileSync(join(dir, SERVER_RECORD), '{"pid":"1"}');
    expect(await readServerRecord(dir)).toBeUndefined();
  });

  it("defaults to a port clear of Prometheus and the common web-app ports", () => {
    expect(DEFAULT_STATUS_PORT).toBe(8435);
    expect([3000, 5000, 8000, 8080, 9090]).not.toContain(DEFAULT_STATUS_PORT);
    expect(DEFAULT_SERVER).toBe("http://127.0.0.1:8435");
  });
});

describe("findServer (tidal explain without --server)", () => {
  it("takes --server or TIDAL_SERVER over any record", async () => {
    const dir = stateDir();
    await writeServerRecord(dir, { pid: process.pid, statusApi: "http://127.0.0.1:1", startedAt: "" });
    expect(await findServer({ server: "http://h:2", from: "TIDAL_SERVER", stateDir: dir })).toEqual({
      url: "http://h:2",
      from: "TIDAL_SERVER",
    });
  });

  it("uses the address a running tidal run recorded in the state dir", async () => {
    const dir = stateDir();
    await writeServerRecord(dir, { pid: process.pid, statusApi: "http://127.0.0.1:41234", startedAt: "" });
    expect(await findServer({ stateDir: dir })).toMatchObject({
      url: "http://127.0.0.1:41234",
      from: "record",
    });
  });

  it("falls back to the default port when nothing is recorded", async () => {
    const dir = stateDir();
    const found = await findServer({ stateDir: dir });
    expect(found).toEqual({ url: DEFAULT_SERVER, from: "default", recordPath: join(dir, SERVER_RECORD) });
    expect(unreachableMessage(new URL(found.url), found, "ECONNREFUSED")).toBe(
      `no \`tidal run\` found: none is recorded in ${join(dir, SERVER_RECORD)} and nothing answers at http://127.0.0.1:8435 (ECONNREFUSED); start \`tidal run -f PATH\`, or pass --state-dir (the one \`tidal run\` uses) or --server (or set TIDAL_SERVER) with the statusApi address it prints`,
    );
  });

  it("says so when the recorded tidal run has stopped", async () => {
    const dir = stateDir();
    await writeServerRecord(dir, { pid: GONE_PID, statusApi: "http://127.0.0.1:41234", startedAt: "" });
    await expect(findServer({ stateDir: dir })).rejects.toThrow(
      `no \`tidal run\` is running: the one recorded in ${join(dir, SERVER_RECORD)} (pid ${GONE_PID}, http://127.0.0.1:41234) has stopped`,
    );
  });
});
