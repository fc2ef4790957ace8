/**
 * The operator keeps the forecast annotation's recorded history in a ConfigMap per ScaledObject,
 * `tidal-forecast-<name>`, owned by the ScaledObject (deleted with it by the garbage collector).
 * Not in the ScaledObject's status: a fortnight of five-minute steps is some 20 KB per trigger,
 * too much to send with every status patch and for `kubectl get -o yaml`, and KEDA's own CRDs
 * (which Tidal accepts unchanged) would prune a field they do not know. The ConfigMap is written
 * by the leader only, at most every ten minutes; every replica reads it when its loop starts.
 */
import { KEDA_API_VERSION, SCALED_OBJECT_LABEL } from "../../api/names.ts";
import type { ForecastHistory } from "../../engine/forecast/stage.ts";
import type { ForecastHistoryStore } from "../forecasting.ts";
import { isNotFound, resourcePath, type KubeClient } from "./kube-api.ts";

const KEY = "history.json";

/** The ConfigMap's name: `tidal-forecast-<ScaledObject name>` (within the 253 characters a name may have). */
export function forecastConfigMapName(scaledObjectName: string): string {
  return `tidal-forecast-${scaledObjectName}`.slice(0, 253);
}

interface ConfigMap {
  data?: Record<string, string>;
}

export function configMapForecastStore(
  api: KubeClient,
  owner: { namespace: string; name: string; uid: string | undefined },
  isLeader: () => boolean,
): ForecastHistoryStore {
  const name = forecastConfigMapName(owner.name);
  const path = resourcePath("v1", "configmaps", owner.namespace, name);
  return {
    async load() {
      try {
        const text = (await api.get<ConfigMap>(path)).data?.[KEY];
        return text === undefined ? undefined : (JSON.parse(text) as ForecastHistory);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    async save(history) {
      if (!isLeader()) return;
      const body = {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name,
          namespace: owner.namespace,
          labels: { [SCALED_OBJECT_LABEL]: owner.name, "app.kubernetes.io/managed-by": "tidal" },
          ...(owner.uid === undefined
            ? {}
            : {
                ownerReferences: [
                  { apiVersion: KEDA_API_VERSION, kind: "ScaledObject", name: owner.name, uid: owner.uid },
                ],
              }),
        },
        data: { [KEY]: JSON.stringify(history) },
      };
      try {
        await api.replace(path, body);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await api.create(resourcePath("v1", "configmaps", owner.namespace), body);
      }
    },
  };
}
