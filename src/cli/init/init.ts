import { Command } from "commander";
import { basename, resolve } from "node:path";
import { stringify } from "yaml";
import type { SourceDocument } from "../../api/load.ts";
import { DNS1123_LABEL, readResources } from "../../api/resources.ts";
import { findScaler, legacyTriggerRules, supportedTriggerTypes } from "../../scalers/registry.ts";
import { didYouMean } from "../../util/did-you-mean.ts";
import { TidalError, UsageError } from "../../util/errors.ts";
import { validateSet } from "../../validation/validate.ts";
import { formatProblem } from "../validate.ts";
import { readFunctionsApp } from "./functions-app.ts";
import {
  completeTrigger,
  findParam,
  readsMetadata,
  workloadDocuments,
  type TriggerPlan,
  type WorkloadPlan,
} from "./generate.ts";

interface InitOptions {
  trigger?: string;
  image?: string;
  namespace: string;
  job?: boolean;
  minReplicas?: string;
  maxReplicas?: string;
  host: string[];
  pathPrefix: string[];
  port: string;
  functions?: string;
  secret: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function initCommand(): Command {
  return new Command("init")
    .usage("NAME --trigger TYPE --image IMAGE [--PARAMETER VALUE ...] | --functions DIR --image IMAGE")
    .description("print a Deployment and its ScaledObject (or ScaledJob / HTTPScaledObject), ready to apply")
    .option(
      "--trigger <type>",
      "the trigger type (KEDA's name, e.g. azure-servicebus, kafka, rabbitmq; http for HTTP)",
    )
    .option("--image <image>", "the container image of the workload")
    .option("-n, --namespace <namespace>", "the namespace of every object", "default")
    .option("--job", "one Job per unit of work (a ScaledJob) instead of a Deployment")
    .option("--min-replicas <n>", "minReplicaCount (KEDA's default 0)")
    .option("--max-replicas <n>", "maxReplicaCount (KEDA's default 100)")
    .option("--host <host>", "with --trigger http: a host the interceptor routes (repeatable)", collect, [])
    .option(
      "--path-prefix <prefix>",
      "with --trigger http: a path prefix it routes (repeatable)",
      collect,
      [],
    )
    .option("--port <port>", "with --trigger http: the container's HTTP port", "8080")
    .option("--functions <dir>", "generate for an Azure Functions app: its function.json trigger bindings")
    .option(
      "--secret <parameter>",
      "also read this trigger parameter from the Secret (repeatable)",
      collect,
      [],
    )
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText(
      "after",
      `
Every other --PARAMETER VALUE is the trigger's metadata: its KEDA name (--queueName orders), or the
name without "Name" (--queue orders). Credentials never go on the command line or into metadata:
the trigger's credentials (and an app's settings) go to a Secret NAME-secrets with <placeholders>
to fill in, read through a TriggerAuthentication. The output passes tidal validate.

Examples:
  tidal init orders --trigger azure-servicebus --queue orders --image registry.example/orders:1
  tidal init reports --trigger rabbitmq --queue reports --job --image registry.example/reports:1
  tidal init web --trigger http --host web.example.com --image registry.example/web:1
  tidal init --functions ./my-function-app --image registry.example/app:1 > app.yaml`,
    )
    .action(async (options: InitOptions, command: Command) => {
      const { name, metadata } = splitArguments(command.args);
      const workloads = options.functions
        ? await functionsWorkloads(options, name)
        : [flagsWorkload(options, name, metadata)];
      const documents = withoutRepeatedSecrets(workloads.flatMap(workloadDocuments));
      await checkGenerated(documents);
      process.stdout.write(
        documents
          .map((document) => stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }))
          .join("---\n"),
      );
      for (const secret of documents.filter(isSecret))
        process.stderr.write(
          `fill in the <placeholders> of Secret ${secret.metadata.name} before applying (or create it with kubectl create secret and drop that document)\n`,
        );
    });
}

function isSecret(document: object): document is { kind: "Secret"; metadata: { name: string } } {
  return (document as { kind?: string }).kind === "Secret";
}

