import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import type { Cleanup } from "../../support/isolation.ts";

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RecordedRequest {
  url: URL;
  headers: IncomingMessage["headers"];
}

/**
 * A real HTTP server on 127.0.0.1:<random port> for the test, closed by the cleanup. Every request
 * is recorded, then answered by `handle`.
 */
export async function startHttpServer(
  cleanup: Cleanup,
  handle: (request: RecordedRequest, response: ServerResponse) => void | Promise<void>,
): Promise<{ baseUrl: string; requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const server = createHttpServer((request, response) => {
    const recorded = { url: new URL(request.url ?? "/", "http://127.0.0.1"), headers: request.headers };
    requests.push(recorded);
    Promise.resolve(handle(recorded, response)).catch((error: unknown) => {
      response.writeHead(599).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, requests };
}
