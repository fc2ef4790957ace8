/**
 * fake-eventhubs: a loopback fake of Azure Event Hubs' AMQP 1.0 management plane, the documented
 * request/response exchanges `EventHubProducerClient` makes, served with the `rhea` AMQP library:
 *
 * - SASL ANONYMOUS, then claims-based security on the `$cbs` node: a `put-token` request carrying
 *   a `SharedAccessSignature sr=&sig=&se=&skn=` token, checked against the namespace's key
 *   (HMAC-SHA256 of `<sr>\n<se>`); 202 Accepted, or 401 with the service's description.
 * - The `$management` node: `READ` of type `com.microsoft:eventhub` answers `name`, `created_at`,
 *   `partition_count`, `partition_ids`; `READ` of type `com.microsoft:partition` answers `name`,
 *   `partition`, `begin_sequence_number`, `last_enqueued_sequence_number`, `last_enqueued_offset`,
 *   `last_enqueued_time_utc`, `is_partition_empty`. An unknown hub or partition is 404
 *   (`com.microsoft:entity-not-found`). Responses carry `status-code`, `status-description` and
 *   the request's `message_id` as `correlation_id`, on the link the request's `reply_to` names.
 *
 * It speaks plain TCP, as the SDK does for a connection string with `UseDevelopmentEmulator=true`
 * (the Event Hubs emulator's setting); the real service's TLS on 5671 is the only difference on
 * the wire. The test sets each partition's sequence numbers; no events are stored.
 */
import { createHmac } from "node:crypto";
import type { AddressInfo, Server, Socket } from "node:net";
import { create_container, types, type Message, type Sender } from "rhea";

export interface PartitionState {
  /** -1 with `last` -1 for a partition that never held an event. */
  beginningSequenceNumber: number;
  lastEnqueuedSequenceNumber: number;
}

export interface FakeEventHubs {
  /** `127.0.0.1:<port>`. */
  readonly host: string;
  readonly key: string;
  /** A connection string for `hub` (UseDevelopmentEmulator=true: plain TCP on the fake's port). */
  connectionString(options?: { hub?: string; key?: string; entityPath?: boolean }): string;
  /** Creates or replaces a hub with these partitions ("0", "1", … in order). */
  setHub(name: string, partitions: PartitionState[]): void;
  setPartition(hub: string, partition: string, state: PartitionState): void;
  /** Management requests served: operation type and status code. */
  readonly requests: { type: string; name: string; status: number }[];
  close(): Promise<void>;
}

const KEY_NAME = "RootManageSharedAccessKey";

function sasProblem(token: string, key: string, keyName: string): string | undefined {
  if (!token.startsWith("SharedAccessSignature "))
    return "InvalidSignature: the token is not a shared access signature.";
  const fields = new Map<string, string>();
  for (const part of token.slice("SharedAccessSignature ".length).split("&")) {
    const separator = part.indexOf("=");
    if (separator > 0) fields.set(part.slice(0, separator), part.slice(separator + 1));
  }
  const [sr, sig, se, skn] = ["sr", "sig", "se", "skn"].map((name) => fields.get(name));
  if (!sr || !sig || !se || !skn) return "InvalidSignature: the token lacks sr, sig, se or skn.";
  if (skn !== keyName) return `InvalidSignature: The key name '${skn}' is not known in this namespace.`;
  if (Number(se) * 1000 < Date.now()) return "ExpiredToken: The token is expired.";
  const expected = createHmac("sha256", key).update(`${sr}\n${se}`).digest("base64");
  if (decodeURIComponent(sig) !== expected) return "InvalidSignature: The token has an invalid signature.";
  return undefined;
}

