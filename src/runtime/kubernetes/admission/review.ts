import type { Problem, SourceDocument } from "../../../api/load.ts";
import { readResources } from "../../../api/resources.ts";
import { legacyTriggerRules } from "../../../scalers/registry.ts";
import { validateSet } from "../../../validation/validate.ts";

/** The parts of an admission.k8s.io/v1 AdmissionRequest the webhook reads. */
export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  namespace?: string;
  operation: "CREATE" | "UPDATE" | "DELETE" | "CONNECT";
  object?: KubeObject;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
}

interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

interface Hpa {
  metadata: {
    name: string;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string }[];
  };
  spec: { scaleTargetRef: { apiVersion?: string; kind: string; name: string } };
}

interface Container {
  name: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/** What the webhook asks the cluster: the operator's caches and, for workloads, the API. */
export interface AdmissionCluster {
  /** The ScaledObjects (and authentications) in a namespace, as the operator's informers hold them. */
  objects(namespace: string): KubeObject[];
  /** ClusterTriggerAuthentications. */
  clusterObjects(): KubeObject[];
  horizontalPodAutoscalers(namespace: string): Promise<Hpa[]>;
  /** The containers of a Deployment or StatefulSet, undefined when it is another kind or absent. */
  containers(
    namespace: string,
    ref: { apiVersion: string; kind: string; name: string },
  ): Promise<Container[] | undefined>;
  /** Whether a LimitRange in the namespace sets a default request or limit of the resource for containers. */
  limitRangeSets(namespace: string, resource: "cpu" | "memory"): Promise<boolean>;
}

const KINDS = new Set(["ScaledObject", "ScaledJob", "TriggerAuthentication", "ClusterTriggerAuthentication"]);
/** KEDA's annotations: an HPA opting out of the ownership check, a ScaledObject taking one over. */
const HPA_OWNERSHIP_VALIDATION = "validations.keda.sh/hpa-ownership";
const TRANSFER_HPA_OWNERSHIP = "scaledobject.keda.sh/transfer-hpa-ownership";

/**
 * Reviews a keda.sh object as `kubectl apply` sends it: everything `tidal validate` checks (the
 * object with the namespace's other objects and authentications), plus KEDA's webhook checks that
 * need the cluster (an HPA already on the target, cpu/memory triggers without requests). Denials
 * name the field and say what to do; warnings go back to kubectl.
 */
export async function reviewAdmission(
  request: AdmissionRequest,
  cluster: AdmissionCluster,
): Promise<AdmissionResponse> {
  const object = request.object;
  if (request.operation === "DELETE" || object === undefined || !KINDS.has(request.kind.kind))
    return { uid: request.uid, allowed: true };
  const namespace = request.namespace ?? object.metadata?.namespace ?? "default";
  const incoming = { ...object, metadata: { ...object.metadata, namespace } };
  const others = [
    ...cluster.objects(namespace).filter((other) => !sameObject(other, incoming)),
    ...cluster.clusterObjects().filter((other) => !sameObject(other, incoming)),
  ];
  // The incoming object comes last, so that a conflict with an existing one is reported on it.
  const documents: SourceDocument[] = [...others, incoming].map((value, index) => ({
    file: "admission",
    doc: index + 1,
    value,
  }));
  const { set, problems: schemaProblems } = readResources(documents, legacyTriggerRules);
  const problems = [...schemaProblems, ...(await validateSet(set))].filter(
    (problem) => problem.doc === documents.length,
  );
  const errors = problems.filter((problem) => problem.severity === "error").map(describe);
  const warnings = problems.filter((problem) => problem.severity === "warning").map(describe);
  if (errors.length === 0 && request.kind.kind === "ScaledObject") {
    errors.push(...(await clusterChecks(incoming, namespace, cluster)));
  }
  if (errors.length > 0) {
    return {
      uid: request.uid,
      allowed: false,
      status: { code: 403, reason: "Forbidden", message: errors.join("; ") },
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }
  return { uid: request.uid, allowed: true, ...(warnings.length > 0 ? { warnings } : {}) };
}

function sameObject(a: KubeObject, b: KubeObject): boolean {
  return (
    a.kind === b.kind &&
    a.metadata?.name === b.metadata?.name &&
    a.metadata?.namespace === b.metadata?.namespace
  );
}

function describe(problem: Problem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

interface TargetRef {
  apiVersion: string;
  kind: string;
  name: string;
}

/** KEDA's checks that only the cluster can answer. */
async function clusterChecks(
  object: KubeObject,
  namespace: string,
  cluster: AdmissionCluster,
): Promise<string[]> {
  const spec = object.spec as {
    scaleTargetRef: { apiVersion?: string; kind?: string; name: string };
    triggers: { type: string; metadata?: Record<string, string> }[];
    advanced?: { horizontalPodAutoscalerConfig?: { name?: string } };
  };
  const name = object.metadata!.name!;
  const target: TargetRef = {
    apiVersion: spec.scaleTargetRef.apiVersion ?? "apps/v1",
    kind: spec.scaleTargetRef.kind ?? "Deployment",
    name: spec.scaleTargetRef.name,
  };
  const errors: string[] = [];
  for (const hpa of await cluster.horizontalPodAutoscalers(namespace)) {
    if (hpa.metadata.annotations?.[HPA_OWNERSHIP_VALIDATION] === "false") continue;
    const ref = hpa.spec.scaleTargetRef;
    if (
      ref.name !== target.name ||
      ref.kind !== target.kind ||
      groupOf(ref.apiVersion) !== groupOf(target.apiVersion)
    )
      continue;
    if (hpa.metadata.ownerReferences?.some((owner) => owner.kind === "ScaledObject" && owner.name === name))
      continue;
    const transfer = object.metadata?.annotations?.[TRANSFER_HPA_OWNERSHIP] === "true";
    if (!transfer) {
      errors.push(
        `spec.scaleTargetRef: the workload '${target.name}' of type '${gvk(target)}' is already managed by the hpa '${hpa.metadata.name}'; delete that HPA, or annotate the ScaledObject ${TRANSFER_HPA_OWNERSHIP}: "true" and set spec.advanced.horizontalPodAutoscalerConfig.name: ${hpa.metadata.name} to take it over`,
      );
    } else if (spec.advanced?.horizontalPodAutoscalerConfig?.name !== hpa.metadata.name) {
      errors.push(
        `spec.advanced.horizontalPodAutoscalerConfig.name: the existing hpa '${hpa.metadata.name}' for workload '${target.name}' of type '${gvk(target)}' must be specified by name in advanced settings to enable ownership transfer`,
      );
    }
  }
  const resourceTriggers = spec.triggers.filter(
    (trigger) => trigger.type === "cpu" || trigger.type === "memory",
  );
  if (resourceTriggers.length > 0) {
    const containers = await cluster.containers(namespace, target);
    for (const [index, trigger] of spec.triggers.entries()) {
      if (containers === undefined || (trigger.type !== "cpu" && trigger.type !== "memory")) continue;
      const containerName = trigger.metadata?.containerName ?? "";
      for (const container of containers) {
        if (containerName !== "" && container.name !== containerName) continue;
        const resources = container.resources ?? {};
        const set =
          resources.requests?.[trigger.type] !== undefined || resources.limits?.[trigger.type] !== undefined;
        if (!set && !(await cluster.limitRangeSets(namespace, trigger.type)))
          errors.push(
            `spec.triggers[${index}]: the scaledobject has a ${trigger.type} trigger but the container ${container.name} doesn't have the ${trigger.type} request defined; set resources.requests.${trigger.type} on it`,
          );
      }
    }
  }
  return errors;
}

const groupOf = (apiVersion = "v1") =>
  apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";

/** KEDA's `group/version.Kind` spelling of a target's type. */
function gvk(target: TargetRef): string {
  return `${target.apiVersion}.${target.kind}`;
}
