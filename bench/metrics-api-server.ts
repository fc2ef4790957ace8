/**
 * The system under test of the metrics API benchmark, in a process of its own: Tidal's external
 * metrics server (HTTPS, self-signed certificate, no client authentication) answering from an
 * in-memory table of `objects` ScaledObjects, as the operator answers from its last readings.
 * Beside it, on `floorPort`, a bare Node HTTPS server with the same certificate answers a constant
 * body: the floor of this machine, client and TLS included.
 * Sends {port, floorPort} over IPC once listening; stops on disconnect or SIGTERM.
 */
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import {
  createExternalMetricsServer,
  selfSignedServingCert,
  type LookupResult,
} from "../src/runtime/metrics-api/index.ts";

const objects = Number(process.argv[2] ?? 1000);
const values = new Map<string, number>();
for (let index = 0; index < objects; index++) values.set(`default/so-${index}/s0-redis-jobs`, index % 17);
const timestamp = new Date();

const tls = await selfSignedServingCert();
const server = createExternalMetricsServer({
  tls,
  clientAuth: "none",
  lookup: ({ namespace, scaledObjectName, metricName }): LookupResult => {
    const value = values.get(`${namespace}/${scaledObjectName}/${metricName}`);
    if (value === undefined)
      return { error: { status: 404, message: `no metric ${metricName} for ${scaledObjectName}` } };
    return { items: [{ value, timestamp }] };
  },
});
const { port } = await server.listen(0, "127.0.0.1");
const body = Buffer.from(
  JSON.stringify({
    kind: "ExternalMetricValueList",
    apiVersion: "external.metrics.k8s.io/v1beta1",
    metadata: {},
    items: [],
  }),
);
const floor = createServer({ ...tls, keepAliveTimeout: 95_000 }, (_request, response) => {
  response.writeHead(200, { "content-type": "application/json", "content-length": body.length });
  response.end(body);
});
await new Promise<void>((resolve) => floor.listen(0, "127.0.0.1", resolve));
process.send?.({ type: "listening", port, floorPort: (floor.address() as AddressInfo).port });

const stop = () => {
  floor.closeAllConnections();
  floor.close();
  void server.close(1000).then(() => process.exit(0));
};
process.on("disconnect", stop);
process.on("SIGTERM", stop);
