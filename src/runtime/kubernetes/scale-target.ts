import type { ScaleTarget } from "../../targets/types.ts";
import type { ResolvedResource } from "./discovery.ts";
import { resourcePath, type KubeClient } from "./kube-api.ts";
import type { ReplicaSource } from "./watched-replicas.ts";

interface Scale {
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

interface PodList {
  items: {
    status?: { phase?: string; conditions?: { type: string; status: string }[] };
    metadata?: { deletionTimestamp?: string };
  }[];
}

/** A Kubernetes workload scaled through its /scale subresource (Deployment, StatefulSet, any scalable CR). */
export class KubernetesScaleTarget implements ScaleTarget {
  readonly #api: KubeClient;
  readonly #resource: ResolvedResource;
  readonly #namespace: string;
  readonly #name: string;
  readonly #replicaSource: ReplicaSource | undefined;

  /** `replicaSource`: a watch cache that answers getReplicas without a request where it can. */
  constructor(
    api: KubeClient,
    resource: ResolvedResource,
    namespace: string,
    name: string,
    replicaSource?: ReplicaSource,
  ) {
    this.#api = api;
    this.#resource = resource;
    this.#namespace = namespace;
    this.#name = name;
    this.#replicaSource = replicaSource;
  }

  #path(): string {
    return resourcePath(
      this.#resource.apiVersion,
      this.#resource.resource,
      this.#namespace,
      this.#name,
      "scale",
    );
  }

  async getReplicas(): Promise<number> {
    const watched = this.#replicaSource?.replicas(this.#resource, this.#namespace, this.#name);
    if (watched !== undefined) return watched;
    const scale = await this.#api.get<Scale>(this.#path());
    return scale.spec?.replicas ?? 0;
  }

  async setReplicas(replicas: number): Promise<void> {
    await this.#api.patch(this.#path(), { spec: { replicas } });
  }

  /** status.replicas of the scale, and the Running and Ready pods its selector matches. */
  async observedReplicas(): Promise<{ existing: number; ready: number }> {
    const scale = await this.#api.get<Scale>(this.#path());
    const existing = scale.status?.replicas ?? 0;
    if (!scale.status?.selector) return { existing, ready: existing };
    const pods = await this.#api.get<PodList>(
      `${resourcePath("v1", "pods", this.#namespace)}?labelSelector=${encodeURIComponent(scale.status.selector)}`,
    );
    const ready = pods.items.filter(
      (pod) =>
        pod.metadata?.deletionTimestamp === undefined &&
        pod.status?.phase === "Running" &&
        pod.status.conditions?.some((condition) => condition.type === "Ready" && condition.status === "True"),
    ).length;
    return { existing, ready };
  }
}
