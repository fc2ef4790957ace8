import { Command, Option } from "commander";
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { usesFormula } from "../api/schema/scaled-object.ts";
import { prepareTriggersFromFiles } from "../validation/file-triggers.ts";
import { validateManifests } from "../validation/validate.ts";
import { parseQuantity } from "../util/quantity.ts";
import type { TriggerMetricSpec } from "../engine/types.ts";
import { parseArrivals, parseMetricTrace } from "../simulate/csv.ts";
import {
  renderSvg,
  simulate,
  simulatedForecasts,
  simulateWorkload,
  type SimulationStep,
} from "../simulate/index.ts";
import { hpaSyncPeriod, hpaSyncPeriodOption } from "./options.ts";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";
import { formatProblem } from "./validate.ts";
import { formatNumber } from "../util/format-number.ts";
import { renderTable } from "../util/table.ts";

interface SimulateOptions {
  filename: string;
  name?: string;
  metrics?: string;
  workload?: string;
  serviceRate?: string;
  startupDelay: string;
  initialReplicas?: string;
  mode: "hpa" | "direct";
  hpaSyncPeriod: string;
  rateTrigger?: string;
  rateWindow: string;
  warmup?: string;
  duration?: string;
  output: "table" | "json";
  plot?: string;
}

function numberOption(value: string | undefined, option: string, minimum: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < minimum)
    throw new UsageError(`${option} must be a number ≥ ${minimum}, got "${value}"`);
  return parsed;
}

async function readText(file: string): Promise<string> {
  return readFile(file, "utf8").catch(() => {
    throw new UsageError(`${file}: cannot read the file`);
  });
}

/** The ScaledObject to simulate and its triggers' metrics, from the scaler declarations. */
async function loadScaledObject(file: string, name: string | undefined) {
  const { set, problems } = await validateManifests([file]);
  const errors = problems.filter((problem) => problem.severity === "error");
  if (errors.length > 0) throw new TidalError("TIDAL_E_INVALID", errors.map(formatProblem).join("\n"));
  const candidates = set.scaledObjects.filter(
    (loaded) => name === undefined || loaded.object.metadata.name === name,
  );
  if (candidates.length === 0)
    throw new UsageError(`${file}: no ScaledObject${name ? ` named "${name}"` : ""} in the file`);
  if (candidates.length > 1) {
    throw new UsageError(
      `${file} has ${candidates.length} ScaledObjects; pick one with --name (${candidates.map((loaded) => loaded.object.metadata.name).join(", ")})`,
    );
  }
  const object = (candidates[0] as { object: ScaledObject }).object;
  const asMetricSource = usesFormula(object);
  const preparedTriggers = await prepareTriggersFromFiles(object, set, asMetricSource);
  const metricSpecs = object.spec.triggers.map((trigger, index): TriggerMetricSpec => {
    const prepared = preparedTriggers[index]!;
    if (prepared.resource) {
      const { name, targetType, value } = prepared.resource;
      // The trace gives the per-pod average the HPA would read from the pods (percent for Utilization).
      return {
        index,
        name: trigger.name ?? "",
        type: trigger.type,
        metricName: name,
        targetType,
        target: parseQuantity(value) ?? Number.NaN,
        activationTarget: 0,
        resource: name,
      };
    }
    if (prepared.metricSpec === undefined) {
      throw new TidalError(
        "TIDAL_E_SIMULATE",
        `trigger ${trigger.name || index} (${trigger.type}): its metric depends on parameters that are not in the file`,
      );
    }
    return prepared.metricSpec;
  });
  const forecasts = simulatedForecasts(
    object,
    metricSpecs,
    preparedTriggers.map((prepared) => prepared.params as Record<string, unknown> | undefined),
  );
  return { object, metricSpecs, forecasts };
}

/** Runs `work`, naming `file` in a trace error (a column that matches no trigger). */
function inFile<T>(file: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof TidalError && !error.message.startsWith(`${file}:`)) {
      throw new TidalError(error.code, `${file}: ${error.message}`, { exitCode: error.exitCode });
    }
    throw error;
  }
}

function stepRows(steps: readonly SimulationStep[]) {
  return steps.map((step) => [
    formatNumber(step.t),
    String(step.replicas),
    String(step.desired),
    step.active ? "yes" : "no",
    step.fallback ? "yes" : "no",
    step.reason,
  ]);
}

