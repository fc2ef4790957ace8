import { messageOf } from "../../util/errors.ts";
import { apiPrefix, type KubeClient } from "./kube-api.ts";

/** A scale target as KEDA records it in `status.scaleTargetGVKR`. */
export interface ResolvedResource {
  group: string;
  version: string;
  kind: string;
  resource: string;
  apiVersion: string;
}

interface ApiResourceList {
  resources: { name: string; kind: string; namespaced: boolean }[];
}

/**
 * Finds the resource (plural) of a kind through API discovery and checks it has a /scale
 * subresource. Kinds match case-insensitively, so `kind: statefulset` (as some KEDA examples
 * write it) resolves to StatefulSet. Answers are cached per apiVersion.
 */
export class Discovery {
  readonly #api: KubeClient;
  readonly #cache = new Map<string, Promise<ApiResourceList>>();

  constructor(api: KubeClient) {
    this.#api = api;
  }

  #resources(apiVersion: string): Promise<ApiResourceList> {
    let cached = this.#cache.get(apiVersion);
    if (cached === undefined) {
      cached = this.#api.get<ApiResourceList>(apiPrefix(apiVersion));
      cached.catch(() => this.#cache.delete(apiVersion));
      this.#cache.set(apiVersion, cached);
    }
    return cached;
  }

  /** The resource (plural) of a kind and whether it is namespaced. */
  async resolve(apiVersion: string, kind: string): Promise<{ resource: string; namespaced: boolean }> {
    const { main } = await this.#find(apiVersion, kind);
    return { resource: main.name, namespaced: main.namespaced };
  }

  async #find(apiVersion: string, kind: string) {
    let list: ApiResourceList;
    try {
      list = await this.#resources(apiVersion);
    } catch (error) {
      throw new Error(`apiVersion ${apiVersion} is not served by this cluster (${messageOf(error)})`, {
        cause: error,
      });
    }
    const main = list.resources.find(
      (resource) => !resource.name.includes("/") && resource.kind.toLowerCase() === kind.toLowerCase(),
    );
    if (main === undefined) throw new Error(`kind ${kind} is not served by ${apiVersion}`);
    return { list, main };
  }

  async resolveScalable(apiVersion: string, kind: string): Promise<ResolvedResource> {
    const { list, main } = await this.#find(apiVersion, kind);
    if (!list.resources.some((resource) => resource.name === `${main.name}/scale`)) {
      throw new Error(`${main.kind} (${apiVersion}) has no /scale subresource, so it cannot be scaled`);
    }
    const [group, version] = apiVersion.includes("/")
      ? (apiVersion.split("/") as [string, string])
      : ["", apiVersion];
    return { group, version, kind: main.kind, resource: main.name, apiVersion };
  }

  /** Forgets cached discovery, e.g. after a CRD was installed. */
  reset(): void {
    this.#cache.clear();
  }
}
