import { describe, expect, it } from "vitest";
import { readResources } from "../../api/resources.ts";
import { legacyTriggerRules } from "../../scalers/registry.ts";
import { standaloneProblems } from "./standalone-problems.ts";

function scaledJob(container: Record<string, unknown>) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledJob",
    metadata: { name: "batch" },
    spec: {
      jobTargetRef: { template: { spec: { containers: [{ name: "work", ...container }] } } },
      triggers: [{ type: "redis", metadata: { address: "127.0.0.1:6379", listName: "q" } }],
    },
  };
}

describe("standaloneProblems", () => {
  it("needs a command for a ScaledJob's local processes, naming the field, and accepts one that has it", () => {
    const { set, problems } = readResources(
      [{ file: "jobs.yaml", doc: 1, value: scaledJob({ image: "example.invalid/worker" }) }],
      legacyTriggerRules,
    );
    expect(problems).toEqual([]);
    expect(standaloneProblems(set)).toEqual([
      {
        file: "jobs.yaml",
        doc: 1,
        kind: "ScaledJob",
        name: "batch",
        path: "spec.jobTargetRef.template.spec.containers[0].command",
        message: "required to run jobs as local processes (tidal run does not use the image)",
        severity: "error",
      },
    ]);
    const withCommand = readResources(
      [{ file: "jobs.yaml", doc: 1, value: scaledJob({ command: ["node", "job.js"] }) }],
      legacyTriggerRules,
    );
    expect(standaloneProblems(withCommand.set)).toEqual([]);
  });
});

function deployment(container: Record<string, unknown>, kind = "Deployment") {
  return {
    apiVersion: "apps/v1",
    kind,
    metadata: { name: "worker" },
    spec: {
      template: { spec: { containers: [{ name: "worker", image: "example.invalid/worker", ...container }] } },
    },
  };
}

function scaledObject(scaleTargetRef: Record<string, unknown>) {
  return {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: { name: "orders" },
    spec: {
      scaleTargetRef,
      triggers: [{ type: "redis", metadata: { address: "127.0.0.1:6379", listName: "q" } }],
    },
  };
}

function problemsOf(...values: unknown[]) {
  const { set, problems } = readResources(
    values.map((value, index) => ({ file: "app.yaml", doc: index + 1, value })),
    legacyTriggerRules,
  );
  expect(problems).toEqual([]);
  return standaloneProblems(set);
}

describe("standaloneProblems: Deployments and StatefulSets", () => {
  it("accepts a scaled Deployment or StatefulSet of the files whose first container has a command", () => {
    expect(
      problemsOf(deployment({ command: ["node", "worker.js"] }), scaledObject({ name: "worker" })),
    ).toEqual([]);
    expect(
      problemsOf(
        deployment({ command: ["node", "worker.js"] }, "StatefulSet"),
        scaledObject({ apiVersion: "apps/v1", kind: "StatefulSet", name: "worker" }),
      ),
    ).toEqual([]);
  });

  it("names the Deployment's missing command, on the Deployment, and what to do", () => {
    expect(problemsOf(deployment({ args: ["--queue", "q"] }), scaledObject({ name: "worker" }))).toEqual([
      {
        file: "app.yaml",
        doc: 1,
        kind: "Deployment",
        name: "worker",
        path: "spec.template.spec.containers[0].command",
        message:
          'required to run Deployment "worker" as local processes for ScaledObject "orders" (tidal run does not use the image, so not its entrypoint either): add the command (and args) that starts the worker on this machine, or use tidal operator',
        severity: "error",
      },
    ]);
  });

  it("says a Deployment that is not in the files must be added, and other kinds need Kubernetes", () => {
    expect(problemsOf(scaledObject({ name: "worker" }))).toEqual([
      expect.objectContaining({
        kind: "ScaledObject",
        path: "spec.scaleTargetRef.name",
        message:
          'Deployment "worker" is not in the given files (namespace "default"): add its manifest, with a command for its first container, to run it as local processes; or scale a ProcessPool; or use tidal operator',
      }),
    ]);
    expect(
      problemsOf(scaledObject({ apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: "worker" })),
    ).toEqual([
      expect.objectContaining({
        path: "spec.scaleTargetRef",
        message: expect.stringContaining('Rollout "worker" needs Kubernetes: use tidal operator'),
      }),
    ]);
  });

  it("refuses a Deployment whose name a ProcessPool of the files already has", () => {
    const pool = {
      apiVersion: "tidal.dev/v1alpha1",
      kind: "ProcessPool",
      metadata: { name: "worker" },
      spec: { command: ["node", "other.js"] },
    };
    expect(
      problemsOf(pool, deployment({ command: ["node", "worker.js"] }), scaledObject({ name: "worker" })),
    ).toEqual([
      expect.objectContaining({
        kind: "ScaledObject",
        path: "spec.scaleTargetRef.name",
        message:
          'ProcessPool "worker" in the files has the same name and namespace as Deployment "worker", and both would run as the local pool "worker": rename one',
      }),
    ]);
  });

  it("routes an HTTPScaledObject to a Deployment of the files, and names its missing command", () => {
    const http = {
      apiVersion: "http.keda.sh/v1alpha1",
      kind: "HTTPScaledObject",
      metadata: { name: "web" },
      spec: {
        hosts: ["web.local"],
        scaleTargetRef: { name: "worker", kind: "Deployment", apiVersion: "apps/v1" },
      },
    };
    expect(problemsOf(deployment({ command: ["node", "server.js"] }), http)).toEqual([]);
    expect(problemsOf(deployment({}), http)).toEqual([
      expect.objectContaining({ kind: "Deployment", path: "spec.template.spec.containers[0].command" }),
    ]);
    // Without a kind and with neither a ProcessPool nor a Deployment of that name: the ProcessPool is missing.
    expect(problemsOf({ ...http, spec: { ...http.spec, scaleTargetRef: { name: "worker" } } })).toEqual([
      expect.objectContaining({
        path: "spec.scaleTargetRef.name",
        message: 'ProcessPool "worker" is not defined in the given files (namespace "default")',
      }),
    ]);
  });
});