export function simulateCommand(): Command {
  return new Command("simulate")
    .description("replay a metric trace (or a workload) through the scaling engine on a virtual clock")
    .requiredOption("-f, --filename <file>", "file with the ScaledObject to simulate")
    .option("--name <name>", "the ScaledObject to simulate when the file has several")
    .option(
      "--metrics <trace.csv>",
      "metric trace: header t,NAME... (NAME a trigger name or s0, s1, …; cpu and memory columns hold the pods' average, Utilization in percent); a cell `error` fails that trigger",
    )
    .option(
      "--workload <arrivals.csv>",
      "closed loop: arrivals t,rate (items/s); the queue feeds the first trigger",
    )
    .option("--service-rate <items/s>", "items per second one ready replica drains (with --workload)")
    .option(
      "--rate-trigger <name>",
      "with --workload: this trigger (its name or s<index>) reads the arrival rate in items/s instead of the queue; the queue feeds the first other trigger",
    )
    .addOption(
      new Option(
        "--rate-window <seconds>",
        "seconds the arrival rate of --rate-trigger is averaged over (as rate(…[1m]))",
      ).default("60"),
    )
    .option(
      "--warmup <seconds>",
      "leave the first seconds out of the summary (a forecast's history is recorded then)",
    )
    .addOption(
      new Option(
        "--startup-delay <seconds>",
        "seconds from requesting a replica until it serves (with --workload)",
      ).default("0"),
    )
    .option("--initial-replicas <n>", "replicas at t=0 (default: minReplicaCount)")
    .addOption(
      new Option(
        "--mode <mode>",
        "hpa: KEDA every pollingInterval and an HPA sync every --hpa-sync-period (as tidal run and the operator); direct: both at each poll",
      )
        .choices(["hpa", "direct"])
        .default("hpa"),
    )
    .addOption(
      hpaSyncPeriodOption(
        "with --mode hpa: how often the HPA syncs, e.g. 15s (the HPA controller's default)",
      ),
    )
    .option(
      "--duration <seconds>",
      "simulated time (default: last row + cooldownPeriod + 2 × pollingInterval)",
    )
    .addOption(
      new Option("-o, --output <format>", "output format").choices(["table", "json"]).default("table"),
    )
    .option("--plot <out.svg>", "write an SVG chart of replicas and metrics over time")
    .addHelpText(
      "after",
      `
Examples:
  tidal simulate -f scaledobject.yaml --metrics trace.csv --plot replicas.svg
  tidal simulate -f scaledobject.yaml --workload arrivals.csv --service-rate 5 --startup-delay 10 -o json
  tidal simulate -f predictive.yaml --workload arrivals.csv --service-rate 5 --rate-trigger rate --plot out.svg

Forecasting triggers (predictkube, or every trigger of an object annotated
autoscaling.tidal.dev/forecast) record what each evaluation reads and serve their
forecast from that past only; the chart draws each one as NAME forecast.`,
    )
    .action(async (options: SimulateOptions) => {
      if ((options.metrics === undefined) === (options.workload === undefined)) {
        throw new UsageError("give exactly one of --metrics TRACE.csv or --workload ARRIVALS.csv");
      }
      if (options.plot !== undefined)
        refuseInputAsPlot(options.plot, [options.filename, options.metrics, options.workload]);
      const { object, metricSpecs, forecasts } = await loadScaledObject(options.filename, options.name);
      const hpaSyncSeconds = hpaSyncPeriod(options.hpaSyncPeriod) / 1000;
      const summaryFromSeconds = numberOption(options.warmup, "--warmup", 0) ?? 0;
      if (options.rateTrigger !== undefined && options.workload === undefined)
        throw new UsageError(
          "--rate-trigger needs --workload: a metric trace gives every trigger its own column",
        );
      const initialReplicas =
        numberOption(options.initialReplicas, "--initial-replicas", 0) ?? object.spec.minReplicaCount;
      if (!Number.isInteger(initialReplicas))
        throw new UsageError("--initial-replicas must be a whole number");
      const tail = object.spec.cooldownPeriod + 2 * object.spec.pollingInterval;
      let steps: SimulationStep[];
      let summary: Record<string, number>;
      let columns: string[];
      let duration: number;
      if (options.metrics !== undefined) {
        const trace = parseMetricTrace(options.metrics, await readText(options.metrics));
        duration = simulatedSeconds(options, trace.rows.at(-1)?.t ?? 0, tail, options.metrics);
        const result = inFile(options.metrics, () =>
          simulate({
            scaledObject: object,
            metricSpecs,
            trace,
            mode: options.mode,
            hpaSyncSeconds,
            initialReplicas,
            durationSeconds: duration,
            forecasts,
            summaryFromSeconds,
          }),
        );
        ({ steps } = result);
        summary = { ...result.summary };
        columns = [...new Set([...trace.columns, ...steps.flatMap((step) => Object.keys(step.metrics))])];
      } else {
        const resource = metricSpecs.find((spec) => spec.resource !== undefined);
        if (resource !== undefined) {
          throw new UsageError(
            `trigger ${resource.name || resource.index} (${resource.type}): the workload model has a queue, not CPU or memory; replay ${resource.type} values with --metrics`,
          );
        }
        const serviceRate = numberOption(options.serviceRate, "--service-rate", 0);
        if (serviceRate === undefined || serviceRate <= 0)
          throw new UsageError("--workload needs --service-rate greater than 0");
        const arrivals = parseArrivals(
          options.workload as string,
          await readText(options.workload as string),
        );
        duration = simulatedSeconds(options, arrivals.at(-1)?.t ?? 0, tail, options.workload as string);
        const result = inFile(options.workload as string, () =>
          simulateWorkload({
            scaledObject: object,
            metricSpecs,
            arrivals,
            serviceRatePerReplica: serviceRate,
            startupDelaySeconds: numberOption(options.startupDelay, "--startup-delay", 0) ?? 0,
            durationSeconds: duration,
            mode: options.mode,
            hpaSyncSeconds,
            initialReplicas,
            forecasts,
            summaryFromSeconds,
            ...(options.rateTrigger === undefined ? {} : { rateTrigger: options.rateTrigger }),
            rateWindowSeconds: numberOption(options.rateWindow, "--rate-window", 1) ?? 60,
          }),
        );
        ({ steps } = result);
        summary = { ...result.summary };
        columns = [...new Set(steps.flatMap((step) => Object.keys(step.metrics)))];
      }
      if (options.plot) {
        const svg = renderSvg(
          { steps },
          {
            metricColumns: columns,
            durationSeconds: duration,
            title: `ScaledObject ${object.metadata.name} (${options.mode} mode)`,
          },
        );
        await writeFile(options.plot, svg).catch((error: unknown) => {
          const code = (error as { code?: unknown }).code;
          throw new UsageError(
            `--plot ${options.plot}: cannot write the chart (${typeof code === "string" ? code : messageOf(error)}); pass a path in an existing folder`,
          );
        });
        process.stderr.write(`wrote ${options.plot}\n`);
      }
      if (options.output === "json") {
        const json = {
          steps: steps.map(({ t, replicas, desired, active, fallback, reason }) => ({
            t,
            replicas,
            desired,
            active,
            fallback,
            reason,
          })),
          summary,
        };
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        renderTable(["T", "REPLICAS", "DESIRED", "ACTIVE", "FALLBACK", "REASON"], stepRows(steps), false),
      );
      process.stdout.write(
        `\n${Object.entries(summary)
          .map(([key, value]) => `${key}: ${formatNumber(value)}`)
          .join("\n")}\n`,
      );
    });
}

