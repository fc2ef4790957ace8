/**
 * fake-gcp-metadata: a loopback fake of the GCE/GKE metadata server's documented HTTP API, which
 * Application Default Credentials use for a workload's identity (Tidal's podIdentity provider gcp).
 * The client libraries find it through GCE_METADATA_HOST. Every request must carry
 * `Metadata-Flavor: Google`, and every answer does.
 *
 *   GET /computeMetadata/v1/instance                                    (the libraries' presence check)
 *   GET /computeMetadata/v1/instance/service-accounts/default/token    → { access_token, expires_in, token_type }
 *   GET /computeMetadata/v1/instance/service-accounts/default/email
 *   GET /computeMetadata/v1/project/project-id
 *   GET /computeMetadata/v1/universe/universe-domain
 *
 * The access tokens come from the shared FakeGoogleTokens, so the other fakes accept them.
 */
import type { ServerResponse } from "node:http";
import type { FakeGoogleTokens } from "./google-auth.ts";
import { serveLoopback, type LoopbackRequest, type LoopbackServer } from "./loopback.ts";

export interface FakeGcpMetadata extends Omit<LoopbackServer, "requests"> {
  /** Paths asked for, e.g. /computeMetadata/v1/project/project-id */
  requests: string[];
  /** Tokens handed out, newest last. */
  tokens: string[];
}

export async function startFakeGcpMetadata(
  issuer: FakeGoogleTokens,
  workload: { projectId: string; email: string },
): Promise<FakeGcpMetadata> {
  const requests: string[] = [];
  const tokens: string[] = [];

  function answer(response: ServerResponse, status: number, body: string, type = "application/text") {
    response.writeHead(status, { "metadata-flavor": "Google", "content-type": type }).end(body);
  }

  function handle(request: LoopbackRequest, response: ServerResponse) {
    requests.push(request.path);
    if (request.headers["metadata-flavor"] !== "Google") {
      answer(response, 403, "Missing Metadata-Flavor:Google header.");
      return;
    }
    switch (request.path.replace(/\/$/, "")) {
      case "/computeMetadata/v1/instance":
        return answer(response, 200, "attributes/\nhostname\nid\nservice-accounts/\nzone\n");
      case "/computeMetadata/v1/instance/service-accounts/default/token": {
        const token = issuer.issue();
        tokens.push(token);
        return answer(
          response,
          200,
          JSON.stringify({ access_token: token, expires_in: 3599, token_type: "Bearer" }),
          "application/json",
        );
      }
      case "/computeMetadata/v1/instance/service-accounts/default/email":
        return answer(response, 200, workload.email);
      case "/computeMetadata/v1/project/project-id":
        return answer(response, 200, workload.projectId);
      case "/computeMetadata/v1/universe/universe-domain":
        return answer(response, 200, "googleapis.com");
      default:
        return answer(response, 404, "Not Found", "text/html");
    }
  }

  const server = await serveLoopback(handle);
  return { ...server, requests, tokens };
}
