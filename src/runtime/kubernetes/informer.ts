import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import type { Logger } from "../../observability/logger.ts";
import { resourcePath, type KubeApi } from "./kube-api.ts";

export interface InformerSpec {
  apiVersion: string;
  plural: string;
  /** Watch one namespace; all namespaces when absent. */
  namespace?: string;
  labelSelector?: string;
  /** e.g. `metadata.name=NAME`: one object, which RBAC can grant by name. */
  fieldSelector?: string;
}

type Handler<T> = (object: T) => void;

/** The shortest server-side watch timeout; each watch gets one between this and twice this. */
const MIN_WATCH_TIMEOUT_SECONDS = 300;

/**
 * A watch the API server ends after 5–10 minutes (client-go's reflector does the same), with
 * bookmarks in between so that it resumes from a recent resourceVersion. client-node's own
 * default, a 30 s client-side inactivity timeout, ends every quiet watch twice a minute, and each
 * new watch is a new TLS connection. The client-side timeout stays as a backstop.
 */
export class ServerTimedWatch extends Watch {
  constructor(kubeConfig: KubeConfig) {
    super(kubeConfig);
    // client-node declares the field private and offers no option for it.
    (this as unknown as { requestTimeoutMs: number }).requestTimeoutMs =
      (2 * MIN_WATCH_TIMEOUT_SECONDS + 60) * 1000;
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    const timeoutSeconds = Math.round(MIN_WATCH_TIMEOUT_SECONDS * (1 + Math.random()));
    return super.watch(path, { ...queryParams, allowWatchBookmarks: true, timeoutSeconds }, callback, done);
  }
}

/**
 * A cached list+watch of one resource that survives API server restarts: client-node's ListWatch
 * stops on any error other than 410 Gone, so this restarts it with backoff (1 s doubling to 30 s)
 * and resumes from the last resourceVersion, relisting if that is too old.
 */
/** Any object with Kubernetes metadata; timestamps stay strings, as the API sends them. */
export type WatchedObject = { metadata?: { name?: string; namespace?: string } };

/** What the reconcilers read of an informer: the cached objects. */
export interface ObjectCache<T> {
  get(name: string, namespace?: string): T | undefined;
  list(namespace?: string): readonly T[];
}

export class Informer<T extends WatchedObject> implements ObjectCache<T> {
  readonly #informer: ListWatch<KubernetesObject>;
  readonly #logger: Logger;
  readonly #label: string;
  #failures = 0;
  #lastFailureAt = 0;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #synced: Promise<void>;
  #markSynced: () => void = () => {};

  constructor(kubeConfig: KubeConfig, api: KubeApi, spec: InformerSpec, logger: Logger) {
    const path = resourcePath(spec.apiVersion, spec.plural, spec.namespace);
    const parameters = new URLSearchParams();
    if (spec.labelSelector) parameters.set("labelSelector", spec.labelSelector);
    if (spec.fieldSelector) parameters.set("fieldSelector", spec.fieldSelector);
    const query = parameters.size > 0 ? `?${parameters.toString()}` : "";
    this.#label = `${spec.plural}${spec.namespace ? ` in ${spec.namespace}` : ""}`;
    this.#logger = logger;
    this.#synced = new Promise((resolve) => (this.#markSynced = resolve));
    const list = async () => {
      const result = await api.get<KubernetesListObject<KubernetesObject>>(`${path}${query}`);
      queueMicrotask(() => this.#markSynced());
      return result;
    };
    this.#informer = new ListWatch<KubernetesObject>(
      path,
      new ServerTimedWatch(kubeConfig),
      list,
      false,
      spec.labelSelector,
      spec.fieldSelector,
    );
    this.#informer.on("error", (error: unknown) => this.#restart(error));
  }

  on(verb: "add" | "update" | "delete", handler: Handler<T>): void {
    this.#informer.on(verb, handler as unknown as Handler<KubernetesObject>);
  }

  /** Starts watching; resolves after the first list has filled the cache. */
  async start(): Promise<void> {
    await this.#informer.start();
    await this.#synced;
  }

  list(namespace?: string): readonly T[] {
    return this.#informer.list(namespace) as unknown as readonly T[];
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#informer.get(name, namespace) as unknown as T | undefined;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    await this.#informer.stop();
  }

  #restart(error: unknown): void {
    if (this.#stopped) return;
    const now = Date.now();
    if (now - this.#lastFailureAt > 60_000) this.#failures = 0;
    this.#lastFailureAt = now;
    const delay = Math.min(1000 * 2 ** this.#failures, 30_000);
    this.#failures += 1;
    this.#logger.warn("watch failed; restarting", {
      resource: this.#label,
      error: error instanceof Error ? error.message : String(error),
      retryInMs: delay,
    });
    clearTimeout(this.#restartTimer);
    this.#restartTimer = setTimeout(() => {
      if (!this.#stopped) void this.#informer.start().catch((failure: unknown) => this.#restart(failure));
    }, delay);
  }
}
