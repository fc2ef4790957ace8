import { mkdtempSync, readFileSync, writeFileSync, chmodSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { expectNoStackTrace, runTidal } from "../../test/cli/tidal-cli.ts";
import { EventLog } from "../runtime/events.ts";
import { ScalingHistory } from "../runtime/history.ts";
import { createStatusServer, type StatusServer } from "../runtime/status/server.ts";
import { listen } from "../util/listen.ts";
import { browserCommand } from "./dashboard.ts";

vi.setConfig({ testTimeout: 60_000 });

describe("tidal dashboard", () => {
  let server: StatusServer;
  let base = "";

  beforeAll(async () => {
    const events = new EventLog();
    const snapshot = {
      name: "orders",
      namespace: "shop",
      target: { kind: "ProcessPool", name: "worker" },
      replicas: 0,
      desiredReplicas: 0,
      readyReplicas: 0,
      minReplicas: 0,
      maxReplicas: 3,
      ready: true,
      active: false,
      fallback: false,
      paused: false,
      lastActiveTime: null,
      lastEvaluationTime: null,
      conditions: [],
      triggers: [],
    };
    const source = {
      title: "tidal run",
      history: new ScalingHistory(),
      objects: () => [
        {
          ref: { kind: "ScaledObject" as const, namespace: "shop", name: "orders" },
          shownKind: "ScaledObject" as const,
          snapshot: () => snapshot,
          trace: () => undefined,
        },
      ],
      eventsOf: () => [],
      recentEvents: () => [],
      onEvent: (listener: Parameters<EventLog["onEvent"]>[0]) => events.onEvent(listener),
      scaledObjects: () => [snapshot],
      scaledJobs: () => [],
      trace: () => undefined,
      events: () => [],
      processPools: () => [],
    };
    server = createStatusServer({ status: source, dashboard: source, loopbackOnly: true });
    base = `http://127.0.0.1:${await listen(server.server, 0)}`;
  });
  afterAll(() => server.close());

  it("prints the page's address, or an object's view", async () => {
    const overview = await runTidal(["dashboard", "--server", base]);
    expect(overview).toMatchObject({ code: 0, stdout: `${base}/dashboard/\n` });
    const object = await runTidal(["dashboard", "orders", "-n", "shop", "--server", base]);
    expect(object).toMatchObject({
      code: 0,
      stdout: `${base}/dashboard/#/object/ScaledObject/shop/orders\n`,
    });
    const missing = await runTidal(["dashboard", "orders", "--server", base]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `tidal: tidal run at ${base} has no object default/orders; run \`tidal dashboard\` for the list\n`,
    );
  });

  it("--open hands the address to $BROWSER", async () => {
    const folder = mkdtempSync(join(tmpdir(), "tidal-browser-"));
    const opener = join(folder, "browser.sh");
    const opened = join(folder, "opened");
    writeFileSync(opener, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`);
    chmodSync(opener, 0o755);
    const result = await runTidal(["dashboard", "--server", base, "--open"], { env: { BROWSER: opener } });
    expect(result.code).toBe(0);
    await vi.waitFor(() =>
      expect(existsSync(opened) && readFileSync(opened, "utf8")).toBe(`${base}/dashboard/`),
    );
  });

  it("says when nothing answers, or something else does", async () => {
    const unreachable = await runTidal(["dashboard", "--server", "http://127.0.0.1:9"]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^tidal: cannot reach the status API at http:\/\/127\.0\.0\.1:9 \(/);
    expectNoStackTrace(unreachable);
    const other = await runTidal(["dashboard", "--server", `${base}/healthz`]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("serves no Tidal dashboard");
  });

  it("chooses $BROWSER, else the platform's opener", () => {
    expect(browserCommand("linux", { BROWSER: "firefox:chromium" })).toEqual(["firefox", []]);
    expect(browserCommand("linux", {})).toEqual(["xdg-open", []]);
    expect(browserCommand("darwin", {})).toEqual(["open", []]);
    expect(browserCommand("win32", {})).toEqual(["cmd", ["/c", "start", ""]]);
  });
});
