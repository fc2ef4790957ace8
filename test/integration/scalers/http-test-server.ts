import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
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
  /** Over HTTPS: the common name of the client certificate the server accepted, if one was sent. */
  clientCertificate?: string | undefined;
}

/** HTTPS instead of HTTP; with `ca`, client certificates signed by it are asked for (and required with `requireClientCertificate`). */
export interface TestServerTls {
  cert: string;
  key: string;
  ca?: string;
  requireClientCertificate?: boolean;
}

/**
 * A real HTTP server on 127.0.0.1:<random port> for the test, closed by the cleanup. Every request
 * is recorded, then answered by `handle`.
 */
export async function startHttpServer(
  cleanup: Cleanup,
  handle: (request: RecordedRequest, response: ServerResponse) => void | Promise<void>,
  tls?: TestServerTls,
): Promise<{ baseUrl: string; requests: RecordedRequest[] }> {
  const requests: RecordedRequest[] = [];
  const listener = (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket as TLSSocket;
    const peer = tls && socket.authorized ? socket.getPeerCertificate() : undefined;
    const recorded: RecordedRequest = {
      url: new URL(request.url ?? "/", "http://127.0.0.1"),
      headers: request.headers,
      clientCertificate: peer?.subject?.CN as string | undefined,
    };
    requests.push(recorded);
    Promise.resolve(handle(recorded, response)).catch((error: unknown) => {
      response.writeHead(599).end(String(error));
    });
  };
  const server = tls
    ? createHttpsServer(
        {
          cert: tls.cert,
          key: tls.key,
          ...(tls.ca
            ? { ca: tls.ca, requestCert: true, rejectUnauthorized: tls.requireClientCertificate ?? false }
            : {}),
        },
        listener,
      )
    : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanup.add(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `${tls ? "https" : "http"}://127.0.0.1:${port}`, requests };
}
