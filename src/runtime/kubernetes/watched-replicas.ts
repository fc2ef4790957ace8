import type { Logger } from "../../observability/logger.ts";
import type { ResolvedResource } from "./discovery.ts";

/** Where a scale target may read its replica count without a request; undefined: ask /scale. */
export interface ReplicaSource {
  replicas(resource: ResolvedResource, namespace: string, name: string): number | undefined;
}

/** The kinds KEDA also reads from its watch cache instead of /scale. */
const WATCHED = new Set(["deployments", "statefulsets"]);
export type WatchedPlural = "deployments" | "statefulsets";

/** A started list+watch of one of them (the operator's Informer). */
export interface WorkloadCache {
  start(): Promise<void>;
  stop(): Promise<void>;
  get(name: string, namespace?: string): { spec?: { replicas?: number } } | undefined;
}

interface Entry {
  state: "starting" | "ready" | "off";
  cache?: WorkloadCache;
}

export interface WatchedReplicasOptions {
  /** Creates the cache of one kind; called at most once per kind, on first use. */
  open: (plural: WatchedPlural) => WorkloadCache;
  /** Whether the operator may list (and so watch) the kind; false leaves it on /scale. */
  canList: (plural: WatchedPlural) => Promise<boolean>;
  logger: Logger;
}

/**
 * The replica counts of Deployments and StatefulSets from a watch of each kind, as KEDA's operator
 * reads them from its informer cache: with thousands of ScaledObjects, a GET of /scale per poll is
 * most of the operator's settled CPU (and load on the API server). A kind is watched from the first
 * poll of a target of that kind; until its first list arrives, for objects it has not seen yet, for
 * other kinds, and when the operator may not list the kind (RBAC from before this), the target
 * reads /scale as before.
 */
export class WatchedReplicas implements ReplicaSource {
  readonly #options: WatchedReplicasOptions;
  readonly #entries = new Map<WatchedPlural, Entry>();
  #stopped = false;

  constructor(options: WatchedReplicasOptions) {
    this.#options = options;
  }

  replicas(resource: ResolvedResource, namespace: string, name: string): number | undefined {
    if (resource.group !== "apps" || !WATCHED.has(resource.resource) || this.#stopped) return undefined;
    const plural = resource.resource as WatchedPlural;
    const entry = this.#entries.get(plural) ?? this.#open(plural);
    if (entry.state !== "ready") return undefined;
    const object = entry.cache?.get(name, namespace);
    if (object === undefined) return undefined;
    // An absent spec.replicas means 1 (the API server's default), as KEDA reads it.
    return object.spec?.replicas ?? 1;
  }

  #open(plural: WatchedPlural): Entry {
    const entry: Entry = { state: "starting" };
    this.#entries.set(plural, entry);
    const { logger } = this.#options;
    void (async () => {
      if (!(await this.#options.canList(plural).catch(() => false))) {
        entry.state = "off";
        logger.info("reading replica counts through /scale: the operator may not list this kind", {
          resource: `apps/${plural}`,
        });
        return;
      }
      const cache = this.#options.open(plural);
      entry.cache = cache;
      try {
        await cache.start();
        if (this.#stopped) return;
        entry.state = "ready";
      } catch (error) {
        entry.state = "off";
        logger.warn("reading replica counts through /scale: the watch did not start", {
          resource: `apps/${plural}`,
          error: error instanceof Error ? error.message : String(error),
        });
        await cache.stop().catch(() => undefined);
      }
    })();
    return entry;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#entries.values()].map((entry) => entry.cache?.stop().catch(() => undefined)));
  }
}

interface Workload {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; uid?: string };
  spec?: { replicas?: number };
  [field: string]: unknown;
}

/**
 * Cuts a watched Deployment or StatefulSet down, in place, to what the cache needs: its name,
 * namespace, resourceVersion, uid and spec.replicas (a full object with its pod template and
 * managed fields is tens of KiB in memory). For the watch's add and update handlers, which see the
 * object the cache keeps.
 */
export function slimWorkload(object: Workload): void {
  const metadata = object.metadata ?? {};
  const slim: NonNullable<Workload["metadata"]> = {};
  for (const key of ["name", "namespace", "resourceVersion", "uid"] as const)
    if (metadata[key] !== undefined) slim[key] = metadata[key];
  const replicas = object.spec?.replicas;
  for (const key of Object.keys(object)) if (key !== "apiVersion" && key !== "kind") delete object[key];
  object.metadata = slim;
  object.spec = replicas === undefined ? {} : { replicas };
}
