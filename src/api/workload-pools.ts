import type { Loaded, ManifestSet } from "./resources.ts";
import { TIDAL_API_VERSION } from "./names.ts";
import type { EnvFromSource, EnvVar, ProcessPool, ProcessPoolSpec } from "./schema/process-pool.ts";
import type { Container } from "./schema/scaled-job.ts";
import { containerArgv, podGraceSeconds } from "./local-container.ts";
import { podSpecOf, WORKLOAD_KINDS, type Workload, type WorkloadKind } from "./schema/workload.ts";

/**
 * Running a Deployment's or StatefulSet's pods as local processes (`tidal run`): the workload a
 * ScaledObject (or HTTPScaledObject) scales, when it is in the files and its first container has a
 * `command`, becomes a ProcessPool of the same name, made from that container as a ScaledJob's
 * jobs are made from theirs. Everything that only means something to a kubelet (the image,
 * resources, probes, volumes, other containers) is not used, and each such pool carries a note
 * that says which of those fields the workload has.
 */

/** What a ProcessPool made from a workload remembers of it. */
export interface WorkloadOrigin {
  kind: WorkloadKind;
  /** One line: what of the workload runs and which of its fields are not used. */
  note: string;
}

/** A scale target reference, as ScaledObjects and HTTPScaledObjects write it. */
interface TargetRef {
  name: string;
  kind?: string | undefined;
  apiVersion?: string | undefined;
}

/** The pod template's fields `tidal run` reads, beside `containers`. */
const USED_POD_FIELDS = ["containers", "terminationGracePeriodSeconds"];
/** The container's fields `tidal run` reads (`name` only to name it). */
const USED_CONTAINER_FIELDS = ["command", "args", "env", "envFrom", "workingDir"];
/** Fields that change nothing for local processes and are not worth a mention. */
const QUIET_SPEC_FIELDS = ["replicas", "template", "selector"];
const QUIET_POD_FIELDS = ["restartPolicy"];

/** The path of the field a workload needs before it can run locally. */
export const WORKLOAD_COMMAND_PATH = "spec.template.spec.containers[0].command";

/**
 * The workload kind a reference names (KEDA's default: an apps/v1 Deployment; kinds match
 * case-insensitively), or undefined for any other kind.
 */
export function workloadKindOf(ref: TargetRef, defaultKind = "Deployment"): WorkloadKind | undefined {
  if (ref.apiVersion !== undefined && ref.apiVersion !== "apps/v1") return undefined;
  const kind = (ref.kind ?? defaultKind).toLowerCase();
  return WORKLOAD_KINDS.find((candidate) => candidate.toLowerCase() === kind);
}

const sameObject = (
  object: { metadata: { name: string; namespace?: string | undefined } },
  name: string,
  namespace: string,
) => object.metadata.name === name && (object.metadata.namespace ?? "default") === namespace;

/**
 * The kind an HTTPScaledObject's target has when `kind` is not written: a ProcessPool of that
 * name in the files, else a Deployment (the HTTP add-on's default).
 */
export function httpTargetKind(ref: TargetRef, namespace: string, set: ManifestSet): string {
  if (ref.kind !== undefined) return ref.kind;
  return set.processPools.some(
    (pool) => pool.workload === undefined && sameObject(pool.object, ref.name, namespace),
  )
    ? "ProcessPool"
    : "Deployment";
}

/** The Deployment or StatefulSet in the files that a reference names. */
export function workloadOf(
  ref: TargetRef,
  namespace: string,
  set: ManifestSet,
  defaultKind = "Deployment",
): Loaded<Workload> | undefined {
  const kind = workloadKindOf(ref, defaultKind);
  if (kind === undefined) return undefined;
  return set.workloads.find(
    (loaded) => loaded.object.kind === kind && sameObject(loaded.object, ref.name, namespace),
  );
}

/**
 * The local pool a reference names: a ProcessPool of the files for `kind: ProcessPool`, the pool
 * made from a Deployment or StatefulSet for those kinds; undefined when there is none.
 */
export function localPoolOf(
  ref: TargetRef,
  namespace: string,
  set: ManifestSet,
  defaultKind = "Deployment",
): Loaded<ProcessPool> | undefined {
  const kind = ref.kind ?? defaultKind;
  if (kind === "ProcessPool") {
    return set.processPools.find(
      (pool) => pool.workload === undefined && sameObject(pool.object, ref.name, namespace),
    );
  }
  const workloadKind = workloadKindOf(ref, defaultKind);
  if (workloadKind === undefined) return undefined;
  return set.processPools.find(
    (pool) => pool.workload?.kind === workloadKind && sameObject(pool.object, ref.name, namespace),
  );
}

function describe(container: Container, index: number): string {
  return container.name === undefined ? `containers[${index}]` : `containers[${index}] ("${container.name}")`;
}

/**
 * The environment entries a local process can have: literal values and keys of Secrets and
 * ConfigMaps; the others (fieldRef, resourceFieldRef: facts of a pod) are named as not used.
 */
