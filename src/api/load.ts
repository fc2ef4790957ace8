import { open, readdir, realpath, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Document,
  type Node,
} from "yaml";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";

/**
 * Where a finding is: file, 1-based document index, the object it is about, the field path, and
 * (when the source is known) the 1-based line and column of the field, or of its nearest parent.
 */
export interface Problem {
  file: string;
  doc: number;
  line?: number;
  col?: number;
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

/** A position in a source file, 1-based. */
export interface SourcePosition {
  line: number;
  col: number;
}

/** Finds a field path (`spec.triggers[0].metadata.host`) in a document's source. */
export type Locator = (path: string) => SourcePosition | undefined;

const locators = new WeakMap<SourceDocument, Locator>();

/** The locator of a document parsed from source; undefined for documents made in code. */
export function locatorOf(document: SourceDocument): Locator | undefined {
  return locators.get(document);
}

/** `spec.triggers[0].metadata["a.b"]` → ["spec", "triggers", 0, "metadata", "a.b"]. */
export function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  for (const match of path.matchAll(/\[(\d+)\]|\["([^"]*)"\]|([^.[\]]+)/g)) {
    if (match[1] !== undefined) segments.push(Number(match[1]));
    else segments.push(match[2] ?? match[3] ?? "");
  }
  return segments;
}

/**
 * Where `path` is under `root`: the key of the deepest field of the path that exists (a missing
 * field is reported at its parent), or the item of a list.
 */
function locate(root: Node | null, path: string, lineCounter: LineCounter): SourcePosition | undefined {
  if (root === null) return undefined;
  let node: Node = root;
  let offset = node.range?.[0];
  for (const segment of pathSegments(path)) {
    let next: { node: unknown; offset: number | undefined } | undefined;
    if (typeof segment === "number" && isSeq(node)) {
      const item = node.items[segment] as Node | undefined;
      if (item) next = { node: item, offset: item.range?.[0] };
    } else if (isMap(node)) {
      const pair = node.items.find(
        (candidate) =>
          isPair(candidate) && isScalar(candidate.key) && String(candidate.key.value) === String(segment),
      );
      if (pair && isScalar(pair.key)) next = { node: pair.value, offset: pair.key.range?.[0] };
    }
    if (next === undefined) break;
    offset = next.offset ?? offset;
    if (next.node === null || typeof next.node !== "object") break;
    node = next.node as Node;
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset);
}

/** The nodes of the objects a document holds, as `listItems` finds their values. */
function listItemNodes(node: Node | null): (Node | null)[] {
  if (isSeq(node)) return node.items.flatMap((item) => listItemNodes(item as Node));
  if (isMap(node)) {
    const kind = node.get("kind");
    const items = node.get("items", true);
    if (typeof kind === "string" && kind.endsWith("List") && isSeq(items))
      return items.items.flatMap((item) => listItemNodes(item as Node));
  }
  return [node];
}

const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml", ".json"]);

/** The `-f` value that reads standard input, as kubectl spells it. */
export const STDIN = "-";

/**
 * What one input may cost. Kubernetes refuses requests over 3 MiB, so no object it stores is
 * bigger; a file may hold many. The node limit bounds the work after parsing (a mapping of 100,000
 * keys fits in 3 MiB). Parsing is linear in the input, so these bound its time too.
 */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;
export const MAX_DOCUMENT_BYTES = 3 * 1024 * 1024;
export const MAX_DOCUMENT_NODES = 250_000;

const MIB = 1024 * 1024;
const mebibytes = (bytes: number) => `${Number((bytes / MIB).toFixed(1))} MiB`;

function tooLarge(what: string): TidalError {
  return new TidalError(
    "TIDAL_E_READ",
    `${what}: larger than the ${mebibytes(MAX_FILE_BYTES)} Tidal reads from one file; split it`,
  );
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > MAX_FILE_BYTES) throw tooLarge("standard input");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** A file's text, refusing one too large to read (see MAX_FILE_BYTES) without reading all of it. */
export async function readManifestFile(file: string): Promise<string> {
  const handle = await open(file, "r").catch((error: unknown) => {
    throw new TidalError("TIDAL_E_READ", `${file}: cannot read the file (${messageOf(error)})`);
  });
  try {
    const { size } = await handle.stat();
    if (size > MAX_FILE_BYTES) throw tooLarge(file);
    // Read up to the limit and one byte more: a file that grows while read is still bounded.
    const buffer = Buffer.alloc(Math.min(MAX_FILE_BYTES + 1, Math.max(size, 64 * 1024)));
    let length = 0;
    for (;;) {
      if (length === buffer.length) break;
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > MAX_FILE_BYTES) throw tooLarge(file);
    if (length === buffer.length && length < MAX_FILE_BYTES) return await readRest(handle, buffer, file);
    return buffer.subarray(0, length).toString("utf8");
  } catch (error) {
    if (error instanceof TidalError) throw error;
    throw new TidalError("TIDAL_E_READ", `${file}: cannot read the file (${messageOf(error)})`);
  } finally {
    await handle.close();
  }
}

