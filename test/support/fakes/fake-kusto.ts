/**
 * fake-kusto: a loopback fake (HTTPS) of Azure Data Explorer's documented REST API, as the Kusto
 * client libraries call it:
 *
 * - `GET /v1/rest/auth/metadata`: the cluster's cloud information (`{"AzureAD": {LoginEndpoint,
 *   KustoServiceResourceId, …}}`), from which a client takes the token scope
 *   (`<KustoServiceResourceId>/.default`);
 * - `POST /v2/rest/query` with `{db, csl, properties}` and `Authorization: Bearer …`: the v2
 *   frames (DataSetHeader, the QueryProperties, PrimaryResult and QueryCompletionInformation
 *   tables, DataSetCompletion). A query's result is what the test registered for its text;
 *   another text is a semantic error (400), an unknown database 400 `BadRequest_EntityNotFound`,
 *   a missing or unknown token 401 — each with the service's `{"error": {code, message,
 *   "@type", "@message"}}` body.
 */
import { sendJson, serveLoopback, type LoopbackServer } from "./loopback.ts";

export interface FakeKustoResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
}

export interface FakeKusto extends LoopbackServer {
  bearerTokens: Set<string>;
  /** The scope clients ask tokens for: `${origin}/.default`. */
  readonly scope: string;
  setResult(database: string, query: string, result: FakeKustoResult): void;
}

function kustoError(code: string, message: string, type: string, detail: string) {
  return { error: { code, message, "@type": type, "@message": detail, "@permanent": true } };
}

export async function startFakeKusto(): Promise<FakeKusto> {
  const bearerTokens = new Set<string>();
  const databases = new Map<string, Map<string, FakeKustoResult>>();
  let origin = "";
  const server = await serveLoopback(
    (request, response) => {
      if (request.method === "GET" && request.path === "/v1/rest/auth/metadata") {
        return sendJson(response, 200, {
          AzureAD: {
            LoginEndpoint: "https://login.microsoftonline.com",
            LoginMfaRequired: false,
            KustoClientAppId: "db662dc1-0cfe-4e1c-a843-19a68e65be58",
            KustoClientRedirectUri: "https://microsoft/kustoclient",
            KustoServiceResourceId: origin,
            FirstPartyAuthorityUrl: "https://login.microsoftonline.com/f8cdef31-a31e-4b4a-93e4-5f571e91255a",
          },
          dSTS: null,
        });
      }
      if (request.method !== "POST" || request.path !== "/v2/rest/query") {
        return sendJson(
          response,
          404,
          kustoError("NotFound", "Not found", "NotFound", `${request.method} ${request.path}`),
        );
      }
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? "")?.[1];
      if (token === undefined || !bearerTokens.has(token)) {
        return sendJson(
          response,
          401,
          kustoError(
            "Unauthorized",
            "The user or application is not authorized to access this cluster.",
            "Kusto.DataNode.Exceptions.UnauthorizedDatabaseAccessException",
            "Principal is not authorized to access the cluster.",
          ),
        );
      }
      let body: { db?: string; csl?: string };
      try {
        body = JSON.parse(request.body) as typeof body;
      } catch {
        return sendJson(
          response,
          400,
          kustoError("BadRequest", "Request is invalid", "BadRequest", "The body is not JSON"),
        );
      }
      const database = databases.get(body.db ?? "");
      if (database === undefined) {
        return sendJson(
          response,
          400,
          kustoError(
            "BadRequest_EntityNotFound",
            "Request is invalid and cannot be executed.",
            "Kusto.Data.Exceptions.EntityNotFoundException",
            `'database' was not found: ${body.db}`,
          ),
        );
      }
      const result = database.get((body.csl ?? "").trim());
      if (result === undefined) {
        return sendJson(
          response,
          400,
          kustoError(
            "General_BadRequest",
            "Request is invalid and cannot be executed.",
            "Kusto.Data.Exceptions.SyntaxException",
            "Semantic error: the query cannot be parsed",
          ),
        );
      }
      sendJson(response, 200, [
        { FrameType: "DataSetHeader", IsProgressive: false, Version: "v2.0" },
        {
          FrameType: "DataTable",
          TableId: 0,
          TableName: "@ExtendedProperties",
          TableKind: "QueryProperties",
          Columns: [
            { ColumnName: "TableId", ColumnType: "int" },
            { ColumnName: "Key", ColumnType: "string" },
            { ColumnName: "Value", ColumnType: "dynamic" },
          ],
          Rows: [],
        },
        {
          FrameType: "DataTable",
          TableId: 1,
          TableName: "PrimaryResult",
          TableKind: "PrimaryResult",
          Columns: result.columns.map((column) => ({ ColumnName: column.name, ColumnType: column.type })),
          Rows: result.rows,
        },
        {
          FrameType: "DataTable",
          TableId: 2,
          TableName: "QueryCompletionInformation",
          TableKind: "QueryCompletionInformation",
          Columns: [
            { ColumnName: "Timestamp", ColumnType: "datetime" },
            { ColumnName: "ClientRequestId", ColumnType: "string" },
            { ColumnName: "Level", ColumnType: "int" },
            { ColumnName: "Payload", ColumnType: "string" },
          ],
          Rows: [
            [new Date().toISOString(), String(request.headers["x-ms-client-request-id"] ?? ""), 4, "{}"],
          ],
        },
        { FrameType: "DataSetCompletion", HasErrors: false, Cancelled: false },
      ]);
    },
    { tls: true },
  );
  origin = server.origin;
  return Object.assign(server, {
    bearerTokens,
    scope: `${origin}/.default`,
    setResult(database: string, query: string, result: FakeKustoResult) {
      const ofDatabase = databases.get(database) ?? new Map<string, FakeKustoResult>();
      ofDatabase.set(query, result);
      databases.set(database, ofDatabase);
    },
  });
}
