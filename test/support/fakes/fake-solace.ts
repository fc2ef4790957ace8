/**
 * fake-solace: a loopback fake of the two management interfaces of a Solace PubSub+ broker that
 * KEDA's Solace scalers read, with HTTP Basic authentication.
 *
 * SEMP v2 monitor (`GET /SEMP/v2/monitor/msgVpns/{vpn}` and `…/queues/{queue}`, `select` honoured):
 * `{"data":…,"collections":{"msgs":{"count":N}},"meta":{"responseCode":200,…}}`, and errors as
 * `meta.error` (`UNAUTHORIZED` 401, `NOT_FOUND` 400) with the same `responseCode`.
 *
 * SEMP v1 (`POST /SEMP` with an `<rpc>` XML body): `<show><client><name>pattern</name>…` with
 * `<stats/>` (and `<queues/>`) answered as an `<rpc-reply>` listing the matching clients under
 * `primary-virtual-router`, each with its message VPN, egress rates and D-1 client queue.
 */
import type { ServerResponse } from "node:http";
import { basicCredentials, LoopbackFake, type LoopbackRequest, sendJson, sendText } from "./loopback.ts";

export interface SolaceQueue {
  msgs: number;
  /** Bytes. */
  msgSpoolUsage: number;
  averageRxMsgRate: number;
}

export interface DirectClient {
  name: string;
  vpn: string;
  egressRate: number;
  averageEgressRate: number;
  egressByteRate: number;
  averageEgressByteRate: number;
  /** The D-1 client queue: queued messages and units of work. */
  queuedMessages: number;
  queuedWork: number;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
  );
}

export class FakeSolace extends LoopbackFake {
  readonly users = new Map<string, string>();
  readonly vpns = new Map<string, { state: string; queues: Map<string, SolaceQueue> }>();
  readonly clients: DirectClient[] = [];
  static start(options: { tls?: boolean } = {}): Promise<FakeSolace> {
    return new FakeSolace().listen(options);
  }

  setQueue(vpn: string, queue: string, counters: SolaceQueue): void {
    let entry = this.vpns.get(vpn);
    if (!entry) {
      entry = { state: "up", queues: new Map() };
      this.vpns.set(vpn, entry);
    }
    entry.queues.set(queue, counters);
  }

  handle(request: LoopbackRequest, response: ServerResponse): void {
    const credentials = basicCredentials(request.headers);
    const authorized =
      credentials !== undefined && this.users.get(credentials.username) === credentials.password;
    if (request.path === "/SEMP") {
      if (!authorized) {
        sendText(response, 401, "<html><body><h1>401 Unauthorized</h1></body></html>", "text/html", {
          "WWW-Authenticate": 'Basic realm="Solace SEMP"',
        });
        return;
      }
      this.#sempV1(request, response);
      return;
    }
    const meta = { request: { method: request.method, uri: `${this.url}${request.path}` } };
    if (!authorized) {
      sendJson(response, 401, {
        meta: {
          ...meta,
          error: { code: 8, description: "Unauthorized", status: "UNAUTHORIZED" },
          responseCode: 401,
        },
      });
      return;
    }
    const match = /^\/SEMP\/v2\/monitor\/msgVpns\/([^/]+)(?:\/queues\/([^/]+))?$/.exec(request.path);
    if (!match || request.method !== "GET") {
      sendJson(response, 404, {
        meta: {
          ...meta,
          error: { code: 1, description: "Not Found", status: "NOT_FOUND" },
          responseCode: 404,
        },
      });
      return;
    }
    const vpnName = decodeURIComponent(match[1] ?? "");
    const vpn = this.vpns.get(vpnName);
    const notFound = (description: string) =>
      sendJson(response, 400, {
        meta: { ...meta, error: { code: 6, description, status: "NOT_FOUND" }, responseCode: 400 },
      });
    if (!vpn) {
      notFound(`Could not find match for msgVpnName "${vpnName}"`);
      return;
    }
    const select = new Set((request.query.get("select") ?? "").split(",").filter((field) => field !== ""));
    const pick = (data: Record<string, unknown>) =>
      select.size === 0 ? data : Object.fromEntries(Object.entries(data).filter(([key]) => select.has(key)));
    if (match[2] === undefined) {
      sendJson(response, 200, {
        data: pick({ msgVpnName: vpnName, state: vpn.state }),
        links: {},
        meta: { ...meta, responseCode: 200 },
      });
      return;
    }
    const queueName = decodeURIComponent(match[2]);
    const queue = vpn.queues.get(queueName);
    if (!queue) {
      notFound(`Could not find match for queueName "${queueName}"`);
      return;
    }
    sendJson(response, 200, {
      collections: select.size === 0 || select.has("msgs") ? { msgs: { count: queue.msgs } } : {},
      data: pick({
        msgVpnName: vpnName,
        queueName,
        msgSpoolUsage: queue.msgSpoolUsage,
        averageRxMsgRate: queue.averageRxMsgRate,
      }),
      links: {},
      meta: { ...meta, responseCode: 200 },
    });
  }

  #sempV1(request: LoopbackRequest, response: ServerResponse): void {
    const pattern =
      /<rpc>\s*<show>\s*<client>\s*<name>([^<]*)<\/name>([\s\S]*)<\/client>\s*<\/show>\s*<\/rpc>/.exec(
        request.body,
      );
    if (request.method !== "POST" || !pattern) {
      sendText(
        response,
        200,
        '<rpc-reply semp-version="soltr/10_4"><parse-error>syntax error in the request</parse-error><execute-result code="fail" reason="parse error"/></rpc-reply>',
        "text/xml",
      );
      return;
    }
    const withQueues = /<queues\s*\/?>/.test(pattern[2] ?? "");
    const names = globToRegExp(pattern[1] ?? "*");
    const clients = this.clients
      .filter((client) => names.test(client.name))
      .map((client) => {
        const stats =
          `<stats><current-egress-rate-per-second>${client.egressRate}</current-egress-rate-per-second>` +
          `<average-egress-rate-per-minute>${client.averageEgressRate}</average-egress-rate-per-minute>` +
          `<current-egress-byte-rate-per-second>${client.egressByteRate}</current-egress-byte-rate-per-second>` +
          `<average-egress-byte-rate-per-minute>${client.averageEgressByteRate}</average-egress-byte-rate-per-minute></stats>`;
        const queues = withQueues
          ? ["D-1", "D-2", "D-3"]
              .map(
                (priority) =>
                  `<client-queue><queue-priority>${priority}</queue-priority>` +
                  `<length-msgs>${priority === "D-1" ? client.queuedMessages : 0}</length-msgs>` +
                  `<length-work>${priority === "D-1" ? client.queuedWork : 0}</length-work>` +
                  `<high-water-mark-work>0</high-water-mark-work><max-work>20000</max-work>` +
                  `<discards-msgs>0</discards-msgs><delivered-msgs>0</delivered-msgs></client-queue>`,
              )
              .join("")
          : "";
        return (
          `<client><client-address>127.0.0.1:55555</client-address><name>${escapeXml(client.name)}</name>` +
          `<message-vpn>${escapeXml(client.vpn)}</message-vpn><slow-subscriber>false</slow-subscriber>` +
          `<client-username>default</client-username>${stats}${queues}</client>`
        );
      })
      .join("");
    sendText(
      response,
      200,
      `<rpc-reply semp-version="soltr/10_4"><rpc><show><client><primary-virtual-router>${clients}</primary-virtual-router></client></show></rpc><execute-result code="ok"/></rpc-reply>`,
      "text/xml",
    );
  }
}
