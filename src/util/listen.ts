import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Starts `server` on host:port (0 picks a free port) and returns the port it listens on. */
export async function listen(server: Server, port: number, host = "127.0.0.1"): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
