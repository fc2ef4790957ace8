/**
 * The metrics-api source of the soak run, in a process of its own. `GET /metric/<n>` answers
 * `{"value": V}`: 0 for most objects; for the first `SOAK_OSCILLATING` ones a square wave between
 * 0 and 15 with period `SOAK_PERIOD_SECONDS` (each object shifted by its number), so their pools
 * keep scaling 0 → 2 → 0 and worker processes keep starting and stopping.
 * IPC: sends {type: "listening", port} once listening.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const oscillating = Number(process.env.SOAK_OSCILLATING ?? "10");
const periodMs = Number(process.env.SOAK_PERIOD_SECONDS ?? "120") * 1000;

const server = createServer((request, response) => {
  const index = Number(/^\/metric\/(\d+)/.exec(request.url ?? "")?.[1] ?? "-1");
  const phase = (Date.now() + index * 7_919) % periodMs;
  const value = index >= 0 && index < oscillating && phase < periodMs / 2 ? 15 : 0;
  const body = Buffer.from(`{"value":${value}}`);
  response.writeHead(200, { "content-type": "application/json", "content-length": body.length });
  response.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () =>
  process.send?.({ type: "listening", port: (server.address() as AddressInfo).port }),
);
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on("disconnect", stop);
process.on("SIGTERM", stop);