/** The longest stretch `simulate` replays: a week, at one step per polling interval or second. */
const MAX_SIMULATED_SECONDS = 7 * 24 * 3600;

/** --duration, or the trace's end plus a tail long enough to see the scale-in; a week at most. */
function simulatedSeconds(
  options: { duration?: string },
  lastT: number,
  tail: number,
  traceFile: string,
): number {
  const asked = numberOption(options.duration, "--duration", 1);
  if (asked !== undefined && asked > MAX_SIMULATED_SECONDS) {
    throw new UsageError(
      `--duration must be at most ${MAX_SIMULATED_SECONDS} seconds (a week), got ${asked}`,
    );
  }
  if (asked === undefined && lastT > MAX_SIMULATED_SECONDS) {
    throw new UsageError(
      `${traceFile}: the last t is ${lastT}, more than a week; t counts seconds from the start of the trace (for Unix times, subtract the first one), or pass --duration`,
    );
  }
  return asked ?? lastT + tail;
}

/** A chart must never overwrite one of the inputs. */
function refuseInputAsPlot(plot: string, inputs: readonly (string | undefined)[]): void {
  const input = inputs.find((path) => path !== undefined && resolve(path) === resolve(plot));
  if (input !== undefined)
    throw new UsageError(`--plot ${plot} would overwrite the input ${input}; pass another path`);
}
