import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../../util/errors.ts";
import type { TriggerPlan } from "./generate.ts";

/** What an Azure Functions app (a folder with host.json) says about how it should scale. */
export interface FunctionsApp {
  /** Functions with a queue or event trigger, as KEDA triggers. */
  triggers: { functionName: string; trigger: TriggerPlan }[];
  /** Functions with an HTTP trigger. */
  httpFunctions: string[];
  /** App settings the triggers read their connections from (environment variable names). */
  connectionSettings: string[];
  /** Other app settings from local.settings.json (names only: values are never copied). */
  otherSettings: string[];
  /** FUNCTIONS_WORKER_RUNTIME, when local.settings.json sets it. */
  workerRuntime: string | undefined;
}

interface Binding {
  type?: unknown;
  direction?: unknown;
  [key: string]: unknown;
}

/** App settings that are configuration, not credentials: they go into the Deployment as plain values. */
const PLAIN_SETTINGS = new Set([
  "FUNCTIONS_WORKER_RUNTIME",
  "FUNCTIONS_EXTENSION_VERSION",
  "AzureWebJobsFeatureFlags",
]);

/** Reads host.json, each function's function.json and local.settings.json (names only) of an app folder. */
export async function readFunctionsApp(folder: string): Promise<FunctionsApp> {
  await readFile(join(folder, "host.json"), "utf8").catch(() => {
    throw new UsageError(
      `--functions ${folder}: no host.json there; give the folder of an Azure Functions app`,
    );
  });
  const app: FunctionsApp = {
    triggers: [],
    httpFunctions: [],
    connectionSettings: [],
    otherSettings: [],
    workerRuntime: undefined,
  };
  const entries = await readdir(folder, { withFileTypes: true });
  for (const entry of entries
    .filter((item) => item.isDirectory())
    .sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(folder, entry.name, "function.json");
    const text = await readFile(file, "utf8").catch(() => undefined);
    if (text === undefined) continue;
    let bindings: Binding[];
    try {
      bindings = (JSON.parse(text) as { bindings?: Binding[] }).bindings ?? [];
    } catch (error) {
      throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
    }
    for (const [index, binding] of bindings.entries()) {
      if (binding.direction !== "in" || typeof binding.type !== "string" || !binding.type.endsWith("Trigger"))
        continue;
      const where = `${file}: bindings[${index}]`;
      if (binding.type === "httpTrigger") {
        app.httpFunctions.push(entry.name);
        continue;
      }
      const converted = triggerOf(binding, where);
      app.triggers.push({ functionName: entry.name, trigger: converted.trigger });
      for (const setting of converted.settings)
        if (!app.connectionSettings.includes(setting)) app.connectionSettings.push(setting);
    }
  }
  const settings = await readFile(join(folder, "local.settings.json"), "utf8").catch(() => undefined);
  if (settings !== undefined) {
    const values = parseSettings(settings, join(folder, "local.settings.json"));
    const runtime = values.FUNCTIONS_WORKER_RUNTIME;
    app.workerRuntime = typeof runtime === "string" ? runtime : undefined;
    for (const name of Object.keys(values))
      if (!PLAIN_SETTINGS.has(name) && !app.connectionSettings.includes(name)) app.otherSettings.push(name);
  }
  if (app.triggers.length === 0 && app.httpFunctions.length === 0)
    throw new UsageError(
      `--functions ${folder}: no function with a trigger binding found (looked for */function.json)`,
    );
  return app;
}

/** The `Values` of local.settings.json (their names are what is used). */
function parseSettings(text: string, file: string): Record<string, unknown> {
  try {
    return (JSON.parse(text) as { Values?: Record<string, unknown> }).Values ?? {};
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`);
  }
}

/** `%Name%` in a binding names an app setting. */
function settingReference(value: string): string | undefined {
  return /^%([^%]+)%$/.exec(value)?.[1];
}

function text(binding: Binding, key: string, where: string, fallback?: string): string {
  const value = binding[key];
  if (typeof value === "string" && value !== "") return value;
  if (fallback !== undefined) return fallback;
  throw new UsageError(`${where}: ${String(binding.type)} has no "${key}"`);
}

/**
 * A metadata entry from a binding value: `%Setting%` becomes `<key>FromEnv: Setting` (the app
 * setting is the container's environment variable), anything else is the value itself.
 */
function metadataEntry(key: string, value: string, settings: string[]): Record<string, string> {
  const setting = settingReference(value);
  if (setting === undefined) return { [key]: value };
  settings.push(setting);
  return { [`${key}FromEnv`]: setting };
}

/** The KEDA trigger an Azure Functions trigger binding scales on, as the Functions tooling maps them. */
function triggerOf(binding: Binding, where: string): { trigger: TriggerPlan; settings: string[] } {
  const settings: string[] = [];
  const connection = (fallback: string) => {
    const name = text(binding, "connection", where, fallback);
    settings.push(name);
    return name;
  };
  const plan = (
    type: string,
    metadata: Record<string, string>,
  ): { trigger: TriggerPlan; settings: string[] } => ({
    trigger: { type, metadata, authParams: {} },
    settings,
  });
  switch (binding.type) {
    case "serviceBusTrigger": {
      const entity =
        typeof binding.queueName === "string"
          ? metadataEntry("queueName", binding.queueName, settings)
          : {
              ...metadataEntry("topicName", text(binding, "topicName", where), settings),
              ...metadataEntry("subscriptionName", text(binding, "subscriptionName", where), settings),
            };
      return plan("azure-servicebus", { ...entity, connectionFromEnv: connection("AzureWebJobsServiceBus") });
    }
    case "queueTrigger":
      return plan("azure-queue", {
        ...metadataEntry("queueName", text(binding, "queueName", where), settings),
        connectionFromEnv: connection("AzureWebJobsStorage"),
      });
    case "eventHubTrigger": {
      const hub =
        typeof binding.eventHubName === "string" ? binding.eventHubName : text(binding, "path", where);
      settings.push("AzureWebJobsStorage");
      return plan("azure-eventhub", {
        ...metadataEntry("eventHubName", hub, settings),
        consumerGroup: text(binding, "consumerGroup", where, "$Default"),
        connectionFromEnv: connection("AzureWebJobsEventHub"),
        storageConnectionFromEnv: "AzureWebJobsStorage",
      });
    }
    case "kafkaTrigger":
      return plan("kafka", {
        ...metadataEntry("bootstrapServers", text(binding, "brokerList", where), settings),
        ...metadataEntry("topic", text(binding, "topic", where), settings),
        consumerGroup: text(binding, "consumerGroup", where, "$Default"),
      });
    case "rabbitMQTrigger": {
      const setting = text(binding, "connectionStringSetting", where);
      settings.push(setting);
      return plan("rabbitmq", {
        ...metadataEntry("queueName", text(binding, "queueName", where), settings),
        hostFromEnv: setting,
      });
    }
    default:
      throw new UsageError(
        `${where}: ${String(binding.type)} has no KEDA trigger here; supported: serviceBusTrigger, queueTrigger, eventHubTrigger, kafkaTrigger, rabbitMQTrigger, httpTrigger`,
      );
  }
}
