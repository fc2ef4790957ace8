/**
 * The metrics-api source of the scale benchmark, in a process of its own: answers `{"value": 0}`
 * to every GET (so no trigger is ever active and no worker starts) and counts requests per second.
 * IPC: sends {port} once listening; answers {type: "counts", from, to} with the per-second counts.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const body = Buffer.from('{"value":0}');
const perSecond = new Map<number, number>();
const server = createServer((_request, response) => {
  const second = Math.floor(Date.now() / 1000);
  perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  response.writeHead(200, { "content-type": "application/json", "content-length": body.length });
  response.end(body);
});
server.listen(0, "127.0.0.1", () =>
  process.send?.({ type: "listening", port: (server.address() as AddressInfo).port }),
);

process.on("message", (message: { type: string; from: number; to: number }) => {
  if (message.type !== "counts") return;
  const counts: number[] = [];
  for (let second = Math.floor(message.from / 1000); second < Math.floor(message.to / 1000); second++) {
    counts.push(perSecond.get(second) ?? 0);
  }
  process.send?.({ type: "counts", counts });
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on("disconnect", stop);
process.on("SIGTERM", stop);
