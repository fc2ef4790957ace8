import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { otherCheckout } from "../../support/other-checkout.ts";
import { useServices } from "../../support/services.ts";

beforeAll(() => useServices("postgres", "mariadb", "redis", "kafka"));

describe("services.sh start while another checkout's servers hold the ports", () => {
  const other = otherCheckout(["services.sh", "services", "ports.sh"]);
  afterAll(() => other.remove());

  it("refuses each server, naming the port, who holds it and what to do, before touching data", () => {
    const start = other.run("services.sh", ["start", "postgres", "mariadb", "redis", "kafka"]);
    expect(start.status).not.toBe(0);
    expect(start.stderr).toMatch(
      /redis cannot start: 127\.0\.0\.1:6379 is already in use by redis-server \(pid \d+\)/,
    );
    expect(start.stderr).toMatch(/postgres cannot start: 127\.0\.0\.1:5432 is already in use by postgres/);
    expect(start.stderr).toMatch(/kafka cannot start: 127\.0\.0\.1:9092 is already in use/);
    expect(start.stderr).toContain("run scripts/services.sh stop there");
    expect(existsSync(join(other.root, ".tidal/services/postgres/data"))).toBe(false);
    expect(existsSync(join(other.root, ".tidal/services/mariadb/data"))).toBe(false);
  });

  it("leaves the servers that hold the ports running", () => {
    const status = spawnSync(
      "bash",
      [fileURLToPath(new URL("../../../scripts/services.sh", import.meta.url)), "status", "redis"],
      {
        encoding: "utf8",
      },
    );
    expect(status.stdout).toMatch(/^redis +up /m);
    expect(status.status).toBe(0);
  });
});
