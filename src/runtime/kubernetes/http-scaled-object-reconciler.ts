import { parseClusterObject } from "../../api/issues.ts";
import { HTTP_ADDON_API_VERSION, KEDA_API_VERSION } from "../../api/names.ts";
import {
  httpScaledObject,
  type HttpScaledObject,
  type HttpScaledObjectStatus,
} from "../../api/schema/http-scaled-object.ts";
import type { Logger } from "../../observability/logger.ts";
import { messageOf } from "../../util/errors.ts";
import { stableJson } from "../../util/stable-json.ts";
import { checkHttpScaledObject } from "../../validation/object-checks.ts";
import type { ObjectCache } from "./informer.ts";
import { isConflict, isNotFound, resourcePath, type KubeClient } from "./kube-api.ts";
import type { KubeEventRecorder } from "./kube-events.ts";

/** The add-on's annotation: route and meter, but leave the ScaledObject to the user. */
export const SKIP_SCALED_OBJECT_ANNOTATION = "httpscaledobject.keda.sh/skip-scaledobject-creation";
/** The add-on's ScaledObject polls every 15 s; its external-push trigger wakes it on demand. */
const POLLING_INTERVAL_SECONDS = 15;

/** An HTTPScaledObject as the API returns it. */
export interface RawHttpScaledObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
  };
  spec?: unknown;
  status?: HttpScaledObjectStatus;
}

interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** A ScaledObject as the API returns it, as far as this reconciler reads it. */
export interface LiveScaledObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    ownerReferences?: OwnerReference[];
    [field: string]: unknown;
  };
  spec?: unknown;
  status?: unknown;
}

/** The ScaledObject written for an HTTPScaledObject, as sent to the API (KEDA fills the defaults). */
export interface GeneratedScaledObject {
  apiVersion: string;
  kind: "ScaledObject";
  metadata: { name: string; namespace: string; ownerReferences: OwnerReference[] };
  spec: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    pollingInterval: number;
    cooldownPeriod: number;
    initialCooldownPeriod?: number;
    minReplicaCount?: number;
    maxReplicaCount?: number;
    triggers: { type: string; metadata: Record<string, string> }[];
  };
}

/** An HTTPScaledObject parsed from the API, or why it cannot be served. */
export function parseHttpScaledObject(raw: RawHttpScaledObject): HttpScaledObject | string {
  const parsed = parseClusterObject(httpScaledObject, raw, HTTP_ADDON_API_VERSION, "HTTPScaledObject");
  if ("error" in parsed) return parsed.error;
  const problems: string[] = [];
  checkHttpScaledObject(
    parsed.data,
    (path, message, severity) => {
      if (severity !== "warning") problems.push(`${path}: ${message}`);
    },
    { cluster: true },
  );
  return problems.length > 0 ? problems.join("; ") : parsed.data;
}

/**
 * The ScaledObject the HTTP add-on's operator writes for an HTTPScaledObject: the same name and
 * namespace, owned by it, the workload as target, replicas.min/max as min/maxReplicaCount,
 * scaledownPeriod as the cooldown, polling every 15 s, and one external-push trigger that asks the
 * add-on's scaler (here `tidal operator`'s, at `scalerAddress`) for the HTTPScaledObject's metric.
 */
