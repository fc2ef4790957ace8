import { Command, Option } from "commander";
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { ScaledJob } from "../api/schema/scaled-job.ts";
import type { ScaledObject } from "../api/schema/scaled-object.ts";
import { usesFormula } from "../api/schema/scaled-object.ts";
import { prepareTriggersFromFiles } from "../validation/file-triggers.ts";
import { validateManifests } from "../validation/validate.ts";
import { parseQuantity } from "../util/quantity.ts";
import type { TriggerMetricSpec } from "../engine/types.ts";
import {
  describeTrace,
  formatDuration,
  matchTraceColumns,
  parseArrivals,
  parseMetricTrace,
  renderSteps,
  renderSummary,
  renderSvg,
  replicaHolds,
  simulate,
  simulatedForecasts,
  simulateScaledJob,
  simulateWorkload,
  type ReportInput,
  type ScaledJobStep,
  type SimulatedForecasts,
  type SimulationStep,
  type WorkloadEnd,
} from "../simulate/index.ts";
import { httpTrigger, type RouteMeter, scaledObjectForHttp } from "../runtime/standalone/http-scaling.ts";
import { hpaSyncPeriod, hpaSyncPeriodOption } from "./options.ts";
import { TidalError, UsageError, messageOf } from "../util/errors.ts";
import { formatProblem } from "./validate.ts";
import { formatNumber } from "../util/format-number.ts";
import { useColor } from "./color.ts";

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
  jobDuration: string;
  steps?: boolean;
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

type Target =
  | {
      kind: "ScaledObject" | "HTTPScaledObject";
      name: string;
      object: ScaledObject;
      metricSpecs: TriggerMetricSpec[];
      forecasts: SimulatedForecasts;
    }
  | { kind: "ScaledJob"; name: string; object: ScaledJob; metricSpecs: TriggerMetricSpec[] };

