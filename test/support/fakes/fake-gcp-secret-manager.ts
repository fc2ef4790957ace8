/**
 * fake-gcp-secret-manager: a loopback fake of Secret Manager's documented REST API (v1), as the
 * Node client library speaks it with `fallback: true`:
 *
 *   GET /v1/projects/{project}/secrets/{secret}/versions/{version}:access
 *       → { name, payload: { data: base64, dataCrc32c: "…" } }
 *
 * `latest` is the newest enabled version. A missing secret or version is Google's 404 NOT_FOUND,
 * a request without a token the shared FakeGoogleTokens accepts is 401 UNAUTHENTICATED.
 */
import type { ServerResponse } from "node:http";
import { crc32c } from "../../../src/util/crc32c.ts";
import { sendGoogleError, sendJson, type FakeGoogleTokens, type Principal } from "./google-auth.ts";
import { serveLoopback, type LoopbackRequest, type LoopbackServer } from "./loopback.ts";

export interface FakeSecretVersion {
  data: string;
  enabled?: boolean;
  /** Answer with a wrong checksum (to test the client's integrity check). */
  corruptChecksum?: boolean;
}

export interface FakeGcpSecretManager extends Omit<LoopbackServer, "requests"> {
  /** Adds a version (numbered 1, 2, …) of `secret` in `project`; returns its number. */
  addVersion(project: string, secret: string, version: FakeSecretVersion): number;
  requests: { path: string; principal: Principal | undefined }[];
}

export async function startFakeGcpSecretManager(tokens: FakeGoogleTokens): Promise<FakeGcpSecretManager> {
  const secrets = new Map<string, FakeSecretVersion[]>();
  const requests: FakeGcpSecretManager["requests"] = [];

  function handle(request: LoopbackRequest, response: ServerResponse) {
    const checked = tokens.check(request.headers.authorization);
    requests.push({ path: request.path, principal: "rejected" in checked ? undefined : checked });
    if ("rejected" in checked) {
      sendGoogleError(
        response,
        401,
        "UNAUTHENTICATED",
        `Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. (${checked.rejected})`,
      );
      return;
    }
    const match = /^\/v1\/projects\/([^/]+)\/secrets\/([^/]+)\/versions\/([^/:]+):access$/.exec(request.path);
    if (!match || request.method !== "GET") {
      sendGoogleError(response, 404, "NOT_FOUND", `the fake serves no ${request.method} ${request.path}`);
      return;
    }
    const [, project, secret, version] = match.map((part) => decodeURIComponent(part)) as [
      string,
      string,
      string,
      string,
    ];
    const versions = secrets.get(`${project}/${secret}`) ?? [];
    const number =
      version === "latest"
        ? versions.reduce((newest, entry, index) => (entry.enabled === false ? newest : index + 1), 0)
        : /^\d+$/.test(version)
          ? Number(version)
          : 0;
    const found = versions[number - 1];
    if (versions.length === 0) {
      sendGoogleError(
        response,
        404,
        "NOT_FOUND",
        `Secret [projects/${project}/secrets/${secret}] not found or has no versions.`,
      );
      return;
    }
    if (found === undefined || found.enabled === false) {
      sendGoogleError(
        response,
        404,
        "NOT_FOUND",
        `Secret Version [projects/${project}/secrets/${secret}/versions/${version}] not found.`,
      );
      return;
    }
    const data = Buffer.from(found.data, "utf8");
    const checksum = (crc32c(data) + (found.corruptChecksum ? 1 : 0)) >>> 0;
    sendJson(response, {
      name: `projects/${project}/secrets/${secret}/versions/${number}`,
      payload: { data: data.toString("base64"), dataCrc32c: String(checksum) },
    });
  }

  const server = await serveLoopback(handle);
  return {
    ...server,
    requests,
    addVersion(project, secret, version) {
      const key = `${project}/${secret}`;
      const versions = secrets.get(key) ?? [];
      versions.push(version);
      secrets.set(key, versions);
      return versions.length;
    },
  };
}