/** The workloads of one app share its Secret: it is printed once. */
function withoutRepeatedSecrets(documents: object[]): object[] {
  const seen = new Set<string>();
  return documents.filter((document) => {
    if (!isSecret(document)) return true;
    if (seen.has(document.metadata.name)) return false;
    seen.add(document.metadata.name);
    return true;
  });
}

/** The workload's name and the trigger metadata given as `--key value` or `--key=value`. */
function splitArguments(args: readonly string[]): {
  name: string | undefined;
  metadata: Map<string, string>;
} {
  const metadata = new Map<string, string>();
  let name: string | undefined;
  for (let index = 0; index < args.length; index += 1) {
    const token = args[index]!;
    if (!token.startsWith("--")) {
      if (name !== undefined) throw new UsageError(`unexpected argument "${token}": give one NAME`);
      name = token;
      continue;
    }
    const equals = token.indexOf("=");
    const key = token.slice(2, equals === -1 ? undefined : equals);
    const value = equals === -1 ? args[++index] : token.slice(equals + 1);
    if (key === "" || value === undefined || (equals === -1 && value.startsWith("--")))
      throw new UsageError(`${token}: give a value (--${key || "PARAMETER"} VALUE)`);
    metadata.set(key, value);
  }
  return { name, metadata };
}

function checkName(name: string | undefined, hint: string): string {
  if (name === undefined) throw new UsageError(`give the workload's NAME (${hint})`);
  if (!DNS1123_LABEL.test(name) || name.length > 54)
    throw new UsageError(`NAME "${name}": use lower-case letters, digits and dashes (at most 54 characters)`);
  return name;
}

function count(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min)
    throw new UsageError(`${flag} "${value}": give a whole number of at least ${min}`);
  return number;
}

function baseWorkload(options: InitOptions, name: string): Omit<WorkloadPlan, "scaling"> {
  if (!options.image)
    throw new UsageError(
      "--image is required: the container image to run (e.g. --image registry.example/app:1)",
    );
  const minReplicaCount = count("--min-replicas", options.minReplicas, 0);
  const maxReplicaCount = count("--max-replicas", options.maxReplicas, 1);
  return {
    name,
    namespace: options.namespace,
    image: options.image,
    ...(minReplicaCount !== undefined ? { minReplicaCount } : {}),
    ...(maxReplicaCount !== undefined ? { maxReplicaCount } : {}),
    env: {},
    secretEnv: [],
    placeholderHints: {},
  };
}

function flagsWorkload(
  options: InitOptions,
  givenName: string | undefined,
  flags: Map<string, string>,
): WorkloadPlan {
  const name = checkName(givenName, "tidal init NAME --trigger TYPE ...");
  if (!options.trigger)
    throw new UsageError("--trigger is required: the trigger type, e.g. --trigger azure-servicebus");
  const base = baseWorkload(options, name);
  if (options.trigger === "http") {
    if (flags.size > 0)
      throw new UsageError(
        `--${[...flags.keys()][0]}: --trigger http takes --host, --path-prefix and --port`,
      );
    return {
      ...base,
      scaling: {
        kind: "HTTPScaledObject",
        hosts: options.host,
        pathPrefixes: options.pathPrefix,
        port: count("--port", options.port, 1)!,
      },
    };
  }
  const type = options.trigger;
  if (findScaler(type) === undefined)
    throw new UsageError(
      `--trigger: trigger type "${type}" is not supported${didYouMean(type, [...supportedTriggerTypes(), "http"])}`,
    );
  const plan: TriggerPlan = { type, metadata: {}, authParams: {} };
  const flagOf = (key: string) => `--${key}`;
  for (const [flag, value] of flags) {
    const found = findParam(type, flag);
    if (found === undefined) {
      if (flag.endsWith("FromEnv")) {
        plan.metadata[flag] = value;
        continue;
      }
      throw new UsageError(
        `--${flag}: ${type} has no parameter "${flag}"${didYouMean(flag, parameterNames(type))} (docs/scalers.md lists them)`,
      );
    }
    if (found.param.secret)
      throw new UsageError(
        `--${flag}: ${found.key} is a credential; it never goes on the command line: tidal init puts a placeholder for it in Secret ${name}-secrets`,
      );
    if (readsMetadata(found.param)) plan.metadata[found.key] = value;
    else plan.authParams[found.key] = value;
  }
  for (const key of options.secret) {
    const found = findParam(type, key);
    if (found === undefined)
      throw new UsageError(
        `--secret ${key}: ${type} has no parameter "${key}"${didYouMean(key, parameterNames(type))}`,
      );
    plan.authParams[found.key] = undefined;
  }
  const completed = completeTrigger(plan, flagOf);
  return {
    ...base,
    scaling: { kind: options.job ? "ScaledJob" : "ScaledObject", triggers: [completed] },
    placeholderHints: Object.fromEntries(
      Object.keys(completed.authParams).map((key) => [key, paramHint(type, key)]),
    ),
  };
}

