/**
 * fake-splunk: a loopback fake of the part of Splunk's documented REST API on the management port
 * that the splunk scaler calls: `POST /servicesNS/{user}/{app}/search/jobs/export` with a
 * form-encoded `search` (here `savedsearch <name>`) and `output_mode=json`, authenticated with
 * Basic credentials or a `Bearer` authentication token. The answer streams one JSON object per
 * result row ({"preview":false,"offset":N,"result":{…}}), fields as strings; errors are
 * `{"messages":[{"type":…,"text":…}]}` with 401 for bad credentials and 400 for a search that
 * fails (an unknown saved search).
 */
import type { ServerResponse } from "node:http";
import {
  authorizationToken,
  basicCredentials,
  LoopbackFake,
  type LoopbackRequest,
  sendJson,
  sendText,
} from "./loopback.ts";

const EXPORT_PATH = /^\/servicesNS\/([^/]+)\/([^/]+)\/search\/jobs\/export$/;

export interface SavedSearch {
  /** The user whose namespace holds it (or "nobody" for a shared one). */
  owner: string;
  app: string;
  /** The result rows the search gives now. */
  rows: Record<string, string>[];
}

export class FakeSplunk extends LoopbackFake {
  readonly users = new Map<string, string>();
  /** Authentication token → the user it belongs to. */
  readonly tokens = new Map<string, string>();
  readonly savedSearches = new Map<string, SavedSearch>();
  static start(options: { tls?: boolean } = {}): Promise<FakeSplunk> {
    return new FakeSplunk().listen(options);
  }

  #user(request: LoopbackRequest): string | undefined {
    const token = authorizationToken(request.headers, "Bearer");
    if (token !== undefined) return this.tokens.get(token);
    const basic = basicCredentials(request.headers);
    if (basic && this.users.get(basic.username) === basic.password) return basic.username;
    return undefined;
  }

  handle(request: LoopbackRequest, response: ServerResponse): void {
    const user = this.#user(request);
    if (user === undefined) {
      sendJson(response, 401, { messages: [{ type: "WARN", text: "call not properly authenticated" }] });
      return;
    }
    const path = decodeURIComponent(request.path);
    const match = EXPORT_PATH.exec(path);
    if (!match) {
      sendJson(response, 404, { messages: [{ type: "ERROR", text: `Not Found: ${path}` }] });
      return;
    }
    if (request.method !== "POST" && request.method !== "GET") {
      sendJson(response, 405, { messages: [{ type: "ERROR", text: "Method Not Allowed" }] });
      return;
    }
    const form = new URLSearchParams(request.body);
    const outputMode = request.query.get("output_mode") ?? form.get("output_mode") ?? "xml";
    const search = form.get("search") ?? request.query.get("search") ?? "";
    const [namespaceUser, app] = [match[1] ?? "", match[2] ?? ""];
    const named = /^savedsearch\s+(.+)$/.exec(search.trim());
    const saved = named?.[1] ? this.savedSearches.get(named[1].trim()) : undefined;
    const visible =
      saved !== undefined &&
      saved.app === app &&
      (saved.owner === "nobody" || saved.owner === namespaceUser) &&
      namespaceUser === user;
    if (!visible) {
      const text = named
        ? `Error in 'savedsearch' command: Unable to find saved search named '${named[1] ?? ""}'.`
        : `Error in search: ${search || "empty search"}`;
      sendJson(response, 400, { messages: [{ type: "FATAL", text }] });
      return;
    }
    if (outputMode !== "json") {
      sendText(response, 200, "<results/>", "text/xml; charset=utf-8");
      return;
    }
    const lines = saved.rows.map((result, offset) =>
      JSON.stringify({
        preview: false,
        offset,
        ...(offset === saved.rows.length - 1 ? { lastrow: true } : {}),
        result,
      }),
    );
    sendText(response, 200, lines.map((line) => `${line}\n`).join(""), "application/json; charset=UTF-8");
  }
}
