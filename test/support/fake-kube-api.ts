import { KubeApiError, type KubeClient, type PatchType } from "../../src/runtime/kubernetes/kube-api.ts";

/**
 * An in-memory Kubernetes API for reconciler unit tests: objects live at their paths, merge
 * patches apply as RFC 7386 says, `/status` and `/scale` subresources read and write the object's
 * status and spec.replicas, apps/v1 serves discovery for Deployments and StatefulSets, lists
 * answer every object under a collection (label selectors are not evaluated), and a pod list by
 * label selector has one Running, Ready pod per replica of each matching Deployment. Every call is
 * recorded; `refuse` makes calls of a method to a path fail. The e2e tier runs against a real control plane.
 */
export class FakeKubeApi implements KubeClient {
  readonly calls: { method: string; path: string; body?: unknown }[] = [];
  readonly #objects = new Map<string, Record<string, unknown>>();
  readonly #refusals = new Map<string, KubeApiError>();
  #created = 0;

  /** Puts an object at its path (its metadata says where). */
  put(apiVersion: string, plural: string, object: Record<string, unknown>): void {
    const metadata = object.metadata as { name: string; namespace?: string };
    this.#objects.set(
      objectPath(apiVersion, plural, metadata.namespace, metadata.name),
      structuredClone(object),
    );
  }

  /** A Deployment with `replicas` (status.replicas the same) and a selector. */
  putDeployment(namespace: string, name: string, replicas: number): void {
    this.put("apps/v1", "deployments", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace, uid: `uid-${name}` },
      spec: {
        replicas,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: "main", image: "x" }] },
        },
      },
      status: { replicas },
    });
  }

  /** The object at `path` (a copy), or undefined. */
  read<T = Record<string, unknown>>(path: string): T | undefined {
    const object = this.#objects.get(path);
    return object === undefined ? undefined : (structuredClone(object) as T);
  }

  /** Objects under a collection path, e.g. `/api/v1/namespaces/ns/events`. */
  listUnder<T = Record<string, unknown>>(collection: string): T[] {
    return [...this.#objects.entries()]
      .filter(
        ([path]) => path.startsWith(`${collection}/`) && !path.slice(collection.length + 1).includes("/"),
      )
      .map(([, object]) => structuredClone(object) as T);
  }

  /** Calls of `method` to `path` fail with `status` until `allow(method, path)`. */
  refuse(method: string, path: string, status = 500, message = "refused by the test"): void {
    this.#refusals.set(`${method} ${path}`, new KubeApiError(status, "InternalError", message));
  }

  allow(method: string, path: string): void {
    this.#refusals.delete(`${method} ${path}`);
  }

  async get<T>(path: string): Promise<T> {
    return this.#call("GET", path, undefined, () => this.#pods(path) ?? this.#get(stripQuery(path))) as T;
  }

  async create<T>(path: string, body: unknown): Promise<T> {
    return this.#call("POST", path, body, () => {
      const object = structuredClone(body) as { metadata: { name?: string; generateName?: string } };
      object.metadata.name ??= `${object.metadata.generateName ?? "object-"}${++this.#created}`;
      const target = `${path}/${object.metadata.name}`;
      if (this.#objects.has(target)) throw new KubeApiError(409, "AlreadyExists", `${target} already exists`);
      this.#objects.set(target, withUid(object as Record<string, unknown>, this.#created));
      return structuredClone(object);
    }) as T;
  }

  async replace<T>(path: string, body: unknown): Promise<T> {
    return this.#call("PUT", path, body, () => {
      this.#existing(path);
      this.#objects.set(path, structuredClone(body) as Record<string, unknown>);
      return structuredClone(body);
    }) as T;
  }

  async patch<T>(path: string, body: unknown, type: PatchType = "merge"): Promise<T> {
    return this.#call("PATCH", path, body, () => {
      if (type !== "merge") throw new Error(`FakeKubeApi supports merge patches only, not ${type}`);
      const { main, subresource } = splitSubresource(path);
      const object = this.#existing(main);
      if (subresource === "scale") {
        const replicas = (body as { spec?: { replicas?: number } }).spec?.replicas;
        if (replicas !== undefined) {
          (object.spec as Record<string, unknown>).replicas = replicas;
          object.status = { ...(object.status as object), replicas };
        }
        return this.#get(path);
      }
      const patch = subresource === "status" ? { status: (body as { status: unknown }).status } : body;
      const merged = mergePatch(object, patch) as Record<string, unknown>;
      this.#objects.set(main, merged);
      return structuredClone(merged);
    }) as T;
  }

  async delete<T>(path: string): Promise<T> {
    return this.#call("DELETE", path, undefined, () => {
      const object = this.#existing(path);
      this.#objects.delete(path);
      return object;
    }) as T;
  }

  #call(method: string, path: string, body: unknown, work: () => unknown): unknown {
    this.calls.push({ method, path, ...(body === undefined ? {} : { body: structuredClone(body) }) });
    const refusal = this.#refusals.get(`${method} ${stripQuery(path)}`);
    if (refusal) throw refusal;
    return work();
  }

  /**
   * A pod list by label selector: the fake has no controllers, so each Deployment whose labels
   * match contributes status.replicas Running and Ready pods.
   */
  #pods(path: string): { items: unknown[] } | undefined {
    const match = /^\/api\/v1\/namespaces\/([^/]+)\/pods\?labelSelector=(.*)$/.exec(path);
    if (!match) return undefined;
    const [, namespace, encoded] = match as unknown as [string, string, string];
    const wanted = Object.fromEntries(
      decodeURIComponent(encoded)
        .split(",")
        .map((pair) => pair.split("=") as [string, string]),
    );
    const items = this.listUnder<{
      spec: { selector?: { matchLabels?: Record<string, string> } };
      status?: { replicas?: number };
    }>(`/apis/apps/v1/namespaces/${namespace}/deployments`).flatMap((deployment) => {
      const labels = deployment.spec.selector?.matchLabels ?? {};
      if (!Object.entries(wanted).every(([key, value]) => labels[key] === value)) return [];
      return Array.from({ length: deployment.status?.replicas ?? 0 }, () => ({
        metadata: { labels },
        status: { phase: "Running", conditions: [{ type: "Ready", status: "True" }] },
      }));
    });
    return { items };
  }

  #existing(path: string): Record<string, unknown> {
    const object = this.#objects.get(path);
    if (object === undefined) throw new KubeApiError(404, "NotFound", `${path} not found`);
    return object;
  }

  #get(path: string): unknown {
    if (path === "/apis/apps/v1") return APPS_V1_DISCOVERY;
    const { main, subresource } = splitSubresource(path);
    if (subresource === "scale") {
      const object = this.#existing(main) as {
        spec: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
        status?: { replicas?: number };
      };
      const labels = Object.entries(object.spec.selector?.matchLabels ?? {});
      return {
        spec: { replicas: object.spec.replicas ?? 0 },
        status: {
          replicas: object.status?.replicas ?? 0,
          ...(labels.length > 0
            ? { selector: labels.map(([key, value]) => `${key}=${value}`).join(",") }
            : {}),
        },
      };
    }
    const object = this.#objects.get(path);
    if (object !== undefined) return structuredClone(object);
    const items = this.listUnder(path);
    if (items.length > 0 || isCollection(path)) return { items };
    throw new KubeApiError(404, "NotFound", `${path} not found`);
  }
}

