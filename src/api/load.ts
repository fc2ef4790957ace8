import { readdir, readFile, realpath, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { LineCounter, parseAllDocuments } from "yaml";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";

/** Where a finding is: file, 1-based document index, the object it is about, the field path. */
export interface Problem {
  file: string;
  doc: number;
  kind: string;
  name: string;
  path: string;
  message: string;
  severity: "error" | "warning";
}

/** One YAML/JSON document from a file, as parsed, with its position. */
export interface SourceDocument {
  file: string;
  doc: number;
  value: unknown;
}

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/** The `-f` value that reads standard input, as kubectl spells it. */
export const STDIN = "-";

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Expands files and folders (recursively, .yaml/.yml/.json) in a stable order. */
export async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    if (path === STDIN) {
      files.push(path);
      continue;
    }
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new UsageError(`${path}: no such file or folder`);
    if (info.isDirectory()) {
      const entries = (await readdir(path, { withFileTypes: true })).sort((a, b) =>
        a.name.localeCompare(b.name),
      );
      const nested = entries
        .filter((entry) => !entry.name.startsWith(".") && entry.name !== "node_modules")
        .filter((entry) => entry.isDirectory() || MANIFEST_EXTENSIONS.has(extname(entry.name)))
        .map((entry) => join(path, entry.name));
      files.push(...(await expandPaths(nested)));
    } else {
      files.push(path);
    }
  }
  return files;
}

/**
 * Parses every document of a multi-document YAML text. Syntax errors become problems, not throws.
 * `documentCount` counts empty documents too, as `doc` numbers them.
 */
export function parseManifests(
  file: string,
  text: string,
): { documents: SourceDocument[]; problems: Problem[]; documentCount: number } {
  const documents: SourceDocument[] = [];
  const problems: Problem[] = [];
  let doc = 0;
  const lineCounter = new LineCounter();
  const documentProblem = (message: string) =>
    problems.push({ file, doc, kind: "", name: "", path: "", message, severity: "error" });
  for (const parsed of parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true, lineCounter })) {
    doc += 1;
    if (parsed.errors.length > 0) {
      for (const error of parsed.errors) {
        const position = lineCounter.linePos(error.pos[0]);
        const where = position ? `line ${position.line}, column ${position.col}: ` : "";
        const message =
          error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? "invalid YAML";
        documentProblem(`${where}${message}`);
      }
      continue;
    }
    let value: unknown;
    try {
      value = parsed.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // Too many aliases (an "entity expansion" document) and similar: a finding, not a crash.
      documentProblem(`cannot read the document: ${messageOf(error)}`);
      continue;
    }
    if (value === null || value === undefined) continue;
    for (const item of listItems(value)) documents.push({ file, doc, value: item });
  }
  return { documents, problems, documentCount: doc };
}

/**
 * The objects a document holds: the items of a kubectl `kind: List` (what `kubectl get -o yaml`
 * prints) or of a top-level array, else the document itself.
 */
function listItems(value: unknown): unknown[] {
  if (Array.isArray(value)) return value.flatMap(listItems);
  if (typeof value === "object" && value !== null) {
    const { kind, items } = value as { kind?: unknown; items?: unknown };
    if (typeof kind === "string" && kind.endsWith("List") && Array.isArray(items))
      return items.flatMap(listItems);
  }
  return [value];
}

/**
 * Reads and parses all manifests under the given paths (each file once, however it was named).
 * Finding no object at all is an error: a wrong folder must not look like a valid one.
 */
export async function loadManifests(
  paths: readonly string[],
): Promise<{ documents: SourceDocument[]; problems: Problem[] }> {
  const documents: SourceDocument[] = [];
  const problems: Problem[] = [];
  const files = await expandPaths(paths);
  if (files.length === 0) {
    throw new UsageError(`${paths.join(", ")}: no .yaml, .yml or .json files found`);
  }
  const seen = new Set<string>();
  for (const file of files) {
    const real = file === STDIN ? file : await realpath(file).catch(() => file);
    if (seen.has(real)) continue;
    seen.add(real);
    const text =
      file === STDIN
        ? await readStdin()
        : await readFile(file, "utf8").catch((error: unknown) => {
            throw new TidalError("TIDAL_E_READ", `${file}: cannot read the file (${messageOf(error)})`);
          });
    const parsed = parseManifests(file, text);
    documents.push(...parsed.documents);
    problems.push(...parsed.problems);
  }
  if (documents.length === 0 && problems.length === 0) {
    problems.push({
      file: paths.join(", "),
      doc: 0,
      kind: "",
      name: "",
      path: "",
      message: "no objects found: the files are empty (or hold only empty lists)",
      severity: "error",
    });
  }
  return { documents, problems };
}
