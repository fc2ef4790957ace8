import { describe, expect, it } from "vitest";
import { ServiceEndpoints, type EndpointSliceObject, type ServiceObject } from "./service-endpoints.ts";

const service: ServiceObject = {
  metadata: { name: "web", namespace: "shop" },
  spec: {
    ports: [
      { name: "http", port: 80, targetPort: "http" },
      { name: "metrics", port: 9100, targetPort: 9100 },
    ],
  },
};

function slice(name: string, endpoints: [string, boolean | undefined][], port = 8080): EndpointSliceObject {
  return {
    metadata: { name, namespace: "shop", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    endpoints: endpoints.map(([address, ready]) => ({
      addresses: [address],
      ...(ready === undefined ? {} : { conditions: { ready } }),
    })),
    ports: [
      { name: "http", port, protocol: "TCP" },
      { name: "metrics", port: 9100, protocol: "TCP" },
    ],
  };
}

describe("ServiceEndpoints", () => {
  it("maps a Service port (by number or name) to the slices' port and keeps ready endpoints only", () => {
    const endpoints = new ServiceEndpoints();
    endpoints.applyService(service);
    endpoints.applySlice(
      slice("web-a", [
        ["10.0.0.1", true],
        ["10.0.0.2", false],
        ["10.0.0.3", undefined],
      ]),
    );
    endpoints.applySlice(slice("web-b", [["10.0.0.4", true]], 8081));
    expect(endpoints.ready("shop", "web", { port: 80 })).toEqual([
      { host: "10.0.0.1", port: 8080 },
      { host: "10.0.0.3", port: 8080 },
      { host: "10.0.0.4", port: 8081 },
    ]);
    expect(endpoints.ready("shop", "web", { portName: "metrics" })).toContainEqual({
      host: "10.0.0.1",
      port: 9100,
    });
    expect(endpoints.report("shop", "web", { port: 80 })).toMatchObject({
      serviceFound: true,
      servicePort: { name: "http", port: 8080 },
      slices: 2,
      notReady: [{ host: "10.0.0.2", port: 8080 }],
    });
  });

  it("follows slices as they change, and says why there is no ready endpoint", () => {
    const endpoints = new ServiceEndpoints();
    endpoints.applyService(service);
    expect(endpoints.report("shop", "web", { port: 80 }).reason).toBe(
      "Service shop/web has no EndpointSlices yet (no pods selected, or none created)",
    );
    endpoints.applySlice(slice("web-a", [["10.0.0.1", false]]));
    expect(endpoints.ready("shop", "web", { port: 80 })).toEqual([]);
    expect(endpoints.report("shop", "web", { port: 80 }).reason).toBe(
      "1 endpoint(s) of Service shop/web, none ready",
    );
    endpoints.applySlice(slice("web-a", [["10.0.0.1", true]]));
    expect(endpoints.ready("shop", "web", { port: 80 })).toEqual([{ host: "10.0.0.1", port: 8080 }]);
    endpoints.deleteSlice(slice("web-a", []));
    expect(endpoints.ready("shop", "web", { port: 80 })).toEqual([]);
    expect(endpoints.report("shop", "web", { port: 81 }).reason).toBe("Service shop/web has no port 81");
  });

  it("uses a slice's only port, or the one equal to the port asked for, before the Service is known", () => {
    const endpoints = new ServiceEndpoints();
    endpoints.applySlice({ ...slice("web-a", [["10.0.0.1", true]]), ports: [{ port: 3000 }] });
    expect(endpoints.ready("shop", "web", { port: 80 })).toEqual([{ host: "10.0.0.1", port: 3000 }]);
  });

  it("wakes waiters of a Service when it changes, and on abort", async () => {
    const endpoints = new ServiceEndpoints();
    const woken = endpoints.changed("shop", "web", new AbortController().signal);
    endpoints.applySlice(slice("web-a", [["10.0.0.1", true]]));
    await woken;
    const abort = new AbortController();
    const aborted = endpoints.changed("shop", "web", abort.signal);
    abort.abort();
    await aborted;
  });
});