/** The rest of a file that was bigger than its size said (it grew, or it is a pipe), up to the limit. */
async function readRest(handle: Awaited<ReturnType<typeof open>>, start: Buffer, file: string) {
  const chunks = [start];
  let size = start.length;
  for (;;) {
    const chunk = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    size += bytesRead;
    if (size > MAX_FILE_BYTES) throw tooLarge(file);
    chunks.push(chunk.subarray(0, bytesRead));
  }
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
 * `documentCount` counts empty documents too, as `doc` numbers them. Linear in the text: duplicate
 * keys are found with one set per mapping (the yaml package's own check compares every pair of
 * keys, which took minutes for a mapping of 100,000 keys), and a document over MAX_DOCUMENT_BYTES
 * or MAX_DOCUMENT_NODES is a problem, not read further.
 */
export function parseManifests(
  file: string,
  text: string,
): { documents: SourceDocument[]; problems: Problem[]; documentCount: number } {
  const documents: SourceDocument[] = [];
  const problems: Problem[] = [];
  let doc = 0;
  const lineCounter = new LineCounter();
  const documentProblem = (message: string, position?: SourcePosition) =>
    problems.push({ file, doc, ...position, kind: "", name: "", path: "", message, severity: "error" });
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw tooLarge(file);
  for (const parsed of parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false, lineCounter })) {
    doc += 1;
    const [start = 0, , end = start] = parsed.range;
    if (end - start > MAX_DOCUMENT_BYTES) {
      documentProblem(
        `the document is ${mebibytes(end - start)}; Tidal reads documents up to ${mebibytes(MAX_DOCUMENT_BYTES)}, as Kubernetes stores no bigger object`,
        lineCounter.linePos(start),
      );
      continue;
    }
    const errors = [...parsed.errors, ...duplicateKeyErrors(parsed)];
    if (errors.length > 0) {
      for (const error of errors) {
        const position = lineCounter.linePos(error.pos[0]);
        const message =
          error.message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? "invalid YAML";
        documentProblem(message, position);
      }
      continue;
    }
    if (countNodes(parsed) > MAX_DOCUMENT_NODES) {
      documentProblem(
        `the document has more than ${MAX_DOCUMENT_NODES.toLocaleString("en-US")} values; Tidal reads no document that large`,
        lineCounter.linePos(start),
      );
      continue;
    }
    let value: unknown;
    try {
      value = parsed.toJS({ maxAliasCount: 100 });
    } catch (error) {
      // Too many aliases (an "entity expansion" document) and similar: a finding, not a crash.
      documentProblem(
        `cannot read the document: ${messageOf(error)}`,
        parsed.contents?.range ? lineCounter.linePos(parsed.contents.range[0]) : undefined,
      );
      continue;
    }
    if (value === null || value === undefined) continue;
    const items = listItems(value);
    const nodes = listItemNodes(parsed.contents);
    for (const [index, item] of items.entries()) {
      const document = { file, doc, value: item };
      // nodes and values line up unless aliases made lists of lists: then the document's start
      const node = nodes.length === items.length ? (nodes[index] ?? null) : parsed.contents;
      locators.set(document, (path) => locate(node, path, lineCounter));
      documents.push(document);
    }
  }
  return { documents, problems, documentCount: doc };
}

/**
 * Keys that repeat in a mapping, which YAML forbids ("Map keys must be unique", as the yaml
 * package words it): one set per mapping, so linear in the keys. Scalar keys are equal when their
 * values are (`1` and `"1"` differ); other keys (mappings as keys) are left alone.
 */
function duplicateKeyErrors(document: Document.Parsed): { message: string; pos: [number, number] }[] {
  const errors: { message: string; pos: [number, number] }[] = [];
  visit(document, {
    Map(_key, map) {
      if (!isMap(map)) return;
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        if (seen.has(pair.key.value)) {
          const [position = 0] = pair.key.range ?? [0];
          errors.push({ message: "Map keys must be unique", pos: [position, position + 1] });
        }
        seen.add(pair.key.value);
      }
    },
  });
  return errors;
}

/** The document's nodes (scalars, collections, pairs and aliases), counted up to one past the limit. */
function countNodes(document: Document.Parsed): number {
  let count = 0;
  visit(document, () => {
    count += 1;
    return count > MAX_DOCUMENT_NODES ? visit.BREAK : undefined;
  });
  return count;
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
    const text = file === STDIN ? await readStdin() : await readManifestFile(file);
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

/** Adds the line and column of each problem's field (or nearest parent) in its source. */
export function positionProblems(documents: readonly SourceDocument[]): (problem: Problem) => Problem {
  const byObject = new Map<string, SourceDocument>();
  const byDocument = new Map<string, SourceDocument>();
  for (const document of documents) {
    const value = document.value as { kind?: unknown; metadata?: { name?: unknown } } | null;
    const key = `${document.file}\0${document.doc}`;
    if (!byDocument.has(key)) byDocument.set(key, document);
    const objectKey = `${key}\0${String(value?.kind ?? "")}\0${String(value?.metadata?.name ?? "")}`;
    if (!byObject.has(objectKey)) byObject.set(objectKey, document);
  }
  return (problem) => {
    if (problem.line !== undefined) return problem;
    const key = `${problem.file}\0${problem.doc}`;
    const document = byObject.get(`${key}\0${problem.kind}\0${problem.name}`) ?? byDocument.get(key);
    const position = document === undefined ? undefined : locatorOf(document)?.(problem.path);
    return position === undefined ? problem : { ...problem, line: position.line, col: position.col };
  };
}
