import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { watchManifestPaths } from "./watch-files.ts";

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

/** Watches `paths` and returns a function that waits for the next change notice. */
function watchChanges(paths: string[]) {
  let notify: (() => void) | undefined;
  let count = 0;
  stops.push(
    watchManifestPaths(
      paths,
      () => {
        count += 1;
        notify?.();
      },
      20,
    ),
  );
  return {
    next: () =>
      new Promise<void>((resolve) => {
        notify = resolve;
      }),
    count: () => count,
  };
}

describe("watchManifestPaths", () => {
  it("sees a file written in place, replaced by a rename, and written again after that", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tidal-watch-"));
    const file = join(directory, "tidal.yaml");
    writeFileSync(file, "a: 1\n");
    const changes = watchChanges([file]);

    let next = changes.next();
    writeFileSync(file, "a: 2\n");
    await next;

    next = changes.next();
    writeFileSync(join(directory, ".tidal.yaml.tmp"), "a: 3\n");
    renameSync(join(directory, ".tidal.yaml.tmp"), file);
    await next;

    next = changes.next();
    writeFileSync(file, "a: 4\n");
    await next;
    expect(changes.count()).toBeGreaterThanOrEqual(3);
  });

  it("watches folders recursively", async () => {
    const directory = mkdtempSync(join(tmpdir(), "tidal-watch-"));
    mkdirSync(join(directory, "nested"));
    const changes = watchChanges([directory]);
    const next = changes.next();
    writeFileSync(join(directory, "nested", "more.yaml"), "b: 1\n");
    await next;
    expect(changes.count()).toBe(1);
  });
});
