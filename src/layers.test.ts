/**
 * Tidal's layers, lowest first. A module may import its own layer and layers below it, never one
 * above or beside it; tests may import anything. Inside runtime, the shared loops and readings sit
 * below metrics-api, which sits below the two runtimes, which never import each other.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const LAYERS: readonly (readonly string[])[] = [
  ["util"],
  ["observability", "scheduler"],
  ["api"],
  ["auth"],
  ["engine"],
  ["scalers"],
  ["validation"],
  ["targets"],
  ["http-proxy"],
  ["simulate"],
  ["runtime"],
  ["runtime/metrics-api", "runtime/status"],
  ["runtime/standalone", "runtime/kubernetes"],
  ["cli"],
];

/** The engine decides; it reads no files, sockets or clocks of its own. */
const NO_IO = new Set(["engine"]);

const source = dirname(fileURLToPath(import.meta.url));

function modules(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return modules(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

/** The most specific layer a file of src/ belongs to. */
function layerOf(file: string): string {
  const path = relative(source, file).split("\\").join("/");
  const names = LAYERS.flat().filter((name) => path === name || path.startsWith(`${name}/`));
  return names.sort((a, b) => b.length - a.length)[0] ?? path;
}

const rank = new Map(LAYERS.flatMap((names, index) => names.map((name) => [name, index] as const)));

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)].map((match) => (match[1] ?? match[2]) as string);
}

describe("layers", () => {
  const files = modules(source);

  it("every module of src/ belongs to a layer", () => {
    const unplaced = files.filter((file) => !rank.has(layerOf(file)));
    expect(unplaced.map((file) => relative(source, file))).toEqual([]);
  });

  it("no module imports a layer above or beside its own", () => {
    const violations: string[] = [];
    for (const file of files) {
      const from = layerOf(file);
      for (const specifier of importsOf(file)) {
        if (!specifier.startsWith(".")) continue;
        const target = normalize(join(dirname(file), specifier));
        if (!target.startsWith(source)) continue;
        const to = layerOf(target);
        if (to === from || (rank.get(to) ?? Infinity) < (rank.get(from) ?? -1)) continue;
        violations.push(`${relative(source, file)} (${from}) imports ${relative(source, target)} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("the engine imports no Node module that does I/O", () => {
    const violations = files
      .filter((file) => NO_IO.has(layerOf(file)))
      .flatMap((file) =>
        importsOf(file)
          .filter((specifier) => specifier.startsWith("node:"))
          .map((specifier) => `${relative(source, file)} imports ${specifier}`),
      );
    expect(violations).toEqual([]);
  });
});
