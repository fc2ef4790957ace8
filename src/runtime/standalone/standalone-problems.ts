import type { Problem } from "../../api/load.ts";
import type { ManifestSet } from "../../api/resources.ts";
import { findRouteConflicts, httpScaledObjectRoute } from "../../http-proxy/index.ts";
import { poolKeyOf as keyOf } from "./process-pools.ts";
import { processPoolOf } from "../file-trigger-inputs.ts";
import {
  httpTargetKind,
  localPoolOf,
  WORKLOAD_COMMAND_PATH,
  workloadKindOf,
  workloadOf,
  workloadPoolSpec,
} from "../../api/workload-pools.ts";

type ObjectBase = Pick<Problem, "file" | "doc" | "kind" | "name" | "severity">;

/**
 * Why a Deployment or StatefulSet that an object scales cannot run locally: it is not in the
 * files, its first container has no command, or a ProcessPool (or another workload) of the same
 * name and namespace takes the pool's name. Undefined when the reference names no such kind.
 */
function localWorkloadProblem(
  ref: { name: string; kind?: string | undefined; apiVersion?: string | undefined },
  namespace: string,
  set: ManifestSet,
  defaultKind: string,
  base: ObjectBase,
): Problem | undefined {
  const kind = workloadKindOf(ref, defaultKind);
  if (kind === undefined) return undefined;
  const workload = workloadOf(ref, namespace, set, defaultKind);
  if (workload === undefined) {
    return {
      ...base,
      path: "spec.scaleTargetRef.name",
      message: `${kind} "${ref.name}" is not in the given files (namespace "${namespace}"): add its manifest, with a command for its first container, to run it as local processes; or scale a ProcessPool; or use tidal operator`,
    };
  }
  if (workloadPoolSpec(workload.object) === undefined) {
    return {
      file: workload.file,
      doc: workload.doc,
      kind,
      name: ref.name,
      severity: "error",
      path: WORKLOAD_COMMAND_PATH,
      message: `required to run ${kind} "${ref.name}" as local processes for ${base.kind} "${base.name}" (tidal run does not use the image, so not its entrypoint either): add the command (and args) that starts the worker on this machine, or use tidal operator`,
    };
  }
  const holder = set.processPools.find(
    (pool) => pool.object.metadata.name === ref.name && pool.object.metadata.namespace === namespace,
  );
  return {
    ...base,
    path: "spec.scaleTargetRef.name",
    message: `${holder?.workload?.kind ?? "ProcessPool"} "${ref.name}" in the files has the same name and namespace as ${kind} "${ref.name}", and both would run as the local pool "${ref.name}": rename one`,
  };
}

