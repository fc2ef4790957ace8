import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TidalError } from "../util/errors.ts";
import { monitorEventLoopDelay } from "node:perf_hooks";
import {
  expandPaths,
  loadManifests,
  MAX_DOCUMENT_BYTES,
  MAX_DOCUMENT_NODES,
  parseManifests,
  pathSegments,
  positionProblems,
} from "./load.ts";
import { loadManifestsOffThread } from "./load-off-thread.ts";

/** A ConfigMap whose data has `keys` entries, optionally repeating the first key at the end. */
function configMapWithKeys(keys: number, repeatFirst = false): string {
  const lines = Array.from({ length: keys }, (_, index) => `  k${index}: v${index}`);
  if (repeatFirst) lines.push("  k0: again");
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n${lines.join("\n")}\n`;
}

describe("parseManifests", () => {
  it("reads every document of a multi-document text with its 1-based index; empty documents are skipped but counted", () => {
    const text = "a: 1\n---\n---\n# only a comment\n---\nb: [1, 2]\n";
    const { documents, problems } = parseManifests("f.yaml", text);
    expect(problems).toEqual([]);
    expect(documents).toEqual([
      { file: "f.yaml", doc: 1, value: { a: 1 } },
      { file: "f.yaml", doc: 4, value: { b: [1, 2] } },
    ]);
  });

  it("reads the items of a kubectl List and of a top-level array as objects of that document", () => {
    const text =
      "apiVersion: v1\nkind: List\nitems:\n  - {kind: A}\n  - {kind: B}\n---\n- {kind: C}\n- [{kind: D}]\n";
    expect(parseManifests("f.yaml", text).documents).toEqual([
      { file: "f.yaml", doc: 1, value: { kind: "A" } },
      { file: "f.yaml", doc: 1, value: { kind: "B" } },
      { file: "f.yaml", doc: 2, value: { kind: "C" } },
      { file: "f.yaml", doc: 2, value: { kind: "D" } },
    ]);
  });

  it("reads JSON, which is YAML", () => {
    expect(
      parseManifests("f.json", '{"kind": "ScaledObject", "spec": {"x": [1]}}').documents[0]?.value,
    ).toEqual({
      kind: "ScaledObject",
      spec: { x: [1] },
    });
  });

  it("reports a syntax error as a problem with document, line and column, and keeps reading the other documents", () => {
    const text = "a: 1\n---\nmetadata:\n  name: [x\n---\nc: 3\n";
    const { documents, problems } = parseManifests("bad.yaml", text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({
      file: "bad.yaml",
      doc: 2,
      kind: "",
      name: "",
      path: "",
      severity: "error",
    });
    expect(problems[0]).toMatchObject({ line: 5, col: 1 });
    expect(problems[0]?.message).not.toMatch(/line \d+/);
    expect(documents.map((document) => document.doc)).toEqual([1, 3]);
  });

  it("reports duplicate keys, which YAML forbids", () => {
    const { problems } = parseManifests("dup.yaml", "kind: A\nkind: B\n");
    expect(problems[0]).toMatchObject({ line: 2, col: 1, message: "Map keys must be unique" });
  });

  it("finds duplicate keys in linear time: a mapping of 30,000 keys (a minute with a pairwise check)", () => {
    const clean = parseManifests("big.yaml", configMapWithKeys(30_000));
    expect(clean.problems).toEqual([]);
    expect(Object.keys((clean.documents[0]?.value as { data: object }).data)).toHaveLength(30_000);
    const repeated = parseManifests("big.yaml", configMapWithKeys(30_000, true));
    expect(repeated.problems.map(({ line, col, message }) => ({ line, col, message }))).toEqual([
      { line: 30005, col: 3, message: "Map keys must be unique" },
    ]);
  });

  it("refuses a document over the size limit, and one with too many values, naming the limit", () => {
    const padding = "x".repeat(1024);
    const large = `a: 1\n---\nitems:\n${Array.from({ length: MAX_DOCUMENT_BYTES / 1024 + 1 }, () => `  - ${padding}`).join("\n")}\n---\nb: 2\n`;
    const sized = parseManifests("large.yaml", large);
    expect(sized.documents.map((document) => document.value)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(sized.problems).toEqual([
      expect.objectContaining({
        doc: 2,
        line: 2,
        col: 1,
        message:
          "the document is 3 MiB; Tidal reads documents up to 3 MiB, as Kubernetes stores no bigger object",
      }),
    ]);
    const many = `[${Array.from({ length: MAX_DOCUMENT_NODES }, () => "1").join(",")}]\n`;
    expect(
      parseManifests("many.yaml", many).problems.map(({ line, col, message }) => ({ line, col, message })),
    ).toEqual([
      {
        line: 1,
        col: 1,
        message: "the document has more than 250,000 values; Tidal reads no document that large",
      },
    ]);
  });

  it("reports a document that expands into too many aliases instead of crashing", () => {
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let level = 1; level <= 4; level += 1) {
      lines.push(
        `b${level}: &b${level} [${Array.from({ length: 10 }, () => `*${level === 1 ? "a" : `b${level - 1}`}`).join(", ")}]`,
      );
    }
    const { documents, problems } = parseManifests("bomb.yaml", `${lines.join("\n")}\n`);
    expect(documents).toEqual([]);
    expect(problems).toEqual([
      {
        file: "bomb.yaml",
        doc: 1,
        line: 1,
        col: 1,
        kind: "",
        name: "",
        path: "",
        message: "cannot read the document: Excessive alias count indicates a resource exhaustion attack",
        severity: "error",
      },
    ]);
  });
});

describe("source positions of problems", () => {
  const text = [
    "# a comment",
    "apiVersion: keda.sh/v1alpha1",
    "kind: ScaledObject",
    "metadata: { name: a }",
    "spec:",
    "  triggers:",
    "    - type: redis",
    "      metadata:",
    "        listName: jobs",
    "---",
    "apiVersion: v1",
    "kind: List",
    "items:",
    "  - apiVersion: keda.sh/v1alpha1",
    "    kind: ScaledObject",
    "    metadata:",
    "      name: b",
    "    spec:",
    "      minReplicaCount: 5",
    "",
  ].join("\n");
  const problem = (doc: number, name: string, path: string) => ({
    file: "f.yaml",
    doc,
    kind: "ScaledObject",
    name,
    path,
    message: "m",
    severity: "error" as const,
  });

  it("finds a field's key, a list item, a kubectl List's item, and a missing field's parent", () => {
    const { documents } = parseManifests("f.yaml", text);
    const position = positionProblems(documents);
    expect(position(problem(1, "a", "spec.triggers[0].metadata.listName"))).toMatchObject({
      line: 9,
      col: 9,
    });
    expect(position(problem(1, "a", "spec.triggers[0]"))).toMatchObject({ line: 7, col: 7 });
    expect(position(problem(1, "a", "spec.scaleTargetRef.name"))).toMatchObject({ line: 5, col: 1 });
    expect(position(problem(1, "a", "metadata.name"))).toMatchObject({ line: 4, col: 13 });
    expect(position(problem(1, "a", ""))).toMatchObject({ line: 2, col: 1 });
    expect(position(problem(2, "b", "spec.minReplicaCount"))).toMatchObject({ line: 19, col: 7 });
    expect(position(problem(2, "b", ""))).toMatchObject({ line: 14, col: 5 });
    // a problem that already has its position, and one in a document read from no source
    expect(position({ ...problem(1, "a", ""), line: 3, col: 2 })).toMatchObject({ line: 3, col: 2 });
    expect(position(problem(7, "x", "spec"))).not.toHaveProperty("line");
  });

  it("splits field paths", () => {
    expect(pathSegments('spec.triggers[0].metadata["a.b"]')).toEqual([
      "spec",
      "triggers",
      0,
      "metadata",
      "a.b",
    ]);
    expect(pathSegments("")).toEqual([]);
  });
});

describe("expandPaths and loadManifests", () => {
  function tree(): string {
    const root = mkdtempSync(join(tmpdir(), "tidal-load-"));
    mkdirSync(join(root, "nested"));
    mkdirSync(join(root, ".hidden"));
    mkdirSync(join(root, "node_modules"));
    writeFileSync(join(root, "b.yaml"), "b: 1\n");
    writeFileSync(join(root, "a.yml"), "a: 1\n---\na: 2\n");
    writeFileSync(join(root, "c.json"), '{"c": 1}');
    writeFileSync(join(root, "notes.txt"), "not a manifest");
    writeFileSync(join(root, "nested", "d.yaml"), "d: 1\n");
    writeFileSync(join(root, ".hidden", "e.yaml"), "e: 1\n");
    writeFileSync(join(root, "node_modules", "f.yaml"), "f: 1\n");
    return root;
  }

  it("expands folders recursively to .yaml/.yml/.json files in name order, skipping hidden folders and node_modules", async () => {
    const root = tree();
    expect(await expandPaths([root])).toEqual([
      join(root, "a.yml"),
      join(root, "b.yaml"),
      join(root, "c.json"),
      join(root, "nested", "d.yaml"),
    ]);
  });

  it("takes a file given by name whatever its extension", async () => {
    const root = tree();
    expect(await expandPaths([join(root, "notes.txt")])).toEqual([join(root, "notes.txt")]);
  });

  it("a path that does not exist is a usage error naming it", async () => {
    const missing = join(tmpdir(), "tidal-no-such-folder-4f1c");
    await expect(expandPaths([missing])).rejects.toThrow(`${missing}: no such file or folder`);
    await expect(expandPaths([missing])).rejects.toMatchObject({ exitCode: 2 });
  });

  it("loads all documents of all files", async () => {
    const root = tree();
    const { documents, problems } = await loadManifests([root]);
    expect(problems).toEqual([]);
    expect(
      documents.map((document) => [document.file.slice(root.length + 1), document.doc, document.value]),
    ).toEqual([
      ["a.yml", 1, { a: 1 }],
      ["a.yml", 2, { a: 2 }],
      ["b.yaml", 1, { b: 1 }],
      ["c.json", 1, { c: 1 }],
      [join("nested", "d.yaml"), 1, { d: 1 }],
    ]);
  });

  it("reads a file named twice (or through a link) once", async () => {
    const root = tree();
    symlinkSync(join(root, "b.yaml"), join(root, "link.yaml"));
    const { documents } = await loadManifests([root, join(root, "b.yaml")]);
    expect(documents.filter((document) => (document.value as { b?: number }).b === 1)).toHaveLength(1);
  });

  it("finding no object is an error, and a folder with no manifest files a usage error", async () => {
    const root = mkdtempSync(join(tmpdir(), "tidal-load-"));
    await expect(loadManifests([root])).rejects.toMatchObject({
      exitCode: 2,
      message: `${root}: no .yaml, .yml or .json files found`,
    });
    writeFileSync(join(root, "empty.yaml"), "# nothing yet\n---\napiVersion: v1\nkind: List\nitems: []\n");
    const { documents, problems } = await loadManifests([root]);
    expect(documents).toEqual([]);
    expect(problems.map((problem) => [problem.file, problem.severity, problem.message])).toEqual([
      [root, "error", "no objects found: the files are empty (or hold only empty lists)"],
    ]);
  });

  it("refuses to read more than it may from one file, even one that never ends", async () => {
    await expect(loadManifests(["/dev/zero"])).rejects.toThrow(
      "/dev/zero: larger than the 32 MiB Tidal reads from one file; split it",
    );
  });

  it("reads the same off the event loop, which keeps turning while a large file is parsed", async () => {
    const root = mkdtempSync(join(tmpdir(), "tidal-load-"));
    writeFileSync(join(root, "big.yaml"), configMapWithKeys(20_000));
    writeFileSync(join(root, "dup.yaml"), "kind: A\nkind: B\n");
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    const offThread = await loadManifestsOffThread([root]);
    const took = performance.now() - started;
    delay.disable();
    expect(offThread).toEqual(await loadManifests([root]));
    // On this thread the parse would hold the loop for nearly all of that time.
    expect(delay.max / 1e6).toBeLessThan(took / 2);
    await expect(loadManifestsOffThread([join(root, "missing")])).rejects.toMatchObject({
      exitCode: 2,
      message: `${join(root, "missing")}: no such file or folder`,
    });
  });

  it("a file that cannot be read is a finding naming the file and the cause, not a crash", async () => {
    const root = mkdtempSync(join(tmpdir(), "tidal-load-"));
    const socketPath = join(root, "listening.yaml");
    // A Unix socket exists (stat works) but cannot be read as a file.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const error = await loadManifests([socketPath]).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(TidalError);
      expect((error as TidalError).exitCode).toBe(1);
      expect((error as TidalError).message.startsWith(`${socketPath}: cannot read the file (`)).toBe(true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
