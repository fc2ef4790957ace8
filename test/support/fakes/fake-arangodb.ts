/**
 * fake-arangodb: a loopback fake of the part of ArangoDB's documented HTTP API the arangodb scaler
 * (like KEDA's go-driver) calls: `GET /_db/{db}/_api/database/current`, `GET
 * /_db/{db}/_api/collection/{name}` and `POST /_db/{db}/_api/cursor` with `{query, count}` (201 with
 * `result`, `count` and `hasMore`). Requests authenticate with Basic credentials or a superuser JWT
 * (`bearer <HS256 token>` with `iss: arangodb`, signed with the server's JWT secret). Errors are
 * ArangoDB's `{"error":true,"code":…,"errorNum":…,"errorMessage":…}`: 401 (errorNum 11), 404
 * database not found (1228), collection or view not found (1203), 400 for a query it does not know
 * (AQL syntax error, 1501).
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { ServerResponse } from "node:http";
import { basicCredentials, LoopbackFake, type LoopbackRequest, sendJson } from "./loopback.ts";

function arangoError(response: ServerResponse, code: number, errorNum: number, errorMessage: string): void {
  sendJson(response, code, { error: true, code, errorNum, errorMessage });
}

export class FakeArangoDb extends LoopbackFake {
  readonly users = new Map<string, string>();
  /** The server's JWT secret (--server.jwt-secret); superuser tokens must be signed with it. */
  jwtSecret: string | undefined;
  /** Database → collection → nothing (only existence matters). */
  readonly databases = new Map<string, Set<string>>();
  /** AQL query → the documents it returns. */
  readonly queries = new Map<string, unknown[]>();
  static start(options: { tls?: boolean } = {}): Promise<FakeArangoDb> {
    return new FakeArangoDb().listen(options);
  }

  #authenticated(request: LoopbackRequest): boolean {
    const header = request.headers.authorization ?? "";
    const bearer = /^bearer\s+([\w-]+)\.([\w-]+)\.([\w-]+)$/i.exec(header);
    if (bearer) {
      if (!this.jwtSecret) return false;
      const [, head = "", payload = "", signature = ""] = bearer;
      const expected = createHmac("sha256", this.jwtSecret).update(`${head}.${payload}`).digest();
      const given = Buffer.from(signature, "base64url");
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
      const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as {
        iss?: string;
        server_id?: string;
      };
      return claims.iss === "arangodb" && typeof claims.server_id === "string" && claims.server_id !== "";
    }
    const basic = basicCredentials(request.headers);
    return basic !== undefined && this.users.get(basic.username) === basic.password;
  }

  handle(request: LoopbackRequest, response: ServerResponse): void {
    if (!this.#authenticated(request)) {
      arangoError(response, 401, 11, "not authorized to execute this request");
      return;
    }
    const match = /^\/_db\/([^/]+)\/_api\/(database\/current|collection\/([^/]+)|cursor)$/.exec(request.path);
    if (!match) {
      arangoError(response, 404, 404, "unknown path");
      return;
    }
    const name = decodeURIComponent(match[1] ?? "");
    const collections = this.databases.get(name);
    if (!collections) {
      arangoError(response, 404, 1228, "database not found");
      return;
    }
    if (match[2] === "database/current" && request.method === "GET") {
      sendJson(response, 200, {
        error: false,
        code: 200,
        result: {
          name,
          id: "1",
          isSystem: false,
          path: "",
          sharding: "",
          replicationFactor: 1,
          writeConcern: 1,
        },
      });
    } else if (match[3] !== undefined && request.method === "GET") {
      const collection = decodeURIComponent(match[3]);
      if (!collections.has(collection)) arangoError(response, 404, 1203, "collection or view not found");
      else
        sendJson(response, 200, {
          error: false,
          code: 200,
          id: "2",
          name: collection,
          status: 3,
          type: 2,
          isSystem: false,
        });
    } else if (match[2] === "cursor" && request.method === "POST") {
      const body = JSON.parse(request.body || "{}") as { query?: string; count?: boolean };
      const result = this.queries.get(body.query ?? "");
      if (result === undefined) {
        arangoError(
          response,
          400,
          1501,
          `AQL: syntax error, unexpected identifier near '${body.query ?? ""}' at position 1:1 (while parsing)`,
        );
        return;
      }
      sendJson(response, 201, {
        result,
        hasMore: false,
        ...(body.count ? { count: result.length } : {}),
        cached: false,
        extra: { warnings: [], stats: {} },
        error: false,
        code: 201,
      });
    } else {
      arangoError(response, 405, 405, "method not supported");
    }
  }
}
