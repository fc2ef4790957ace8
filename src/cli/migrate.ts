import { Command } from "commander";
import { stringify } from "yaml";
import { convertLegacyDocuments } from "../api/legacy.ts";
import { legacyTriggerRules } from "../scalers/registry.ts";
import { locatorOf, parseManifests, readManifestFile, readStdin, STDIN } from "../api/load.ts";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";
import { formatProblem } from "./validate.ts";

export function migrateCommand(): Command {
  return new Command("migrate")
    .description("print the keda.sh/v1alpha1 form of KEDA 1.x (keda.k8s.io/v1alpha1) documents")
    .requiredOption("-f, --filename <file>", "manifest file with KEDA 1.x documents (- reads standard input)")
    .addHelpText(
      "after",
      `
Every document is printed; KEDA 1.x ScaledObjects become ScaledObjects (or ScaledJobs for
scaleType: job) and TriggerAuthentications move to keda.sh. What changed is listed on stderr.

Example:
  tidal migrate -f keda-v1.yaml > keda-v2.yaml
  kubectl get scaledobjects.keda.k8s.io -A -o yaml | tidal migrate -f -`,
    )
    .action(async (options: { filename: string }) => {
      const text =
        options.filename === STDIN
          ? await readStdin()
          : await readManifestFile(options.filename).catch((error: unknown) => {
              if (/: larger than /.test(messageOf(error))) throw error;
              throw new UsageError(`${options.filename}: cannot read the file`);
            });
      const { documents, problems, documentCount } = parseManifests(options.filename, text);
      if (problems.length > 0) {
        throw new TidalError("TIDAL_E_INVALID_YAML", problems.map(formatProblem).join("\n"));
      }
      const conversions = convertLegacyDocuments(
        documents.map((document) => document.value),
        legacyTriggerRules,
      );
      const rewrite = (doc: number) => {
        const indexes = documents.flatMap((document, index) => (document.doc === doc ? [index] : []));
        if (indexes.every((index) => conversions[index]!.notes.length === 0)) return undefined;
        return indexes.map((index) => stringify(conversions[index]!.value, { lineWidth: 0 })).join("---\n");
      };
      process.stdout.write(
        rewriteDocuments(text, documentCount, rewrite) ??
          conversions.map((conversion) => stringify(conversion.value, { lineWidth: 0 })).join("---\n"),
      );
      let migrated = 0;
      for (const [index, conversion] of conversions.entries()) {
        if (conversion.notes.length === 0) continue;
        migrated += 1;
        const value = conversion.value as { kind?: string; metadata?: { name?: string } };
        const start = locatorOf(documents[index]!)?.("");
        const where = start === undefined ? `${documents[index]!.doc}` : `${start.line}:${start.col}`;
        const label = `${options.filename}:${where}: ${value.kind}/${value.metadata?.name ?? ""}`;
        for (const note of conversion.notes) process.stderr.write(`${label}: ${note}\n`);
      }
      process.stderr.write(
        migrated === 0
          ? "nothing to migrate: no keda.k8s.io/v1alpha1 documents\n"
          : `migrated ${migrated} document${migrated === 1 ? "" : "s"}\n`,
      );
    });
}

/**
 * The text with some documents replaced: `replace(doc)` (1-based) returns the new text of a
 * document, or undefined to keep it byte for byte, comments and all. A document's leading comments
 * stay above its replacement. Undefined when the text's documents cannot be told apart by their
 * `---` lines alone.
 */
export function rewriteDocuments(
  text: string,
  documentCount: number,
  replace: (doc: number) => string | undefined,
): string | undefined {
  const chunks: string[][] = [[]];
  for (const line of text.split(/(?<=\n)/)) {
    if (/^---(\s|$)/.test(line)) chunks.push([]);
    chunks.at(-1)!.push(line);
  }
  // Comments and blank lines before the first marker belong to the first document.
  if (chunks.length > 1 && chunks[0]!.every(isCommentOrBlank)) {
    const lead = chunks.shift()!;
    chunks[0] = [...lead, ...chunks[0]!];
  }
  // Directives, or a bare document after `...`: leave the layout to the YAML printer.
  if (chunks.length !== documentCount) return undefined;
  return chunks
    .map((lines, index) => {
      const replacement = replace(index + 1);
      if (replacement === undefined) return lines.join("");
      const head: string[] = [];
      for (const line of lines) {
        if (!/^---(\s|$)/.test(line) && !isCommentOrBlank(line)) break;
        head.push(line.startsWith("---") ? "---\n" : line);
      }
      const separator = index > 0 && !head.some((line) => line.startsWith("---")) ? "---\n" : "";
      const ending = index < chunks.length - 1 && !replacement.endsWith("\n") ? "\n" : "";
      return `${separator}${head.join("")}${replacement}${ending}`;
    })
    .join("");
}

function isCommentOrBlank(line: string): boolean {
  return /^\s*(#.*)?$/.test(line.replace(/\r?\n$/, ""));
}
