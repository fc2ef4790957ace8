import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { eventually, useCleanup } from "../../test/support/isolation.ts";
import { TidalRun } from "../../test/support/tidal-run.ts";

describe("examples/quickstart", () => {
  const cleanup = useCleanup();

  it("answers the first request to a pool at zero with 200, then serves from the warm worker", async () => {
    const run = await TidalRun.start([fileURLToPath(new URL(".", import.meta.url))]);
    cleanup.add(() => run.stop());
    expect(run.httpProxyUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await run.pool("hello")).replicas).toBe(0);

    const first = await fetch(`${run.httpProxyUrl}/hello`);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-keda-http-cold-start")).toBe("true");
    expect(await first.text()).toBe("hello from worker 0 (GET /hello)\n");
    expect((await run.pool("hello")).replicas).toBe(1);

    const second = await fetch(`${run.httpProxyUrl}/again`);
    expect(second.headers.get("x-keda-http-cold-start")).toBe("false");
    expect(await second.text()).toContain("GET /again");
    await eventually("the activation event", () =>
      run.logs.some((line) => line.reason === "KEDAScaleTargetActivated"),
    );
    expect(await run.stop()).toBe(0);
  });
});