const parameterNames = (type: string) => Object.keys(findScaler(type)?.params ?? {});

/** What to put in a placeholder: the parameter's description, without its parenthesised notes. */
function paramHint(type: string, key: string): string {
  const description = findParam(type, key)?.param.description ?? "";
  const short = description.split(" (")[0]!.trim();
  return short ? `${key}: ${short}` : key;
}

async function functionsWorkloads(
  options: InitOptions,
  givenName: string | undefined,
): Promise<WorkloadPlan[]> {
  const folder = resolve(options.functions!);
  const name = checkName(
    givenName ??
      basename(folder)
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-"),
    "the app's name",
  );
  if (options.trigger)
    throw new UsageError(
      "--trigger: with --functions the triggers come from the app's function.json bindings",
    );
  const app = await readFunctionsApp(folder);
  const base = baseWorkload(options, name);
  const env: Record<string, string> = app.workerRuntime
    ? { FUNCTIONS_WORKER_RUNTIME: app.workerRuntime }
    : {};
  const settings = [...app.connectionSettings, ...app.otherSettings];
  const hints = Object.fromEntries(settings.map((setting) => [setting, `app setting ${setting}`]));
  const onlyFunctions = (names: string[]) =>
    Object.fromEntries(
      names.map((functionName, index) => [`AzureFunctionsJobHost__functions__${index}`, functionName]),
    );
  const workloads: WorkloadPlan[] = [];
  if (app.triggers.length > 0) {
    const triggers = app.triggers.map(({ trigger }) =>
      completeTrigger(trigger, (key) => `function.json ${key}`),
    );
    workloads.push({
      ...base,
      env: {
        ...env,
        ...(app.httpFunctions.length > 0 ? onlyFunctions(app.triggers.map((t) => t.functionName)) : {}),
      },
      secretEnv: settings,
      placeholderHints: hints,
      scaling: { kind: options.job ? "ScaledJob" : "ScaledObject", triggers },
    });
  }
  if (app.httpFunctions.length > 0) {
    workloads.push({
      ...base,
      name: app.triggers.length > 0 ? `${name}-http` : name,
      secretName: `${name}-secrets`,
      env: { ...env, ...(app.triggers.length > 0 ? onlyFunctions(app.httpFunctions) : {}) },
      secretEnv: settings,
      placeholderHints: hints,
      scaling: { kind: "HTTPScaledObject", hosts: options.host, pathPrefixes: options.pathPrefix, port: 80 },
    });
  }
  return workloads;
}

/** What init prints must pass `tidal validate`: a failure here is a bug in init, said as one. */
async function checkGenerated(values: readonly object[]): Promise<void> {
  const documents: SourceDocument[] = values.map((value, index) => ({
    file: "<generated>",
    doc: index + 1,
    value,
  }));
  const { set, problems } = readResources(documents, legacyTriggerRules);
  const errors = [...problems, ...(await validateSet(set))].filter((problem) => problem.severity === "error");
  if (errors.length > 0)
    throw new TidalError(
      "TIDAL_E_INIT",
      `the generated manifests do not validate:\n${errors.map(formatProblem).join("\n")}`,
    );
}
