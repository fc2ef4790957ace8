import { randomBytes } from "node:crypto";
import type { Logger } from "../../observability/logger.ts";
import type { EventRecorder, ObjectRef } from "../events.ts";
import { resourcePath, type KubeClient } from "./kube-api.ts";
import { KEDA_API_VERSION } from "../../api/names.ts";

interface Involved extends ObjectRef {
  apiVersion: string;
  uid?: string;
}

/**
 * Writes core/v1 Events for Tidal's objects, as KEDA does (component `keda-operator`). Repeats of
 * the same reason and message within a few minutes bump the count of the existing Event instead
 * of creating a new one. Failures to record are logged, never thrown.
 */
export class KubeEventRecorder implements EventRecorder {
  readonly #api: KubeClient;
  readonly #logger: Logger;
  readonly #instance: string;
  readonly #uids = new Map<string, { apiVersion: string; uid?: string }>();
  readonly #recent = new Map<string, { name: string; count: number; at: number }>();

  readonly #mirror: EventRecorder | undefined;

  /**
   * `instance`: this replica's name in events' reportingInstance (the Pod's name in a cluster);
   * `mirror` also hears every event (the dashboard's in-memory log).
   */
  constructor(api: KubeClient, logger: Logger, instance: string, mirror?: EventRecorder) {
    this.#api = api;
    this.#logger = logger;
    this.#instance = instance;
    this.#mirror = mirror;
  }

  /** Remembers an object's apiVersion and uid so its events link to it. */
  track(object: Involved): void {
    this.#uids.set(`${object.kind}/${object.namespace}/${object.name}`, {
      apiVersion: object.apiVersion,
      ...(object.uid ? { uid: object.uid } : {}),
    });
  }

  record(object: ObjectRef, type: "Normal" | "Warning", reason: string, message: string): void {
    this.#mirror?.record(object, type, reason, message);
    void this.#write(object, type, reason, message).catch((error: unknown) =>
      this.#logger.warn("could not record event", {
        reason,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }

  async #write(
    object: ObjectRef,
    type: "Normal" | "Warning",
    reason: string,
    message: string,
  ): Promise<void> {
    const key = `${object.kind}/${object.namespace}/${object.name}/${reason}/${message}`;
    const now = new Date();
    const recent = this.#recent.get(key);
    const path = resourcePath("v1", "events", object.namespace);
    if (recent && now.getTime() - recent.at < 10 * 60_000) {
      recent.count += 1;
      recent.at = now.getTime();
      await this.#api.patch(`${path}/${recent.name}`, {
        count: recent.count,
        lastTimestamp: now.toISOString(),
      });
      return;
    }
    const involved = this.#uids.get(`${object.kind}/${object.namespace}/${object.name}`) ?? {
      apiVersion: KEDA_API_VERSION,
    };
    const name = `${object.name}.${randomBytes(8).toString("hex")}`;
    await this.#api.create(path, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name, namespace: object.namespace },
      involvedObject: { kind: object.kind, namespace: object.namespace, name: object.name, ...involved },
      reason,
      message,
      type,
      source: { component: "keda-operator" },
      reportingComponent: "tidal-operator",
      reportingInstance: this.#instance,
      firstTimestamp: now.toISOString(),
      lastTimestamp: now.toISOString(),
      count: 1,
    });
    this.#recent.set(key, { name, count: 1, at: now.getTime() });
    if (this.#recent.size > 5000) this.#recent.delete(this.#recent.keys().next().value as string);
  }
}
