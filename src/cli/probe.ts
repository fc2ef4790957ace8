import { Command, Option } from "commander";
import { loadManifests, positionProblems } from "../api/load.ts";
import { readResources } from "../api/resources.ts";
import { legacyTriggerRules } from "../scalers/registry.ts";
import { probe, type ProbeResult } from "../runtime/probe.ts";
import { TidalError } from "../util/errors.ts";
import { fileEnvironment, filenameOption, outputOption, timeoutMilliseconds } from "./options.ts";
import { formatNumber } from "../util/format-number.ts";
import { renderTable, type Cell } from "../util/table.ts";
import { useColor } from "./color.ts";
import { formatProblem } from "./validate.ts";

function rowOf(result: ProbeResult): Cell[] {
  const failed = result.error !== null;
  return [
    `${result.kind}/${result.scaledObject}`,
    String(result.trigger),
    result.type,
    result.metricName ?? "-",
    result.value === null ? "-" : { text: formatNumber(result.value), style: "bold" },
    result.target === null
      ? "-"
      : `${formatNumber(result.target)}${result.targetType === "Value" ? " (value)" : ""}`,
    result.active === null
      ? "-"
      : result.active
        ? { text: "yes", style: "green" }
        : { text: "no", style: "dim" },
    result.latencyMs === null ? "-" : `${result.latencyMs} ms`,
    failed ? { text: result.error ?? "", style: "red" } : "",
  ];
}

export function probeCommand(): Command {
  return new Command("probe")
    .description("read every trigger once and show what each scaler sees right now")
    .addOption(filenameOption())
    .addOption(outputOption(["table", "json"], "table"))
    .addOption(new Option("--timeout <ms>", "deadline of each measurement in milliseconds").default("3000"))
    .addHelpText(
      "after",
      `
Secrets, ConfigMaps and (Cluster)TriggerAuthentications in the same files are used for
authentication; \`...FromEnv\` parameters read the ProcessPool's env or Tidal's own environment.
Exit code 0 when every trigger was read, 1 when any failed (the others are still shown).

Example:
  tidal probe -f examples/redis-worker/`,
    )
    .action(async (options: { filename: string[]; output: string; timeout: string }) => {
      const timeoutMs = timeoutMilliseconds(options.timeout);
      // Only files that cannot be read as resources stop the probe: a trigger with bad parameters is
      // reported in its own row, and the other triggers are still measured.
      const loaded = await loadManifests(options.filename);
      const { set, problems } = readResources(loaded.documents, legacyTriggerRules);
      const errors = [...loaded.problems, ...problems]
        .filter((problem) => problem.severity === "error")
        .map(positionProblems(loaded.documents));
      if (errors.length > 0) {
        throw new TidalError(
          "TIDAL_E_INVALID",
          `${errors.map(formatProblem).join("\n")}\nfix these first (see tidal validate)`,
        );
      }
      const results = await probe(set, { timeoutMs, environment: fileEnvironment() });
      if (options.output === "json") {
        const rows = results.map(
          ({ scaledObject, trigger, type, metricName, value, target, active, error, latencyMs }) => ({
            scaledObject,
            trigger,
            type,
            metricName,
            value,
            target,
            active,
            error,
            latencyMs,
          }),
        );
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      } else if (results.length === 0) {
        process.stderr.write("no ScaledObject or ScaledJob found in the given files\n");
      } else {
        const headers = [
          "OBJECT",
          "TRIGGER",
          "TYPE",
          "METRIC",
          "VALUE",
          "TARGET",
          "ACTIVE",
          "LATENCY",
          "ERROR",
        ];
        process.stdout.write(renderTable(headers, results.map(rowOf), useColor(process.stdout)));
      }
      process.exitCode = results.some((result) => result.error !== null) ? 1 : 0;
    });
}