export function scaledObjectForHttpScaledObject(
  object: HttpScaledObject,
  uid: string,
  scalerAddress: string,
): GeneratedScaledObject {
  const { metadata, spec } = object;
  const ref = spec.scaleTargetRef;
  return {
    apiVersion: KEDA_API_VERSION,
    kind: "ScaledObject",
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace ?? "default",
      ownerReferences: [
        {
          apiVersion: HTTP_ADDON_API_VERSION,
          kind: "HTTPScaledObject",
          name: metadata.name,
          uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      scaleTargetRef: {
        apiVersion: ref.apiVersion ?? "apps/v1",
        kind: ref.kind ?? "Deployment",
        name: ref.name,
      },
      pollingInterval: POLLING_INTERVAL_SECONDS,
      cooldownPeriod: spec.scaledownPeriod,
      ...(spec.initialCooldownPeriod === undefined
        ? {}
        : { initialCooldownPeriod: spec.initialCooldownPeriod }),
      ...(spec.replicas?.min === undefined ? {} : { minReplicaCount: spec.replicas.min }),
      ...(spec.replicas?.max === undefined ? {} : { maxReplicaCount: spec.replicas.max }),
      triggers: [
        {
          type: "external-push",
          metadata: { scalerAddress, httpScaledObject: metadata.name },
        },
      ],
    },
  };
}

/** What the status says the HTTPScaledObject points at. */
function targetsOf(
  object: HttpScaledObject,
): Pick<HttpScaledObjectStatus, "targetWorkload" | "targetService"> {
  const ref = object.spec.scaleTargetRef;
  return {
    targetWorkload: `${ref.apiVersion ?? "apps/v1"}/${ref.kind ?? "Deployment"}/${ref.name}`,
    targetService: `${ref.service ?? ""}:${ref.port ?? ref.portName ?? ""}`,
  };
}

export interface HttpScaledObjectReconcilerOptions {
  api: KubeClient;
  informer: ObjectCache<RawHttpScaledObject>;
  /** The operator's ScaledObjects, to compare the generated one with what is there. */
  scaledObjects: ObjectCache<LiveScaledObject>;
  events: KubeEventRecorder;
  logger: Logger;
  /** host:port of the HTTP scaler's gRPC server, written into each generated trigger. */
  scalerAddress: string;
  isLeader: () => boolean;
  now?: () => number;
}

/**
 * Reconciles HTTPScaledObjects as the HTTP add-on's operator does: each gets the ScaledObject the
 * add-on would create (kept in step with the HTTPScaledObject, removed when the skip annotation is
 * set; deleted with it by the garbage collector through the owner reference), and a status naming
 * its workload and Service with a Ready condition. Scaling itself is then the ScaledObject's: the
 * operator moves the workload between 0 and 1, the HPA between 1 and N. Only the leader writes.
 */
export class HttpScaledObjectReconciler {
  readonly #options: HttpScaledObjectReconcilerOptions;
  readonly #now: () => number;

  constructor(options: HttpScaledObjectReconcilerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  async reconcile(key: string): Promise<void> {
    if (!this.#options.isLeader()) return;
    const [namespace, name] = key.split("/") as [string, string];
    const raw = this.#options.informer.get(name, namespace);
    // Deleted: the garbage collector deletes the ScaledObject it owns.
    if (raw === undefined || raw.metadata.deletionTimestamp) return;
    this.#options.events.track({
      kind: "HTTPScaledObject",
      namespace,
      name,
      apiVersion: HTTP_ADDON_API_VERSION,
      ...(raw.metadata.uid ? { uid: raw.metadata.uid } : {}),
    });
    const object = parseHttpScaledObject(raw);
    if (typeof object === "string") {
      await this.#setStatus(raw, undefined, { ok: false, message: object });
      return;
    }
    try {
      if (object.metadata.annotations?.[SKIP_SCALED_OBJECT_ANNOTATION] === "true")
        await this.#removeScaledObject(raw);
      else await this.#ensureScaledObject(raw, object);
    } catch (error) {
      await this.#setStatus(raw, object, { ok: false, message: messageOf(error) });
      throw error;
    }
    await this.#setStatus(raw, object, { ok: true });
  }

  async #ensureScaledObject(raw: RawHttpScaledObject, object: HttpScaledObject): Promise<void> {
    const namespace = raw.metadata.namespace ?? "default";
    const desired = scaledObjectForHttpScaledObject(
      object,
      raw.metadata.uid ?? "",
      this.#options.scalerAddress,
    );
    const live = this.#options.scaledObjects.get(raw.metadata.name, namespace);
    const collection = resourcePath(KEDA_API_VERSION, "scaledobjects", namespace);
    if (live === undefined) {
      try {
        await this.#options.api.create(collection, desired);
      } catch (error) {
        // Created meanwhile (the cache lags behind): the next reconcile compares it.
        if (!isConflict(error)) throw error;
      }
      this.#options.events.record(
        { kind: "HTTPScaledObject", namespace, name: raw.metadata.name },
        "Normal",
        "AppScaledObjectCreated",
        `ScaledObject ${raw.metadata.name} created`,
      );
      return;
    }
    if (!ownedBy(live, raw.metadata.uid)) {
      throw new Error(
        `ScaledObject ${namespace}/${raw.metadata.name} exists and belongs to something else: delete it, or set ${SKIP_SCALED_OBJECT_ANNOTATION}: "true" to keep your own`,
      );
    }
    if (stableJson(live.spec) === stableJson(desired.spec)) return;
    await this.#options.api.replace(`${collection}/${encodeURIComponent(raw.metadata.name)}`, {
      ...live,
      metadata: { ...live.metadata, ownerReferences: desired.metadata.ownerReferences },
      spec: desired.spec,
    });
  }

  async #removeScaledObject(raw: RawHttpScaledObject): Promise<void> {
    const namespace = raw.metadata.namespace ?? "default";
    const live = this.#options.scaledObjects.get(raw.metadata.name, namespace);
    if (live === undefined || !ownedBy(live, raw.metadata.uid)) return;
    try {
      await this.#options.api.delete(
        resourcePath(KEDA_API_VERSION, "scaledobjects", namespace, raw.metadata.name),
      );
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  /** Writes targetWorkload, targetService and the Ready condition when they change. */
  async #setStatus(
    raw: RawHttpScaledObject,
    object: HttpScaledObject | undefined,
    outcome: { ok: true } | { ok: false; message: string },
  ): Promise<void> {
    const namespace = raw.metadata.namespace ?? "default";
    const previous = raw.status?.conditions?.find((condition) => condition.type === "Ready");
    const ready = outcome.ok
      ? {
          type: "Ready",
          status: "True" as const,
          reason: "HTTPScaledObjectIsReady",
          message: "Finished object creation",
        }
      : {
          type: "Ready",
          status: "False" as const,
          reason: "ErrorCreatingAppScaledObject",
          message: outcome.message,
        };
    const targets = object ? targetsOf(object) : {};
    const unchanged =
      previous?.status === ready.status &&
      previous.reason === ready.reason &&
      previous.message === ready.message &&
      previous.observedGeneration === raw.metadata.generation &&
      raw.status?.targetWorkload === targets.targetWorkload &&
      raw.status?.targetService === targets.targetService;
    if (unchanged) return;
    const condition = {
      ...ready,
      lastTransitionTime:
        previous?.status === ready.status && previous.lastTransitionTime
          ? previous.lastTransitionTime
          : new Date(this.#now()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      ...(raw.metadata.generation === undefined ? {} : { observedGeneration: raw.metadata.generation }),
    };
    const others = (raw.status?.conditions ?? []).filter((existing) => existing.type !== "Ready");
    await this.#options.api.patch(
      resourcePath(HTTP_ADDON_API_VERSION, "httpscaledobjects", namespace, raw.metadata.name, "status"),
      { status: { ...targets, conditions: [condition, ...others] } },
    );
    if (!outcome.ok && previous?.message !== outcome.message) {
      this.#options.events.record(
        { kind: "HTTPScaledObject", namespace, name: raw.metadata.name },
        "Warning",
        "ErrorCreatingAppScaledObject",
        outcome.message,
      );
    }
  }
}

function ownedBy(live: LiveScaledObject, uid: string | undefined): boolean {
  return (
    live.metadata.ownerReferences?.some((owner) => owner.kind === "HTTPScaledObject" && owner.uid === uid) ??
    false
  );
}

/** The HTTPScaledObject a ScaledObject belongs to (`namespace/name`), if any. */
export function owningHttpScaledObject(live: LiveScaledObject): string | undefined {
  const owner = live.metadata.ownerReferences?.find(
    (reference) => reference.kind === "HTTPScaledObject" && reference.apiVersion.startsWith("http.keda.sh/"),
  );
  return owner ? `${live.metadata.namespace ?? "default"}/${owner.name}` : undefined;
}
