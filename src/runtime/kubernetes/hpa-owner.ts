import type { ScaledObject } from "../../api/schema/scaled-object.ts";
import { hpaName } from "../../engine/hpa-model.ts";
import type { TriggerMetricSpec } from "../../engine/types.ts";
import type { ResourceMetric } from "../../scalers/prepared-trigger.ts";
import type { ResolvedResource } from "./discovery.ts";
import { desiredHpa, hpaUpToDate, type HorizontalPodAutoscaler } from "./hpa.ts";
import { isNotFound, resourcePath, type KubeClient } from "./kube-api.ts";

const TRANSFER_HPA_ANNOTATION = "scaledobject.keda.sh/transfer-hpa-ownership";

export interface HpaSubject {
  object: ScaledObject;
  uid: string | undefined;
  /** status.hpaName: the name the HPA had, to delete it after a rename. */
  previousName: string | undefined;
  direct: boolean;
  specs: readonly TriggerMetricSpec[];
  resources: readonly ResourceMetric[];
  target: ResolvedResource;
}

/**
 * Creates, updates and deletes the HPA a ScaledObject owns, as KEDA does: a rename deletes the old
 * HPA, direct mode has none, an HPA owned by something else is adopted only when the ScaledObject
 * says `scaledobject.keda.sh/transfer-hpa-ownership: "true"`.
 */
export class HpaOwner {
  readonly #api: KubeClient;
  readonly #version: string;

  constructor(api: KubeClient, version: string) {
    this.#api = api;
    this.#version = version;
  }

  async ensure(subject: HpaSubject): Promise<void> {
    const { object, uid } = subject;
    const namespace = object.metadata.namespace ?? "default";
    const name = hpaName(object);
    if (subject.previousName && subject.previousName !== name)
      await this.delete(namespace, subject.previousName, uid);
    if (subject.direct) {
      await this.delete(namespace, name, uid);
      return;
    }
    const desired = desiredHpa(
      { ...object, metadata: { ...object.metadata, uid } },
      subject.specs,
      subject.target,
      this.#version,
      subject.resources,
    );
    const path = resourcePath("autoscaling/v2", "horizontalpodautoscalers", namespace, name);
    const live = await this.#read(path);
    if (live === undefined) {
      await this.#api.create(resourcePath("autoscaling/v2", "horizontalpodautoscalers", namespace), desired);
      return;
    }
    const ownedByUs = live.metadata.ownerReferences?.some((owner) => owner.uid === uid);
    if (!ownedByUs && object.metadata.annotations?.[TRANSFER_HPA_ANNOTATION] !== "true") {
      throw new Error(
        `HPA "${name}" already exists and is not owned by this ScaledObject; delete it or set the ${TRANSFER_HPA_ANNOTATION} annotation`,
      );
    }
    if (ownedByUs && hpaUpToDate(live, desired)) return;
    await this.#api.replace(path, {
      ...desired,
      metadata: { ...desired.metadata, resourceVersion: live.metadata.resourceVersion },
    });
  }

  /** Deletes the HPA if this ScaledObject (by uid) owns it. */
  async delete(namespace: string, name: string, ownerUid: string | undefined): Promise<void> {
    const path = resourcePath("autoscaling/v2", "horizontalpodautoscalers", namespace, name);
    const live = await this.#read(path);
    if (!live?.metadata.ownerReferences?.some((owner) => owner.uid === ownerUid)) return;
    try {
      await this.#api.delete(path);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async #read(path: string): Promise<HorizontalPodAutoscaler | undefined> {
    try {
      return await this.#api.get<HorizontalPodAutoscaler>(path);
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}
