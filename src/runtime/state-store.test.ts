import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { StateStore, stateFileName } from "./state-store.ts";
import { readPersistedScaleState } from "./standalone/persisted-state.ts";

const folders: string[] = [];
function store() {
  const directory = mkdtempSync(join(tmpdir(), "tidal-state-store-"));
  folders.push(directory);
  const warnings: string[] = [];
  return { directory, warnings, store: new StateStore(directory, { onSetAside: (m) => warnings.push(m) }) };
}
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const identity = (value: unknown) => value;
const validState = {
  engine: {
    createdAt: 1,
    health: {},
    hpa: { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] },
  },
  replicas: 2,
};

describe("state file names", () => {
  it("are one-to-one: keys that differ never share a file", () => {
    const keys = [
      "scaledobject.default/a_b",
      "scaledobject.default_a/b",
      "scaledobject.default/a/b",
      "scaledobject.default/a%5Fb",
      "scaledobject.default/a b",
      "scaledobject.default/ä",
      "..",
      ".",
      "",
    ];
    const names = keys.map(stateFileName);
    expect(new Set(names).size).toBe(keys.length);
    expect(names.slice(0, 2)).toEqual(["scaledobject.default_a%5Fb.json", "scaledobject.default%5Fa_b.json"]);
    for (const name of names) expect(name).not.toMatch(/\/|^\.\.?(\.json)?$/);
  });

  it("keep the names earlier versions gave valid Kubernetes names", () => {
    expect(stateFileName("scaledobject.team-a/orders.v2")).toBe("scaledobject.team-a_orders.v2.json");
  });

  it("stay short enough for the file system, and distinct, for the longest names", () => {
    const long = `scaledjob.${"n".repeat(63)}/${"a".repeat(253)}`;
    const other = `scaledjob.${"n".repeat(63)}/${"a".repeat(252)}b`;
    expect(stateFileName(long).length).toBeLessThanOrEqual(200);
    expect(stateFileName(long)).not.toBe(stateFileName(other));
  });
});

describe("StateStore", () => {
  it("keeps the state of default/a_b and default_a/b apart", async () => {
    const { store: states } = store();
    await states.save("scaledobject.default/a_b", { replicas: 1 });
    await states.save("scaledobject.default_a/b", { replicas: 2 });
    expect(await states.load("scaledobject.default/a_b", identity)).toEqual({ replicas: 1 });
    expect(await states.load("scaledobject.default_a/b", identity)).toEqual({ replicas: 2 });
  });

  it("names, sets aside and reports an unparsable file, and starts that key afresh", async () => {
    const { directory, warnings, store: states } = store();
    const file = join(directory, "scaledobject.default_a.json");
    writeFileSync(file, "{ not json");
    expect(await states.load("scaledobject.default/a", readPersistedScaleState)).toBeUndefined();
    expect(existsSync(`${file}.corrupt`)).toBe(true);
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^state file ${file} is invalid \\(not JSON: .*\\); set aside as ${file}\\.corrupt; "scaledobject\\.default/a" starts with fresh state$`,
        ),
      ),
    ]);
  });

  it("names, sets aside and reports a file whose state is invalid (replicas: -5)", async () => {
    const { directory, warnings, store: states } = store();
    const file = join(directory, "scaledobject.default_a.json");
    writeFileSync(file, JSON.stringify({ ...validState, replicas: -5 }));
    expect(await states.load("scaledobject.default/a", readPersistedScaleState)).toBeUndefined();
    expect(warnings).toEqual([
      `state file ${file} is invalid (replicas: must be a whole number ≥ 0, got -5); set aside as ${file}.corrupt; "scaledobject.default/a" starts with fresh state`,
    ]);
    writeFileSync(file, JSON.stringify(validState));
    expect(await states.load("scaledobject.default/a", readPersistedScaleState)).toEqual(validState);
  });

  it("removes its temporary file when a write fails", async () => {
    const { directory, store: states } = store();
    // A folder where the file should go makes the rename fail, as a full disk makes the write fail.
    mkdirSync(join(directory, "scaledobject.default_a.json", "inside"), { recursive: true });
    await expect(states.save("scaledobject.default/a", validState)).rejects.toThrow();
    expect(readdirSync(directory)).toEqual(["scaledobject.default_a.json"]);
  });

  it("loads every value under a prefix", async () => {
    const { directory, store: states } = store();
    await states.save("processes.default/a", { owner: "a" });
    await states.save("processes.default/b", { owner: "b" });
    await states.save("scaledobject.default/a", validState);
    writeFileSync(join(directory, "processes.default_c.json"), "[");
    expect(await states.loadAll("processes.", identity)).toEqual([{ owner: "a" }, { owner: "b" }]);
    expect(readFileSync(join(directory, "processes.default_c.json.corrupt"), "utf8")).toBe("[");
  });
});