/** Problems that only `tidal run` has: targets and triggers that need Kubernetes. */
export function standaloneProblems(set: ManifestSet): Problem[] {
  const problems: Problem[] = [];
  for (const loaded of [...set.scaledObjects, ...set.scaledJobs]) {
    for (const [index, trigger] of loaded.object.spec.triggers.entries()) {
      if (trigger.type !== "cpu" && trigger.type !== "memory") continue;
      problems.push({
        file: loaded.file,
        doc: loaded.doc,
        kind: loaded.object.kind,
        name: loaded.object.metadata.name,
        path: `spec.triggers[${index}].type`,
        message: `${trigger.type} triggers are measured by the Kubernetes HPA (metrics.k8s.io); tidal run cannot use them`,
        severity: "error",
      });
    }
  }
  for (const loaded of set.scaledJobs) {
    const command = loaded.object.spec.jobTargetRef.template.spec.containers[0]?.command;
    if (command !== undefined && command.length > 0) continue;
    problems.push({
      file: loaded.file,
      doc: loaded.doc,
      kind: "ScaledJob",
      name: loaded.object.metadata.name,
      path: "spec.jobTargetRef.template.spec.containers[0].command",
      message: "required to run jobs as local processes (tidal run does not use the image)",
      severity: "error",
    });
  }
  for (const loaded of set.scaledObjects) {
    const { metadata, spec } = loaded.object;
    const ref = spec.scaleTargetRef;
    const base = {
      file: loaded.file,
      doc: loaded.doc,
      kind: "ScaledObject",
      name: metadata.name,
      severity: "error" as const,
    };
    if (processPoolOf(loaded.object, set) !== undefined) continue;
    if (ref.kind === "ProcessPool") {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef.name",
        message: `ProcessPool "${ref.name}" is not defined in the given files (namespace "${metadata.namespace}")`,
      });
      continue;
    }
    const workloadProblem = localWorkloadProblem(
      ref,
      metadata.namespace ?? "default",
      set,
      "Deployment",
      base,
    );
    problems.push(
      workloadProblem ?? {
        ...base,
        path: "spec.scaleTargetRef",
        message: `tidal run scales local ProcessPools (apiVersion tidal.dev/v1alpha1, kind ProcessPool) and the Deployments and StatefulSets (apps/v1) of the given files; ${ref.kind ?? "Deployment"} "${ref.name}" needs Kubernetes: use tidal operator`,
      },
    );
  }
  const scaledPools = new Map<string, string>();
  for (const loaded of set.scaledObjects)
    scaledPools.set(
      `${loaded.object.metadata.namespace}/${loaded.object.spec.scaleTargetRef.name}`,
      `ScaledObject "${loaded.object.metadata.name}"`,
    );
  for (const loaded of set.httpScaledObjects) {
    const { metadata, spec } = loaded.object;
    const base = {
      file: loaded.file,
      doc: loaded.doc,
      kind: "HTTPScaledObject",
      name: metadata.name,
      severity: "error" as const,
    };
    const ref = spec.scaleTargetRef;
    const namespace = metadata.namespace ?? "default";
    const pool = `${namespace}/${ref.name}`;
    const kind = httpTargetKind(ref, namespace, set);
    if (localPoolOf(ref, namespace, set, kind) === undefined) {
      // No kind and no such Deployment in the files: a ProcessPool is what is missing.
      const poolMissing =
        kind === "ProcessPool" || (ref.kind === undefined && workloadOf(ref, namespace, set) === undefined);
      const workloadProblem = poolMissing ? undefined : localWorkloadProblem(ref, namespace, set, kind, base);
      problems.push(
        workloadProblem ??
          (poolMissing
            ? {
                ...base,
                path: "spec.scaleTargetRef.name",
                message: `ProcessPool "${ref.name}" is not defined in the given files (namespace "${namespace}")`,
              }
            : {
                ...base,
                path: "spec.scaleTargetRef.kind",
                message: `tidal run routes to local ProcessPools and to the Deployments and StatefulSets (apps/v1) of the given files; ${kind} "${ref.name}" needs Kubernetes and the KEDA HTTP add-on`,
              }),
      );
    } else if (scaledPools.has(pool)) {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef.name",
        message: `${kind} "${ref.name}" is already scaled by ${scaledPools.get(pool)}`,
      });
    }
    scaledPools.set(pool, `HTTPScaledObject "${metadata.name}"`);
  }
  for (const conflict of findRouteConflicts(
    set.httpScaledObjects.map((loaded) => httpScaledObjectRoute(loaded.object)),
  )) {
    const [first, ...others] = conflict.routeKeys;
    const loaded = set.httpScaledObjects.find((candidate) => keyOf(candidate.object) === others[0]);
    if (loaded === undefined) continue;
    problems.push({
      file: loaded.file,
      doc: loaded.doc,
      kind: "HTTPScaledObject",
      name: loaded.object.metadata.name,
      path: "spec.hosts",
      message: `host "${conflict.host}" and path "${conflict.pathPrefix}" are also claimed by HTTPScaledObject ${first}, which gets the traffic`,
      severity: "warning",
    });
  }
  return problems;
}
