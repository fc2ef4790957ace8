/**
 * `tidal explain` against a real `tidal run` (the quickstart example): the trace as text and JSON,
 * an unknown name, a server that is not Tidal's status API, and a --server it refuses outright.
 */
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
