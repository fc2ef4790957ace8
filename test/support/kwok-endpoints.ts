import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { kubectl, kubectlJson } from "./kube.ts";

interface PodList {
  items: {
    metadata: { name: string; uid: string; deletionTimestamp?: string };
    status?: { conditions?: { type: string; status: string }[] };
  }[];
}

/**
 * Real endpoints for kwok pods, which run no process: every Ready pod of a selector gets a local
 * HTTP server answering with the pod's name, published as an EndpointSlice of the Service (one
 * slice per pod, since each server has its own port). Pods that go away lose their slice and
 * server. The Service must have no selector, so the EndpointSlice controller leaves it alone.
 * The API refuses loopback addresses in EndpointSlices, so the servers listen on this machine's
 * first non-loopback IPv4 address (on a random port, for the test's duration).
 */
export class KwokEndpoints {
  readonly #servers = new Map<string, { server: Server; port: number }>();
  readonly #requests: { pod: string; method: string; url: string; host: string }[] = [];
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #syncing: Promise<void> = Promise.resolve();
  #gate = Promise.withResolvers<void>();
  /** The last error of a sync, for a test's failure message. */
  lastError: unknown;
  readonly address = hostAddress();

  readonly namespace: string;
  readonly service: string;
  readonly selector: string;
  readonly portName: string;

  constructor(namespace: string, service: string, selector: string, portName = "http") {
    this.namespace = namespace;
    this.service = service;
    this.selector = selector;
    this.portName = portName;
  }

  /** Requests the pods' servers received, oldest first. */
  get requests(): readonly { pod: string; method: string; url: string; host: string }[] {
    return this.#requests;
  }

  /** Answers the requests held under /slow, and the later ones at once until `closeGate`. */
  openGate(): void {
    this.#gate.resolve();
  }

  closeGate(): void {
    this.#gate = Promise.withResolvers<void>();
  }

  start(intervalMs = 250): void {
    const tick = () => {
      if (this.#stopped) return;
      this.#syncing = this.#sync()
        .catch((error: unknown) => void (this.lastError = error))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(tick, intervalMs);
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#gate.resolve();
    clearTimeout(this.#timer);
    await this.#syncing;
    for (const { server } of this.#servers.values()) {
      server.closeAllConnections();
      server.close();
    }
    this.#servers.clear();
  }

  async #sync(): Promise<void> {
    const pods = await kubectlJson<PodList>(["-n", this.namespace, "get", "pods", "-l", this.selector]);
    const ready = new Set(
      pods.items
        .filter(
          (pod) =>
            pod.metadata.deletionTimestamp === undefined &&
            pod.status?.conditions?.some(
              (condition) => condition.type === "Ready" && condition.status === "True",
            ),
        )
        .map((pod) => pod.metadata.name),
    );
    for (const pod of ready) {
      if (this.#servers.has(pod)) continue;
      const server = createServer((request, response) => {
        this.#requests.push({
          pod,
          method: request.method ?? "",
          url: request.url ?? "",
          host: request.headers.host ?? "",
        });
        // Requests under /slow stay in flight until the test opens the gate.
        const gate = request.url?.startsWith("/slow") ? this.#gate.promise : undefined;
        void Promise.resolve(gate).then(() =>
          response.writeHead(200, { "content-type": "text/plain" }).end(`hello from ${pod}\n`),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, this.address, resolve));
      const port = (server.address() as AddressInfo).port;
      this.#servers.set(pod, { server, port });
      await kubectl(
        ["-n", this.namespace, "apply", "-f", "-"],
        JSON.stringify({
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: {
            name: `${this.service}-${pod}`.slice(0, 63),
            labels: {
              "kubernetes.io/service-name": this.service,
              "endpointslice.kubernetes.io/managed-by": "e2e.tidal.dev",
            },
          },
          addressType: "IPv4",
          ports: [{ name: this.portName, port, protocol: "TCP" }],
          endpoints: [
            {
              addresses: [this.address],
              conditions: { ready: true },
              targetRef: { kind: "Pod", name: pod, namespace: this.namespace },
            },
          ],
        }),
      );
    }
    for (const [pod, { server }] of this.#servers) {
      if (ready.has(pod)) continue;
      this.#servers.delete(pod);
      await kubectl([
        "-n",
        this.namespace,
        "delete",
        "endpointslice",
        `${this.service}-${pod}`.slice(0, 63),
        "--ignore-not-found",
      ]);
      server.closeAllConnections();
      server.close();
    }
  }
}

function hostAddress(): string {
  for (const addresses of Object.values(networkInterfaces())) {
    const found = addresses?.find((address) => address.family === "IPv4" && !address.internal);
    if (found) return found.address;
  }
  throw new Error("KwokEndpoints needs a non-loopback IPv4 address on this machine");
}
