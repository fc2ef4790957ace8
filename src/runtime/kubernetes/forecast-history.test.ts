import { describe, expect, it } from "vitest";
import { FakeKubeApi } from "../../../test/support/fake-kube-api.ts";
import type { ForecastHistory } from "../../engine/forecast/stage.ts";
import { configMapForecastStore, forecastConfigMapName } from "./forecast-history.ts";

const PATH = "/api/v1/namespaces/shop/configmaps/tidal-forecast-orders";
const history: ForecastHistory = {
  version: 1,
  series: { "s0-redis-jobs": { stepMs: 300_000, first: 100, values: "AACAPwAAAEA=" } },
};

describe("the forecast history ConfigMap", () => {
  it("is created owned by the ScaledObject, replaced on later saves, and read back", async () => {
    const api = new FakeKubeApi();
    const store = configMapForecastStore(
      api,
      { namespace: "shop", name: "orders", uid: "uid-orders" },
      () => true,
    );
    expect(await store.load()).toBeUndefined();
    await store.save(history);
    const created = api.read<{ metadata: Record<string, unknown>; data: Record<string, string> }>(PATH);
    expect(created?.metadata).toMatchObject({
      name: "tidal-forecast-orders",
      labels: { "scaledobject.keda.sh/name": "orders", "app.kubernetes.io/managed-by": "tidal" },
      ownerReferences: [
        { apiVersion: "keda.sh/v1alpha1", kind: "ScaledObject", name: "orders", uid: "uid-orders" },
      ],
    });
    await store.save({ ...history, series: {} });
    expect(await store.load()).toEqual({ version: 1, series: {} });
    expect(api.calls.filter((call) => call.method !== "GET").map((call) => call.method)).toEqual([
      "PUT",
      "POST",
      "PUT",
    ]);
  });

  it("is written by the leader only", async () => {
    const api = new FakeKubeApi();
    await configMapForecastStore(api, { namespace: "shop", name: "orders", uid: "u" }, () => false).save(
      history,
    );
    expect(api.read(PATH)).toBeUndefined();
  });

  it("names the ConfigMap after the ScaledObject", () => {
    expect(forecastConfigMapName("orders")).toBe("tidal-forecast-orders");
    expect(forecastConfigMapName("x".repeat(300))).toHaveLength(253);
  });
});