function localEnv(container: Container, unused: string[]): EnvVar[] {
  const env: EnvVar[] = [];
  for (const variable of (container.env ?? []) as (EnvVar & { valueFrom?: Record<string, unknown> })[]) {
    const from = variable.valueFrom;
    const secretKeyRef = from?.secretKeyRef as NonNullable<EnvVar["valueFrom"]>["secretKeyRef"];
    const configMapKeyRef = from?.configMapKeyRef as NonNullable<EnvVar["valueFrom"]>["configMapKeyRef"];
    if (from !== undefined && secretKeyRef === undefined && configMapKeyRef === undefined) {
      unused.push(`env ${variable.name} (${Object.keys(from).join(", ")})`);
      continue;
    }
    env.push({
      name: variable.name,
      ...(variable.value === undefined ? {} : { value: variable.value }),
      ...(from === undefined
        ? {}
        : {
            valueFrom: {
              ...(secretKeyRef === undefined ? {} : { secretKeyRef }),
              ...(configMapKeyRef === undefined ? {} : { configMapKeyRef }),
            },
          }),
    });
  }
  return env;
}

/**
 * The ProcessPool spec a workload's pods become, with the note saying what of the workload is
 * used; undefined when its first container has no `command` (the image's entrypoint cannot run
 * without the image).
 */
export function workloadPoolSpec(workload: Workload): { spec: ProcessPoolSpec; note: string } | undefined {
  // The first container runs, as a ScaledJob's jobs run theirs; the others are named as not used.
  const { podSpec, containers } = podSpecOf(workload);
  const container = containers[0];
  const argv = containerArgv(container);
  if (container === undefined || argv === undefined) return undefined;
  const unusedEnv: string[] = [];
  const env = localEnv(container, unusedEnv);
  const envFrom = (container as { envFrom?: EnvFromSource[] }).envFrom;
  const replicas = workload.spec?.replicas ?? 1;
  const spec: ProcessPoolSpec = {
    command: container.command!,
    ...(container.args === undefined ? {} : { args: container.args }),
    ...(env.length === 0 ? {} : { env }),
    ...(envFrom === undefined ? {} : { envFrom }),
    ...(container.workingDir === undefined ? {} : { cwd: container.workingDir }),
    replicas,
    terminationGracePeriodSeconds: podGraceSeconds(podSpec),
    readiness: "process",
  };
  const containerFields = Object.keys(container).filter((key) => key !== "name");
  const used = [
    ...USED_CONTAINER_FIELDS.filter((field) => containerFields.includes(field)),
    ...(podSpec["terminationGracePeriodSeconds"] === undefined ? [] : ["terminationGracePeriodSeconds"]),
  ];
  const unused = [
    ...containerFields.filter((field) => !USED_CONTAINER_FIELDS.includes(field)),
    ...unusedEnv,
    ...Object.keys(podSpec)
      .filter((field) => !USED_POD_FIELDS.includes(field) && !QUIET_POD_FIELDS.includes(field))
      .map((field) => `spec.template.spec.${field}`),
    ...containers.slice(1).map((other, index) => describe(other, index + 1)),
    ...Object.keys(workload.spec ?? {})
      .filter((field) => !QUIET_SPEC_FIELDS.includes(field))
      .map((field) => `spec.${field}`),
  ];
  const note =
    `runs as local processes under tidal run: ${describe(container, 0)} ${used.join(", ")}` +
    `; spec.replicas (${replicas}) is only the first count, the scaler decides after that` +
    (unused.length === 0 ? "" : `; not used: ${unused.join(", ")}`);
  return { spec, note };
}

/**
 * Adds to `set.processPools` a pool for every Deployment or StatefulSet of the files that a
 * ScaledObject or HTTPScaledObject scales and whose first container has a `command`. A pool keeps
 * its workload's name, so it cannot stand beside a ProcessPool (or another workload) of the same
 * name and namespace: the first one keeps the name (`tidal run` reports the clash).
 */
export function addWorkloadPools(set: ManifestSet): void {
  const targets = [
    ...set.scaledObjects.map((loaded) => ({
      ref: loaded.object.spec.scaleTargetRef as TargetRef,
      namespace: loaded.object.metadata.namespace ?? "default",
      defaultKind: "Deployment",
    })),
    ...set.httpScaledObjects.map((loaded) => {
      const namespace = loaded.object.metadata.namespace ?? "default";
      const ref = loaded.object.spec.scaleTargetRef as TargetRef;
      return { ref, namespace, defaultKind: httpTargetKind(ref, namespace, set) };
    }),
  ];
  for (const { ref, namespace, defaultKind } of targets) {
    const loaded = workloadOf(ref, namespace, set, defaultKind);
    if (loaded === undefined) continue;
    const { metadata } = loaded.object;
    if (set.processPools.some((pool) => sameObject(pool.object, metadata.name, namespace))) continue;
    const made = workloadPoolSpec(loaded.object);
    if (made === undefined) continue;
    set.processPools.push({
      file: loaded.file,
      doc: loaded.doc,
      ...(loaded.line === undefined ? {} : { line: loaded.line }),
      object: {
        apiVersion: TIDAL_API_VERSION,
        kind: "ProcessPool",
        metadata: { name: metadata.name, namespace },
        spec: made.spec,
      },
      conversionNotes: [],
      workload: { kind: loaded.object.kind, note: made.note },
    });
  }
}

/** One note per workload that runs as local processes: what runs, and what is not used. */
export interface WorkloadNote {
  file: string;
  doc: number;
  line?: number;
  kind: WorkloadKind;
  name: string;
  namespace: string;
  message: string;
}

export function workloadNotes(set: ManifestSet): WorkloadNote[] {
  return set.processPools.flatMap((pool) =>
    pool.workload === undefined
      ? []
      : [
          {
            file: pool.file,
            doc: pool.doc,
            ...(pool.line === undefined ? {} : { line: pool.line }),
            kind: pool.workload.kind,
            name: pool.object.metadata.name,
            namespace: pool.object.metadata.namespace ?? "default",
            message: pool.workload.note,
          },
        ],
  );
}
