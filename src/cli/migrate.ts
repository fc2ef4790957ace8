import { Command } from "commander";
import { readFile } from "node:fs/promises";
import { stringify } from "yaml";
import { convertLegacyDocuments } from "../api/legacy.ts";
import { parseManifests, readStdin, STDIN } from "../api/load.ts";
import { TidalError, UsageError } from "../util/errors.ts";
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
          : await readFile(options.filename, "utf8").catch(() => {
              throw new UsageError(`${options.filename}: cannot read the file`);
            });
      const { documents, problems } = parseManifests(options.filename, text);
      if (problems.length > 0) {
        throw new TidalError("TIDAL_E_INVALID_YAML", problems.map(formatProblem).join("\n"));
      }
      const conversions = convertLegacyDocuments(documents.map((document) => document.value));
      const output = conversions.map((conversion) => stringify(conversion.value, { lineWidth: 0 }));
      process.stdout.write(output.join("---\n"));
      let migrated = 0;
      for (const [index, conversion] of conversions.entries()) {
        if (conversion.notes.length === 0) continue;
        migrated += 1;
        const value = conversion.value as { kind?: string; metadata?: { name?: string } };
        const label = `${options.filename}:${documents[index]!.doc} ${value.kind}/${value.metadata?.name ?? ""}`;
        for (const note of conversion.notes) process.stderr.write(`${label}: ${note}\n`);
      }
      process.stderr.write(
        migrated === 0
          ? "nothing to migrate: no keda.k8s.io/v1alpha1 documents\n"
          : `migrated ${migrated} document${migrated === 1 ? "" : "s"}\n`,
      );
    });
}
