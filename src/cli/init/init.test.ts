import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parseAllDocuments } from "yaml";
import { expectNoStackTrace, repositoryRoot, runTidal } from "../../../test/cli/tidal-cli.ts";
import { readFunctionsApp } from "./functions-app.ts";
import { completeTrigger, findParam, workloadDocuments, type WorkloadPlan } from "./generate.ts";

vi.setConfig({ testTimeout: 120_000 });

const folder = mkdtempSync(join(tmpdir(), "tidal-init-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

interface Doc {
  kind: string;
  metadata: { name: string };
  stringData?: Record<string, string>;
  spec?: Record<string, unknown>;
}

const documentsOf = (text: string) => parseAllDocuments(text).map((document) => document.toJS() as Doc);
const byKind = (documents: Doc[], kind: string) => documents.filter((document) => document.kind === kind);

/** Runs `tidal init ARGS`, then `tidal validate` on what it printed. */
async function initAndValidate(args: string[]) {
  const init = await runTidal(["init", ...args]);
  expectNoStackTrace(init);
  const file = join(folder, `${args.join("_").replace(/[^a-z0-9]+/gi, "-")}.yaml`);
  writeFileSync(file, init.stdout);
  const validate = init.code === 0 ? await runTidal(["validate", "-f", file]) : undefined;
  return { init, validate, documents: documentsOf(init.stdout) };
}

describe("tidal init", () => {
  it("puts a Service Bus trigger's connection in a Secret placeholder, and the output validates", async () => {
    const { init, validate, documents } = await initAndValidate([
      "orders",
      "--trigger",
      "azure-servicebus",
      "--queue",
      "orders",
      "--messageCount",
      "10",
      "--image",
      "registry.example/orders:1",
      "-n",
      "shop",
    ]);
    expect(init.code).toBe(0);
    expect(documents.map((document) => `${document.kind}/${document.metadata.name}`)).toEqual([
      "Secret/orders-secrets",
      "TriggerAuthentication/orders-auth",
      "Deployment/orders",
      "ScaledObject/orders",
    ]);
    expect(byKind(documents, "Secret")[0]!.stringData).toEqual({
      connection: "<connection: Service Bus connection string>",
    });
    expect(byKind(documents, "ScaledObject")[0]!.spec).toEqual({
      scaleTargetRef: { name: "orders" },
      triggers: [
        {
          type: "azure-servicebus",
          metadata: { queueName: "orders", messageCount: "10" },
          authenticationRef: { name: "orders-auth" },
        },
      ],
    });
    expect(init.stderr).toContain("fill in the <placeholders> of Secret orders-secrets");
    expect(validate!.code).toBe(0);
    expect(validate!.stdout).toContain("connection is still a <placeholder> in the files");
  });

  it("refuses a credential on the command line without echoing it, and names a missing parameter's flag", async () => {
    const secret = await runTidal([
      "init",
      "w",
      "--trigger",
      "redis",
      "--listName",
      "l",
      "--password",
      "CANARY-PW",
      "--image",
      "i",
    ]);
    expect(secret.code).toBe(2);
    expect(secret.stderr).toContain(
      "--password: password is a credential; it never goes on the command line",
    );
    expect(secret.stderr).not.toContain("CANARY-PW");
    expect(secret.stdout).toBe("");
    const missing = await runTidal(["init", "w", "--trigger", "kafka", "--topic", "t", "--image", "i"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^tidal: --bootstrapServers: missing required parameter "bootstrapServers"/m,
    );
    expect(missing.stderr).toMatch(/^--consumerGroup: missing required parameter "consumerGroup"/m);
    const typo = await runTidal(["init", "w", "--trigger", "redis", "--listNme", "l", "--image", "i"]);
    expect(typo.stderr).toContain('--listNme: redis has no parameter "listNme"; did you mean "listName"?');
    expectNoStackTrace(typo);
  });

  it("turns an Azure Functions app's trigger bindings into triggers, never copying its settings' values", async () => {
    const { init, validate, documents } = await initAndValidate([
      "keda-service-bus-function",
      "--functions",
      join(repositoryRoot, "test/fixtures/functions-app"),
      "--image",
      "kedatest.azurecr.io/keda-service-bus-function",
    ]);
    expect(init.code).toBe(0);
    expect(init.stdout).not.toContain("CANARY");
    expect(byKind(documents, "Secret").map((secret) => secret.stringData)).toEqual([
      {
        AzureWebJobsStorage: "<app setting AzureWebJobsStorage>",
        EventsHub: "<app setting EventsHub>",
        EventsHubName: "<app setting EventsHubName>",
        "keda-test_SERVICEBUS": "<app setting keda-test_SERVICEBUS>",
      },
    ]);
    expect(byKind(documents, "ScaledObject")[0]!.spec!.triggers).toEqual([
      {
        type: "azure-eventhub",
        metadata: {
          eventHubNameFromEnv: "EventsHubName",
          consumerGroup: "$Default",
          connectionFromEnv: "EventsHub",
          storageConnectionFromEnv: "AzureWebJobsStorage",
        },
      },
      {
        type: "azure-servicebus",
        metadata: { queueName: "my-queue", connectionFromEnv: "keda-test_SERVICEBUS" },
      },
    ]);
    expect(byKind(documents, "HTTPScaledObject").map((document) => document.metadata.name)).toEqual([
      "keda-service-bus-function-http",
    ]);
    expect(validate!.code).toBe(0);
  });
});

describe("init's generation", () => {
  const base: Omit<WorkloadPlan, "scaling"> = {
    name: "w",
    namespace: "default",
    image: "i",
    env: {},
    secretEnv: [],
    placeholderHints: {},
  };

  it("finds a parameter by its KEDA name or without its Name suffix", () => {
    expect(findParam("azure-servicebus", "queue")?.key).toBe("queueName");
    expect(findParam("azure-servicebus", "QUEUENAME")?.key).toBe("queueName");
    expect(findParam("azure-servicebus", "nope")).toBeUndefined();
  });

  it("adds the credentials a trigger cannot work without, and no others", () => {
    const rabbit = completeTrigger(
      { type: "rabbitmq", metadata: { queueName: "q" }, authParams: {} },
      (key) => `--${key}`,
    );
    expect(Object.keys(rabbit.authParams)).toEqual(["host"]);
    const redis = completeTrigger(
      { type: "redis", metadata: { listName: "l", address: "redis:6379" }, authParams: {} },
      (key) => `--${key}`,
    );
    expect(redis.authParams).toEqual({});
  });

  it("generates a ScaledJob with the container in its job template", () => {
    const documents = workloadDocuments({
      ...base,
      maxReplicaCount: 5,
      scaling: {
        kind: "ScaledJob",
        triggers: [{ type: "redis", metadata: { listName: "l" }, authParams: {} }],
      },
    }) as Doc[];
    expect(documents.map((document) => document.kind)).toEqual(["ScaledJob"]);
    expect(documents[0]!.spec).toMatchObject({
      jobTargetRef: {
        template: { spec: { containers: [{ name: "w", image: "i" }], restartPolicy: "Never" } },
      },
      maxReplicaCount: 5,
    });
  });

  it("reads every trigger binding of an app, and refuses a folder that is not one", async () => {
    const app = await readFunctionsApp(join(repositoryRoot, "test/fixtures/functions-app"));
    expect(app.httpFunctions).toEqual(["Api"]);
    expect(app.triggers.map((entry) => entry.functionName)).toEqual(["Events", "QueueWorker"]);
    expect(app.workerRuntime).toBe("dotnet");
    await expect(readFunctionsApp(folder)).rejects.toThrow(/no host\.json there/);
  });
});
