import { Command } from "commander";
import type { Problem } from "../api/load.ts";
import { workloadNotes, type WorkloadNote } from "../api/workload-pools.ts";
import { validateManifests } from "../validation/validate.ts";
import { filenameOption, outputOption } from "./options.ts";

/**
 * `FILE:LINE:COL: KIND/NAME: FIELD.PATH: message` (as compilers print, so editors jump there), with
 * `warning:` before warnings; `FILE:` alone when no position is known.
 */
export function formatProblem(problem: Problem): string {
  const where =
    problem.line === undefined ? `${problem.file}:` : `${problem.file}:${problem.line}:${problem.col ?? 1}:`;
  const object = problem.kind ? ` ${problem.kind}/${problem.name || "<unnamed>"}:` : "";
  const path = problem.path ? ` ${problem.path}:` : "";
  const severity = problem.severity === "warning" ? " warning:" : "";
  return `${where}${object}${path}${severity} ${problem.message}`;
}

/** `FILE:LINE:COL: KIND/NAME: note: message`, as compilers print notes. */
export function formatNote(note: WorkloadNote): string {
  const where = note.line === undefined ? `${note.file}:` : `${note.file}:${note.line}:1:`;
  return `${where} ${note.kind}/${note.name}: note: ${note.message}`;
}

/** "1 error", "2 errors, 1 warning": the count every command prints. */
export function problemCount(errors: number, warnings = 0): string {
  const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  return warnings > 0
    ? `${plural(errors, "error")}, ${plural(warnings, "warning")}`
    : plural(errors, "error");
}

export function validateCommand(): Command {
  return new Command("validate")
    .description("check ScaledObject, ScaledJob and (Cluster)TriggerAuthentication manifests as KEDA would")
    .addOption(filenameOption())
    .option("--strict", "treat unknown trigger metadata keys as errors")
    .addOption(outputOption(["text", "json"], "text"))
    .addHelpText(
      "after",
      `
Documents of other kinds are skipped; kubectl Lists are read item by item. A Deployment or
StatefulSet that a ScaledObject scales, with a command, gets a note saying what tidal run runs of it. KEDA 1.x (keda.k8s.io)
documents are read as their keda.sh form. Finding no object at all is an error.
Exit code 0 when everything is valid (warnings allowed), 1 when there is an error.

Examples:
  tidal validate -f deploy/scaledobject.yaml
  tidal validate -f manifests/ --strict --output json`,
    )
    .action(async (options: { filename: string[]; strict?: boolean; output: string }) => {
      const { set, problems } = await validateManifests(options.filename, {
        strict: options.strict ?? false,
      });
      const errors = problems.filter((problem) => problem.severity === "error").length;
      if (options.output === "json") {
        process.stdout.write(
          `${JSON.stringify(
            problems.map(({ file, doc, line, col, kind, name, path, message, severity }) => ({
              file,
              doc,
              line,
              col,
              kind,
              name,
              path,
              message,
              severity,
            })),
            null,
            2,
          )}\n`,
        );
      } else {
        for (const problem of problems) process.stdout.write(`${formatProblem(problem)}\n`);
        for (const note of workloadNotes(set)) process.stdout.write(`${formatNote(note)}\n`);
        const checked =
          set.scaledObjects.length +
          set.scaledJobs.length +
          set.triggerAuthentications.length +
          set.clusterTriggerAuthentications.length +
          set.processPools.filter((pool) => pool.workload === undefined).length +
          set.httpScaledObjects.length;
        const warnings = problems.length - errors;
        const summary =
          errors === 0
            ? `${checked} resource${checked === 1 ? "" : "s"} valid${warnings > 0 ? ` (${warnings} warning${warnings === 1 ? "" : "s"})` : ""}`
            : problemCount(errors, warnings);
        process.stderr.write(`${summary}\n`);
      }
      process.exitCode = errors > 0 ? 1 : 0;
    });
}