/** The object to simulate (a ScaledObject, ScaledJob or HTTPScaledObject) and its triggers' metrics. */
async function loadTarget(file: string, name: string | undefined): Promise<Target> {
  const { set, problems } = await validateManifests([file]);
  const errors = problems.filter((problem) => problem.severity === "error");
  if (errors.length > 0) throw new TidalError("TIDAL_E_INVALID", errors.map(formatProblem).join("\n"));
  // --name NAME, or KIND/NAME (as kubectl writes it) when objects of several kinds share a name.
  const [kind, objectName] = name?.includes("/")
    ? [name.slice(0, name.indexOf("/")).toLowerCase(), name.slice(name.indexOf("/") + 1)]
    : [undefined, name];
  const named = <T extends { metadata: { name: string } }>(loaded: readonly { object: T }[]) =>
    loaded
      .filter((entry) => objectName === undefined || entry.object.metadata.name === objectName)
      .map((entry) => entry.object);
  const candidates = [
    ...named(set.scaledObjects).map((object) => ({ kind: "ScaledObject" as const, object })),
    ...named(set.scaledJobs).map((object) => ({ kind: "ScaledJob" as const, object })),
    ...named(set.httpScaledObjects).map((object) => ({ kind: "HTTPScaledObject" as const, object })),
  ].filter((candidate) => kind === undefined || candidate.kind.toLowerCase() === kind);
  if (candidates.length === 0) {
    throw new UsageError(
      `${file}: no ScaledObject, ScaledJob or HTTPScaledObject${name ? ` named "${name}"` : ""} in the file`,
    );
  }
  if (candidates.length > 1) {
    throw new UsageError(
      `${file} has ${candidates.length} objects to simulate; pick one with --name (${candidates.map((entry) => `${entry.kind}/${entry.object.metadata.name}`).join(", ")}; KIND/NAME when names repeat)`,
    );
  }
  const chosen = candidates[0]!;
  if (chosen.kind === "HTTPScaledObject") {
    const object = scaledObjectForHttp(chosen.object);
    const { metricSpec } = httpTrigger(chosen.object, NO_TRAFFIC);
    return {
      kind: "HTTPScaledObject",
      name: chosen.object.metadata.name,
      object,
      metricSpecs: [metricSpec as TriggerMetricSpec],
      forecasts: new Map(),
    };
  }
  const object = chosen.object;
  const asMetricSource = chosen.kind === "ScaledObject" && usesFormula(chosen.object);
  const preparedTriggers = await prepareTriggersFromFiles(object, set, asMetricSource);
  const metricSpecs = object.spec.triggers.map((trigger, index): TriggerMetricSpec => {
    const prepared = preparedTriggers[index]!;
    if (prepared.resource) {
      if (chosen.kind === "ScaledJob") {
        throw new TidalError(
          "TIDAL_E_SIMULATE",
          `trigger ${trigger.name || index} (${trigger.type}): a ScaledJob cannot scale on ${trigger.type}`,
        );
      }
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
  if (chosen.kind === "ScaledJob")
    return { kind: "ScaledJob", name: object.metadata.name, object: chosen.object, metricSpecs };
  const forecasts = simulatedForecasts(
    chosen.object,
    metricSpecs,
    preparedTriggers.map((prepared) => prepared.params as Record<string, unknown> | undefined),
  );
  return { kind: "ScaledObject", name: object.metadata.name, object: chosen.object, metricSpecs, forecasts };
}

/** An HTTP route with no traffic: simulate never measures it, it only needs the trigger's metric. */
const NO_TRAFFIC: RouteMeter = {
  metrics: () => ({ concurrency: 0, requestRate: 0 }),
  onDemand: () => () => {},
};

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

export function simulateCommand(): Command {
  return new Command("simulate")
    .description(
      "replay a metric trace (or a workload) through the scaling engine on a virtual clock, and summarize what it did",
    )
    .requiredOption(
      "-f, --filename <file>",
      "file with the ScaledObject, ScaledJob or HTTPScaledObject to simulate",
    )
    .option(
      "--name <name>",
      "the object to simulate when the file has several (KIND/NAME, e.g. ScaledJob/importer, when names repeat)",
    )
    .option(
      "--metrics <trace.csv>",
      "metric trace: a time column, then one column per trigger, named after the trigger's name, its metric name or s0, s1, … (see below); a cell `error` fails that trigger",
    )
    .option(
      "--workload <arrivals.csv>",
      "closed loop: arrivals TIME,rate (items/s); the queue feeds the first trigger; runs until the queue drains unless --duration is given",
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
    .addOption(
      new Option(
        "--job-duration <seconds>",
        "ScaledJob: how long each Job runs (the trace is the queue as observed: Jobs do not drain it)",
      ).default("60"),
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
      "simulated time (default: the last row + cooldownPeriod + 2 × pollingInterval; a workload goes on until its queue drains)",
    )
    .option("--steps", "print every evaluation as a table before the summary")
    .addOption(
      new Option("-o, --output <format>", "output format (json has every step)")
        .choices(["table", "json"])
        .default("table"),
    )
    .option(
      "--plot <out.svg>",
      "write an SVG chart: replicas, what the metrics ask for, min/max, the metrics and the stretches a rule held the replicas",
    )
    .addHelpText(
      "after",
      `
Traces are CSV (quoted fields and headers, "," ";" or tab, # comments). The first
column is the time, detected from its cells: seconds from 0 (t), Unix seconds or
milliseconds (a Prometheus export), or dates (2024-01-15T10:00:00Z, or Grafana's
2024-01-15 10:00:00). Each value holds until the next row; an empty cell (or NaN)
holds the row above. A column feeds the trigger whose name it is, else whose metric
name it is (s0-redis-jobs), else s<index>; a Prometheus series such as
keda_scaler_metrics_value{metric="s0-redis-jobs"} feeds the trigger its metric,
triggerName or triggerIndex label names. cpu and memory columns hold the pods'
average (Utilization in percent). An HTTPScaledObject's trigger is named http.

Examples:
  tidal simulate -f scaledobject.yaml --metrics grafana-export.csv --plot replicas.svg
  tidal simulate -f scaledobject.yaml --metrics trace.csv --steps
  tidal simulate -f scaledobject.yaml --workload arrivals.csv --service-rate 5 --startup-delay 10
  tidal simulate -f scaledjob.yaml --metrics queue.csv --job-duration 120
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
      if (options.rateTrigger !== undefined && options.workload === undefined)
        throw new UsageError(
          "--rate-trigger needs --workload: a metric trace gives every trigger its own column",
        );
      const target = await loadTarget(options.filename, options.name);
      const run =
        target.kind === "ScaledJob"
          ? await runScaledJob(target, options)
          : await runScaledObject(target, options);
      await writeOutput(run, options);
    });
}

interface Run {
  title: string;
  mode: string;
  durationSeconds: number;
  initialReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  steps: SimulationStep[];
  summary: ReportInput["summary"];
  metricColumns: string[];
  input: string[];
  notes: string[];
  startMs?: number;
  end?: WorkloadEnd;
  /** Per metric column, what the legend adds (its target). */
  targets: Record<string, string>;
}

/** Reads and checks a metric trace, then names the file in any problem with its columns. */
async function readTrace(file: string, metricSpecs: readonly TriggerMetricSpec[]) {
  const trace = await parseMetricTrace(file, await readText(file));
  const match = inFile(file, () => matchTraceColumns(trace.columns, metricSpecs));
  const described = describeTrace(
    file,
    trace,
    trace.columns.map((column, index) => ({ column, trigger: match.labels[index] as string })),
    match.unfed,
  );
  return { trace, ...described };
}

/** The legend's words for each trigger's target: `target 5/replica`. */
function targetsOf(metricSpecs: readonly TriggerMetricSpec[]): Record<string, string> {
  const targets: Record<string, string> = {};
  for (const spec of metricSpecs) {
    const label = spec.name || `s${spec.index}`;
    const value = formatNumber(spec.target);
    targets[label] =
      spec.targetType === "AverageValue"
        ? `target ${value}/replica`
        : spec.targetType === "Utilization"
          ? `target ${value}%`
          : `target ${value}`;
  }
  return targets;
}

async function runScaledObject(
  target: Extract<Target, { kind: "ScaledObject" | "HTTPScaledObject" }>,
  options: SimulateOptions,
): Promise<Run> {
  const { object, metricSpecs, forecasts } = target;
  const hpaSyncSeconds = hpaSyncPeriod(options.hpaSyncPeriod) / 1000;
  const summaryFromSeconds = numberOption(options.warmup, "--warmup", 0) ?? 0;
  const initialReplicas = initialReplicasOption(options, object.spec.minReplicaCount);
  const tail = object.spec.cooldownPeriod + 2 * object.spec.pollingInterval;
  const common = {
    title: `${target.kind} ${target.name}`,
    mode: `${options.mode} mode`,
    initialReplicas,
    minReplicas: object.spec.minReplicaCount,
    maxReplicas: object.spec.maxReplicaCount,
    targets: targetsOf(metricSpecs),
  };
  if (options.metrics !== undefined) {
    const { trace, input, notes } = await readTrace(options.metrics, metricSpecs);
    const duration = simulatedSeconds(options, trace.rows.at(-1)?.t ?? 0, tail);
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
    return {
      ...common,
      durationSeconds: duration,
      steps: result.steps,
      summary: result.summary,
      metricColumns: result.metricColumns,
      input,
      notes: [...notes, ...cutNote(options, trace.rows.at(-1)?.t ?? 0, tail)],
      ...(trace.time.startMs === undefined ? {} : { startMs: trace.time.startMs }),
    };
  }
  const workload = options.workload as string;
  const resource = metricSpecs.find((spec) => spec.resource !== undefined);
  if (resource !== undefined) {
    throw new UsageError(
      `trigger ${resource.name || resource.index} (${resource.type}): the workload model has a queue, not CPU or memory; replay ${resource.type} values with --metrics`,
    );
  }
  const serviceRate = numberOption(options.serviceRate, "--service-rate", 0);
  if (serviceRate === undefined || serviceRate <= 0)
    throw new UsageError("--workload needs --service-rate greater than 0");
  const { arrivals, time } = await parseArrivals(workload, await readText(workload));
  const lastArrival = arrivals.at(-1)?.t ?? 0;
  const duration = simulatedSeconds(options, lastArrival, tail);
  const result = inFile(workload, () =>
    simulateWorkload({
      scaledObject: object,
      metricSpecs,
      arrivals,
      serviceRatePerReplica: serviceRate,
      startupDelaySeconds: numberOption(options.startupDelay, "--startup-delay", 0) ?? 0,
      durationSeconds: duration,
      ...(options.duration === undefined
        ? { untilDrained: { settleSeconds: tail, limitSeconds: MAX_SIMULATED_SECONDS } }
        : {}),
      mode: options.mode,
      hpaSyncSeconds,
      initialReplicas,
      forecasts,
      summaryFromSeconds,
      ...(options.rateTrigger === undefined ? {} : { rateTrigger: options.rateTrigger }),
      rateWindowSeconds: numberOption(options.rateWindow, "--rate-window", 1) ?? 60,
    }),
  );
  const rows = arrivals.length;
  // The queue ("backlog") feeds the first trigger that does not read the rate: its target labels it.
  const rate = options.rateTrigger;
  const queueSpec = metricSpecs.find(
    (spec) => rate === undefined || ![spec.name, `s${spec.index}`, spec.metricName].includes(rate),
  );
  const queueTarget = queueSpec && common.targets[queueSpec.name || `s${queueSpec.index}`];
  return {
    ...common,
    targets: { ...common.targets, ...(queueTarget ? { backlog: queueTarget } : {}) },
    durationSeconds: result.end.seconds,
    steps: result.steps,
    summary: result.summary,
    metricColumns: [...new Set(result.steps.flatMap((step) => Object.keys(step.metrics)))],
    input: [
      `workload ${workload}: ${rows} ${rows === 1 ? "row" : "rows"} of arrivals to ${formatDuration(lastArrival)}; each ready replica serves ${formatNumber(serviceRate)} ${serviceRate === 1 ? "item" : "items"}/s`,
    ],
    notes: cutNote(options, lastArrival, tail),
    ...(time.startMs === undefined ? {} : { startMs: time.startMs }),
    end: result.end,
  };
}

async function runScaledJob(
  target: Extract<Target, { kind: "ScaledJob" }>,
  options: SimulateOptions,
): Promise<Run> {
  const { object, metricSpecs } = target;
  if (options.workload !== undefined) {
    throw new UsageError(
      `ScaledJob ${target.name}: --workload models a ScaledObject's replicas serving a queue; replay the ScaledJob's queue with --metrics`,
    );
  }
  const file = options.metrics as string;
  const jobSeconds = numberOption(options.jobDuration, "--job-duration", 1) ?? 60;
  const { trace, input, notes } = await readTrace(file, metricSpecs);
  const duration = simulatedSeconds(
    options,
    trace.rows.at(-1)?.t ?? 0,
    jobSeconds + 2 * object.spec.pollingInterval,
  );
  const result = inFile(file, () =>
    simulateScaledJob({ scaledJob: object, metricSpecs, trace, jobSeconds, durationSeconds: duration }),
  );
  return {
    title: `ScaledJob ${target.name}`,
    mode: `${object.spec.scalingStrategy.strategy} strategy`,
    durationSeconds: duration,
    initialReplicas: 0,
    minReplicas: object.spec.minReplicaCount,
    maxReplicas: object.spec.maxReplicaCount,
    steps: result.steps,
    summary: result.summary,
    metricColumns: result.metricColumns,
    input: [...input, `each Job runs ${formatDuration(jobSeconds)} (--job-duration)`],
    notes: [
      ...notes,
      ...cutNote(options, trace.rows.at(-1)?.t ?? 0, jobSeconds + 2 * object.spec.pollingInterval),
    ],
    ...(trace.time.startMs === undefined ? {} : { startMs: trace.time.startMs }),
    targets: targetsOf(metricSpecs),
  };
}

function initialReplicasOption(options: SimulateOptions, minReplicaCount: number): number {
  const initialReplicas = numberOption(options.initialReplicas, "--initial-replicas", 0) ?? minReplicaCount;
  if (!Number.isInteger(initialReplicas)) throw new UsageError("--initial-replicas must be a whole number");
  return initialReplicas;
}

async function writeOutput(run: Run, options: SimulateOptions): Promise<void> {
  const holds = replicaHolds(run.initialReplicas, run.steps, run.durationSeconds);
  if (options.plot) {
    const svg = renderSvg(
      { steps: run.steps },
      {
        metricColumns: run.metricColumns,
        durationSeconds: run.durationSeconds,
        title: `${run.title} (${run.mode})`,
        minReplicas: run.minReplicas,
        maxReplicas: run.maxReplicas,
        holds,
        labels: run.targets,
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
      steps: run.steps.map((step) => ({
        t: step.t,
        replicas: step.replicas,
        desired: step.desired,
        active: step.active,
        fallback: step.fallback,
        reason: step.reason,
        ...("created" in step ? { created: (step as ScaledJobStep).created } : {}),
      })),
      summary: run.summary,
      holds: holds.map(({ rule, from, to, replicas, detail, recommended }) => ({
        rule,
        from,
        to,
        replicas,
        detail,
        ...(recommended === undefined ? {} : { recommended }),
      })),
      ...(run.end ? { end: run.end } : {}),
      notes: run.notes,
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return;
  }
  const color = useColor(process.stdout);
  if (options.steps) {
    process.stdout.write(
      renderSteps(run.steps, {
        ...(run.startMs === undefined ? {} : { startMs: run.startMs }),
        durationSeconds: run.durationSeconds,
        color,
      }),
    );
    process.stdout.write("\n");
  }
  process.stdout.write(renderSummary({ ...run, color }));
  if (!options.steps) process.stdout.write("\n(--steps prints every evaluation; -o json has every number)\n");
}

/** The longest stretch `simulate` replays: a week, at one step per polling interval or second. */
const MAX_SIMULATED_SECONDS = 7 * 24 * 3600;

/** --duration, or the trace's end plus a tail long enough to see the scale-in; a week at most. */
function simulatedSeconds(options: { duration?: string }, lastT: number, tail: number): number {
  const asked = numberOption(options.duration, "--duration", 1);
  if (asked !== undefined && asked > MAX_SIMULATED_SECONDS) {
    throw new UsageError(
      `--duration must be at most ${MAX_SIMULATED_SECONDS} seconds (a week), got ${asked}`,
    );
  }
  return asked ?? Math.min(lastT + tail, MAX_SIMULATED_SECONDS);
}

/** The note when the trace (with its tail) is longer than the week simulated by default. */
function cutNote(options: { duration?: string }, lastT: number, tail: number): string[] {
  return options.duration === undefined && lastT + tail > MAX_SIMULATED_SECONDS
    ? [
        `the trace spans ${formatDuration(lastT)}; simulated its first week, the longest run (--duration chooses less)`,
      ]
    : [];
}

/** A chart must never overwrite one of the inputs. */
function refuseInputAsPlot(plot: string, inputs: readonly (string | undefined)[]): void {
  const input = inputs.find((path) => path !== undefined && resolve(path) === resolve(plot));
  if (input !== undefined)
    throw new UsageError(`--plot ${plot} would overwrite the input ${input}; pass another path`);
}
