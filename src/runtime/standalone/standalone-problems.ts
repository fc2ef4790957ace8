import type { Problem } from "../../api/load.ts";
import type { ManifestSet } from "../../api/resources.ts";
import { findRouteConflicts, httpScaledObjectRoute } from "../../http-proxy/index.ts";
import { poolKeyOf as keyOf } from "./process-pools.ts";
import { processPoolOf } from "../file-trigger-inputs.ts";

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
    if (ref.kind !== "ProcessPool") {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef",
        message: `tidal run scales local ProcessPools (apiVersion tidal.dev/v1alpha1, kind ProcessPool); ${ref.kind ?? "Deployment"} "${ref.name}" needs Kubernetes: use tidal operator`,
      });
    } else if (processPoolOf(loaded.object, set) === undefined) {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef.name",
        message: `ProcessPool "${ref.name}" is not defined in the given files (namespace "${metadata.namespace}")`,
      });
    }
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
    const pool = `${metadata.namespace}/${ref.name}`;
    if (ref.kind !== undefined && ref.kind !== "ProcessPool") {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef.kind",
        message: `tidal run routes to local ProcessPools; ${ref.kind} "${ref.name}" needs Kubernetes and the KEDA HTTP add-on`,
      });
    } else if (!set.processPools.some((candidate) => keyOf(candidate.object) === pool)) {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef.name",
        message: `ProcessPool "${ref.name}" is not defined in the given files (namespace "${metadata.namespace}")`,
      });
    } else if (scaledPools.has(pool)) {
      problems.push({
        ...base,
        path: "spec.scaleTargetRef.name",
        message: `ProcessPool "${ref.name}" is already scaled by ${scaledPools.get(pool)}`,
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
