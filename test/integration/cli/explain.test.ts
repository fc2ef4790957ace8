/**
 * `tidal explain` against a real `tidal run` (the quickstart example): the trace as text and JSON,
 * an unknown name, a server that is not Tidal's status API, and a --server it refuses outright;
 * finding the running `tidal run` without --server (its record in the state dir, TIDAL_SERVER).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { expectNoStackTrace, runTidal } from "../../cli/tidal-cli.ts";
import { closedPort } from "../../support/closed-port.ts";
import { TidalRun } from "../../support/tidal-run.ts";

describe("tidal explain", () => {
  let run: TidalRun;
  beforeAll(async () => {
    run = await TidalRun.start([fileURLToPath(new URL("../../../examples/quickstart/", import.meta.url))]);
    await fetch(`${run.httpProxyUrl}/hello`);
    return () => run.stop();
  });

  it("prints the last decision of a ScaledObject as text and as JSON", async () => {
    const text = await runTidal(["explain", "hello", "--server", run.statusUrl]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ScaledObject default\/hello: \d+ → \d+ replicas/);
    expect(text.stdout).toContain("s0-http-default-hello");
    const json = await runTidal(["explain", "hello", "--server", run.statusUrl, "-o", "json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ desiredReplicas: expect.any(Number) });
  });

  it("names an unknown ScaledObject, a server that is not the status API, and an unreachable one", async () => {
    const unknown = await runTidal(["explain", "nosuch", "--server", run.statusUrl]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("nosuch");
    const proxy = await runTidal(["explain", "hello", "--server", run.httpProxyUrl!]);
    expect(proxy.code).toBe(1);
    expect(proxy.stderr).toContain("but not as Tidal's status API");
    const port = await closedPort();
    const closed = await runTidal(["explain", "hello", "--server", `http://127.0.0.1:${port}`]);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain(`cannot reach the status API at http://127.0.0.1:${port} (ECONNREFUSED)`);
    for (const result of [unknown, proxy, closed]) expectNoStackTrace(result);
  });

  it("finds the running tidal run through its state dir, or TIDAL_SERVER", async () => {
    const recorded = await runTidal(["explain", "hello", "--state-dir", run.stateDir]);
    expect(recorded.code).toBe(0);
    expect(recorded.stdout).toMatch(/^ScaledObject default\/hello: /);
    const fromEnv = await runTidal(["explain", "hello", "--state-dir", mkdtempSync(join(tmpdir(), "x-"))], {
      env: { TIDAL_SERVER: run.statusUrl },
    });
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.stdout).toMatch(/^ScaledObject default\/hello: /);
  });

  it("says clearly that no tidal run is found, and which to start", async () => {
    const empty = mkdtempSync(join(tmpdir(), "tidal-state-"));
    // No kubeconfig at hand either, else explain would ask a cluster.
    const noCluster = { KUBECONFIG: "", HOME: empty };
    const none = await runTidal(["explain", "hello", "--state-dir", empty], { env: noCluster });
    // the default port is free here unless some other tidal run holds it
    if (none.code !== 0) {
      expect(none.code).toBe(1);
      expect(none.stderr).toContain(
        `tidal: no \`tidal run\` found: none is recorded in ${join(empty, "tidal-run.json")}`,
      );
      expect(none.stderr).toContain("start `tidal run -f PATH`");
      expectNoStackTrace(none);
    }
    const port = await closedPort();
    const badEnv = await runTidal(["explain", "hello"], {
      env: { TIDAL_SERVER: `http://127.0.0.1:${port}` },
    });
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr).toContain(`given by TIDAL_SERVER`);
  });

  it("asks the cluster when only a kubeconfig is at hand, and says no tidal run was found either", async () => {
    const empty = mkdtempSync(join(tmpdir(), "tidal-state-"));
    const port = await closedPort();
    const kubeconfig = join(empty, "kubeconfig");
    writeFileSync(
      kubeconfig,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:" + String(port) + "'}}]",
        "users: [{name: u, user: {token: t}}]",
        "contexts: [{name: x, context: {cluster: c, user: u}}]",
        "current-context: x",
        "",
      ].join("\n"),
    );
    const result = await runTidal(["explain", "hello", "--state-dir", empty], {
      env: { KUBECONFIG: kubeconfig, HOME: empty },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`127.0.0.1:${port}`);
    expect(result.stderr).toContain(
      `(no \`tidal run\` is recorded in ${join(empty, "tidal-run.json")} either: start \`tidal run -f PATH\``,
    );
    expectNoStackTrace(result);
  });

  it("refuses a --server with credentials without echoing them, and one that is not http", async () => {
    const withPassword = await runTidal([
      "explain",
      "hello",
      "--server",
      "http://user:Sekr1t-pw@127.0.0.1:1/",
    ]);
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toContain("--server must not contain a user name or password");
    expect(withPassword.stdout + withPassword.stderr).not.toContain("Sekr1t-pw");
    const ftp = await runTidal(["explain", "hello", "--server", "ftp://127.0.0.1/"]);
    expect(ftp.code).toBe(2);
    expect(ftp.stderr).toContain("--server must be an http:// or https:// URL, got ftp:");
    const empty = await runTidal(["explain", "", "--server", run.statusUrl]);
    expect(empty.code).toBe(2);
  });
});
