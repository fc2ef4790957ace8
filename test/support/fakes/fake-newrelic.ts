/**
 * fake-newrelic: a loopback fake of New Relic's NerdGraph GraphQL endpoint (`POST /graphql`, JSON
 * `{query, variables}`, a user key in the `Api-Key` header) for the query the NRQL client sends:
 * `actor { account(id: $accountId) { nrql(query: $query) { results … } } }`. It answers `data` with
 * `results` (one object per row) and `metadata`, GraphQL `errors` for an account the key may not
 * read or a query it does not know (HTTP 200, as GraphQL does), and 401 for a missing or unknown key.
 */
import type { ServerResponse } from "node:http";
import { LoopbackFake, type LoopbackRequest, sendJson } from "./loopback.ts";

export class FakeNewRelic extends LoopbackFake {
  /** User key → the accounts it may read. */
  readonly keys = new Map<string, Set<number>>();
  /** Account → NRQL → result rows. */
  readonly accounts = new Map<number, Map<string, Record<string, unknown>[]>>();
  static start(options: { tls?: boolean } = {}): Promise<FakeNewRelic> {
    return new FakeNewRelic().listen(options);
  }

  /** The NerdGraph endpoint, for NEW_RELIC_NERDGRAPH_BASE_URL. */
  get graphqlUrl(): string {
    return `${this.url}/graphql`;
  }

  setResults(account: number, nrql: string, rows: Record<string, unknown>[]): void {
    let queries = this.accounts.get(account);
    if (!queries) {
      queries = new Map();
      this.accounts.set(account, queries);
    }
    queries.set(nrql, rows);
  }

  handle(request: LoopbackRequest, response: ServerResponse): void {
    if (request.path !== "/graphql" || request.method !== "POST") {
      sendJson(response, 404, { errors: [{ message: "Not Found" }] });
      return;
    }
    const key = request.headers["api-key"];
    const readable = typeof key === "string" ? this.keys.get(key) : undefined;
    if (readable === undefined) {
      sendJson(response, 401, { errors: [{ message: "Invalid API key" }] });
      return;
    }
    let body: { query?: unknown; variables?: { accountId?: unknown; query?: unknown } };
    try {
      body = JSON.parse(request.body) as typeof body;
    } catch {
      sendJson(response, 400, { errors: [{ message: "Request body is not valid JSON" }] });
      return;
    }
    if (
      typeof body.query !== "string" ||
      !/account\(id:\s*\$accountId\)\s*\{\s*nrql\(query:\s*\$query\)/.test(body.query)
    ) {
      sendJson(response, 200, {
        data: null,
        errors: [{ message: "This fake answers only the NRQL query of actor.account.nrql" }],
      });
      return;
    }
    const accountId = body.variables?.accountId;
    const nrql = body.variables?.query;
    if (typeof accountId !== "number" || !Number.isInteger(accountId) || typeof nrql !== "string") {
      sendJson(response, 200, {
        data: null,
        errors: [{ message: "Variable $accountId of type Int! or $query of type Nrql! was not provided." }],
      });
      return;
    }
    if (!readable.has(accountId) || !this.accounts.has(accountId)) {
      sendJson(response, 200, {
        data: { actor: { account: null } },
        errors: [
          {
            message: "Access denied.",
            path: ["actor", "account"],
            extensions: { errorClass: "FORBIDDEN" },
          },
        ],
      });
      return;
    }
    const rows = this.accounts.get(accountId)?.get(nrql);
    if (rows === undefined) {
      sendJson(response, 200, {
        data: { actor: { account: { nrql: null } } },
        errors: [
          {
            message: `NRQL Syntax Error: Error at line 1 position 1, unexpected '${nrql.split(" ")[0] ?? ""}'`,
            path: ["actor", "account", "nrql"],
            extensions: { errorClass: "INVALID_INPUT" },
          },
        ],
      });
      return;
    }
    sendJson(response, 200, {
      data: {
        actor: {
          account: {
            nrql: {
              currentResults: null,
              otherResult: null,
              previousResults: null,
              results: rows,
              totalResult: null,
              metadata: { eventTypes: [], facets: null, messages: [], timeWindow: null },
            },
          },
        },
      },
    });
  }
}