export async function startFakeEventHubs(options: { key?: string } = {}): Promise<FakeEventHubs> {
  const key = options.key ?? "ZXZlbnRodWJzLWZha2Uta2V5LTEyMzQ1Njc4OQ==";
  const hubs = new Map<string, Map<string, PartitionState>>();
  const requests: FakeEventHubs["requests"] = [];
  const container = create_container({ id: "fake-eventhubs" });
  container.sasl_server_mechanisms.enable_anonymous();
  /** Per connection: reply links by the address (and name) the client's receiver gave. */
  const replyLinks = new WeakMap<object, Map<string, Sender>>();
  /** Connections whose put-token was accepted. */
  const authorized = new WeakSet<object>();

  container.on("sender_open", (context) => {
    const sender = context.sender as Sender;
    const links = replyLinks.get(context.connection) ?? new Map<string, Sender>();
    replyLinks.set(context.connection, links);
    const target = (sender as unknown as { target?: { address?: string } }).target?.address;
    if (target) links.set(target, sender);
    links.set(sender.name, sender);
    sender.set_source({
      address: (sender as unknown as { source?: { address?: string } }).source?.address ?? "",
    });
  });
  container.on("receiver_open", (context) => {
    const address = (context.receiver as unknown as { target?: { address?: string } }).target?.address;
    context.receiver?.set_target({ address: address ?? "" });
  });

  container.on("message", (context) => {
    const request = context.message as Message;
    const address = (context.receiver as unknown as { target?: { address?: string } }).target?.address ?? "";
    const properties = (request.application_properties ?? {}) as Record<string, unknown>;
    const reply = (status: number, description: string, body?: unknown) => {
      const link = replyLinks.get(context.connection)?.get(String(request.reply_to));
      link?.send({
        correlation_id: request.message_id,
        application_properties: { "status-code": status, "status-description": description },
        body: body ?? null,
      } as Message);
    };
    if (address === "$cbs") {
      const problem = sasProblem(String(request.body ?? ""), key, KEY_NAME);
      if (problem) return reply(401, problem);
      authorized.add(context.connection);
      return reply(202, "Accepted");
    }
    if (address !== "$management") return reply(404, `The messaging entity '${address}' could not be found.`);
    const type = String(properties.type ?? "");
    const name = String(properties.name ?? "");
    const answer = (status: number, description: string, body?: unknown) => {
      requests.push({ type, name, status });
      reply(status, description, body);
    };
    const token = properties.security_token;
    const problem =
      typeof token === "string" ? sasProblem(token, key, KEY_NAME) : "Unauthorized: no security_token.";
    if (problem || !authorized.has(context.connection)) return answer(401, problem ?? "Unauthorized");
    const hub = hubs.get(name);
    if (hub === undefined) {
      return answer(404, `The messaging entity 'sb://fake/${name}' could not be found. TrackingId:fake`);
    }
    if (type === "com.microsoft:eventhub") {
      return answer(200, "OK", {
        name,
        created_at: new Date("2026-01-01T00:00:00Z"),
        partition_count: hub.size,
        partition_ids: [...hub.keys()],
      });
    }
    if (type === "com.microsoft:partition") {
      const partition = String(properties.partition ?? "");
      const state = hub.get(partition);
      if (state === undefined) return answer(404, `The partition '${partition}' could not be found.`);
      return answer(200, "OK", {
        name,
        partition,
        begin_sequence_number: types.wrap_long(state.beginningSequenceNumber),
        last_enqueued_sequence_number: types.wrap_long(state.lastEnqueuedSequenceNumber),
        last_enqueued_offset: String(Math.max(state.lastEnqueuedSequenceNumber, 0) * 100),
        last_enqueued_time_utc: new Date("2026-01-01T00:00:00Z"),
        is_partition_empty: state.lastEnqueuedSequenceNumber < state.beginningSequenceNumber,
      });
    }
    return answer(400, `Unknown type ${type}`);
  });

  const server = container.listen({ port: 0, host: "127.0.0.1" }) as unknown as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", reject);
  });
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });

  return {
    host,
    key,
    connectionString: (override = {}) =>
      `Endpoint=sb://${host};SharedAccessKeyName=${KEY_NAME};SharedAccessKey=${override.key ?? key};UseDevelopmentEmulator=true` +
      (override.entityPath === false ? "" : `;EntityPath=${override.hub ?? "hub"}`),
    setHub: (name, partitions) =>
      void hubs.set(name, new Map(partitions.map((state, index) => [String(index), state]))),
    setPartition: (hub, partition, state) => {
      const partitions = hubs.get(hub) ?? new Map<string, PartitionState>();
      partitions.set(partition, state);
      hubs.set(hub, partitions);
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