const APPS_V1_DISCOVERY = {
  resources: [
    { name: "deployments", kind: "Deployment", namespaced: true },
    { name: "deployments/scale", kind: "Scale", namespaced: true },
    { name: "statefulsets", kind: "StatefulSet", namespaced: true },
    { name: "statefulsets/scale", kind: "Scale", namespaced: true },
  ],
};

function objectPath(apiVersion: string, plural: string, namespace: string | undefined, name: string): string {
  const prefix = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
  return `${prefix}${namespace === undefined ? "" : `/namespaces/${namespace}`}/${plural}/${name}`;
}

function stripQuery(path: string): string {
  const query = path.indexOf("?");
  return query < 0 ? path : path.slice(0, query);
}

function splitSubresource(path: string): { main: string; subresource?: string } {
  const match = /^(.*\/namespaces\/[^/]+\/[^/]+\/[^/]+)\/(status|scale)$/.exec(path);
  return match ? { main: match[1] as string, subresource: match[2] as string } : { main: path };
}

/** A namespaced collection path: `/api(s)/…/namespaces/NS/PLURAL`. */
function isCollection(path: string): boolean {
  return /\/namespaces\/[^/]+\/[^/]+$/.test(path);
}

function withUid(object: Record<string, unknown>, count: number): Record<string, unknown> {
  const metadata = object.metadata as Record<string, unknown>;
  metadata.uid ??= `uid-${count}`;
  return object;
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return structuredClone(patch);
  const result: Record<string, unknown> =
    target !== null && typeof target === "object" && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
