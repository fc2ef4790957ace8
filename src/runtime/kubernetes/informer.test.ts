import { KubeConfig, ListWatch, type KubernetesObject } from "@kubernetes/client-node";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ServerTimedWatch } from "./informer.ts";

/** A loopback API server answering watches of configmaps as the test scripts them. */
async function watchServer(answer: (response: ServerResponse, count: number) => void) {
  const queries: URLSearchParams[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    queries.push(url.searchParams);
    answer(response, queries.length);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [
      {
        name: "test",
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: "test" }],
    contexts: [{ name: "test", cluster: "test", user: "test" }],
    currentContext: "test",
  });
  return { kubeConfig, queries, server };
}

describe("ServerTimedWatch", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("asks the server to end each watch after 5-10 minutes and resumes from its bookmarks", async () => {
    const { kubeConfig, queries, server } = await watchServer((response, count) => {
      response.writeHead(200, { "content-type": "application/json" });
      if (count === 1) {
        // A bookmark, then the server ends the watch as it does at timeoutSeconds.
        response.end(
          `${JSON.stringify({ type: "BOOKMARK", object: { kind: "ConfigMap", metadata: { resourceVersion: "42" } } })}\n`,
        );
      } else {
        response.write(
          `${JSON.stringify({ type: "ADDED", object: { kind: "ConfigMap", metadata: { name: "seen", namespace: "ns", resourceVersion: "43" } } })}\n`,
        );
      }
    });
    const informer = new ListWatch<KubernetesObject>(
      "/api/v1/namespaces/ns/configmaps",
      new ServerTimedWatch(kubeConfig),
      async () => ({
        apiVersion: "v1",
        kind: "ConfigMapList",
        items: [],
        metadata: { resourceVersion: "10" },
      }),
      false,
    );
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    cleanups.push(() => server.closeAllConnections());
    cleanups.push(() => informer.stop());
    const added = new Promise<KubernetesObject>((resolve) => informer.on("add", resolve));
    await informer.start();

    expect((await added).metadata?.name).toBe("seen");
    expect(queries.map((query) => query.get("resourceVersion"))).toEqual(["10", "42"]);
    for (const query of queries) {
      expect(query.get("watch")).toBe("true");
      expect(query.get("allowWatchBookmarks")).toBe("true");
      const timeoutSeconds = Number(query.get("timeoutSeconds"));
      expect(timeoutSeconds).toBeGreaterThanOrEqual(300);
      expect(timeoutSeconds).toBeLessThanOrEqual(600);
    }
  });
});
