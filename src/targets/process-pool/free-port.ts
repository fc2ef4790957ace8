import { createServer } from "node:net";

/** A TCP port on 127.0.0.1 that is free right now: the kernel's pick for a listener on port 0, closed again. */
export function allocateFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("listener on port 0 reported no port"));
      });
    });
  });
}
