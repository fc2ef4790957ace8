/**
 * fake-signalflow: a loopback fake of Splunk Observability Cloud's documented SignalFlow WebSocket
 * API (`/v2/signalflow/connect`), the part the splunk-observability scaler speaks: an
 * `authenticate` message with the access token (a wrong one gets an error message and a close
 * with 4401), `execute` of a program on a channel, answered with the `STREAM_START` and
 * `JOB_START` control messages (the latter with the job's handle), then one binary data message
 * per value the program's stream has (20-byte header: version 1, type 5, flags, reserved, channel
 * name in 16 bytes; then timestamp, element count and 17 bytes per element: value type, TSID,
 * value), repeated every `intervalMs` until `stop` with that handle, which ends the channel with
 * `END_OF_CHANNEL`. A program the fake does not know gets an error message with 400.
 */
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

/** One element of a data message: a double (type 2), a long (type 1) or an int (type 3). */
export interface StreamValue {
  value: number;
  type?: 1 | 2 | 3;
}

export interface ReceivedMessage {
  type?: string;
  [key: string]: unknown;
}

export class FakeSignalFlow {
  /** Valid access tokens. */
  readonly tokens = new Set<string>();
  /** Program text → the values each data message of its stream carries. */
  readonly programs = new Map<string, StreamValue[]>();
  /** Every JSON message received, in order. */
  readonly received: ReceivedMessage[] = [];
  /** Paths the connections were opened on. */
  readonly paths: string[] = [];
  intervalMs = 100;
  readonly #server: WebSocketServer;
  #handles = 0;

  private constructor(server: WebSocketServer) {
    this.#server = server;
    server.on("connection", (socket, request) => {
      this.paths.push(request.url ?? "");
      this.#serve(socket);
    });
  }

  static async start(): Promise<FakeSignalFlow> {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0, path: "/v2/signalflow/connect" });
    await new Promise<void>((resolve) => server.once("listening", resolve));
    return new FakeSignalFlow(server);
  }

  /** The stream URL a realm's `wss://stream.<realm>.signalfx.com/v2/signalflow` stands for. */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `ws://127.0.0.1:${port}/v2/signalflow`;
  }

  close(): Promise<void> {
    for (const client of this.#server.clients) client.terminate();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #serve(socket: WebSocket): void {
    let authenticated = false;
    const timers = new Map<string, NodeJS.Timeout>();
    socket.on("close", () => {
      for (const timer of timers.values()) clearInterval(timer);
    });
    socket.on("message", (raw, isBinary) => {
      if (isBinary) return;
      const message = JSON.parse(rawText(raw)) as ReceivedMessage;
      this.received.push(message);
      if (message.type === "authenticate") {
        if (typeof message.token === "string" && this.tokens.has(message.token)) {
          authenticated = true;
          socket.send(JSON.stringify({ type: "authenticated", orgId: "org", userId: "user" }));
        } else {
          socket.send(JSON.stringify({ type: "error", error: 401, message: "Invalid authentication token" }));
          socket.close(4401, "Invalid authentication token");
        }
        return;
      }
      if (!authenticated) {
        socket.close(4401, "Not authenticated");
        return;
      }
      if (message.type === "execute") {
        const channel = String(message.channel);
        const values = this.programs.get(String(message.program));
        if (values === undefined) {
          socket.send(
            JSON.stringify({ type: "error", channel, error: 400, message: "Unable to compile the program" }),
          );
          return;
        }
        const handle = `H${(this.#handles += 1)}`;
        socket.send(
          JSON.stringify({
            type: "control-message",
            channel,
            event: "STREAM_START",
            timestampMs: Date.now(),
          }),
        );
        socket.send(
          JSON.stringify({
            type: "control-message",
            channel,
            event: "JOB_START",
            handle,
            timestampMs: Date.now(),
          }),
        );
        const emit = () => {
          if (values.length > 0) socket.send(dataMessage(channel, Date.now(), values));
        };
        emit();
        timers.set(handle, setInterval(emit, this.intervalMs));
        const ends = () => {
          clearInterval(timers.get(handle));
          timers.delete(handle);
          socket.send(
            JSON.stringify({
              type: "control-message",
              channel,
              event: "END_OF_CHANNEL",
              timestampMs: Date.now(),
            }),
          );
        };
        socket.on("message", (next, binary) => {
          if (binary) return;
          const stop = JSON.parse(rawText(next)) as ReceivedMessage;
          if (stop.type === "stop" && stop.handle === handle && timers.has(handle)) ends();
        });
      }
    });
  }
}

function rawText(raw: unknown): string {
  if (Array.isArray(raw)) return Buffer.concat(raw as Buffer[]).toString("utf8");
  return Buffer.from(raw as ArrayBuffer).toString("utf8");
}

/** A binary data message of SignalFlow's stream format. */
export function dataMessage(channel: string, timestampMs: number, values: readonly StreamValue[]): Buffer {
  const message = Buffer.alloc(20 + 12 + 17 * values.length);
  message[0] = 1;
  message[1] = 5;
  message.write(channel, 4, 16, "utf8");
  message.writeBigInt64BE(BigInt(timestampMs), 20);
  message.writeUInt32BE(values.length, 28);
  values.forEach((entry, index) => {
    const offset = 32 + 17 * index;
    const type = entry.type ?? 2;
    message[offset] = type;
    message.writeBigInt64BE(BigInt(index + 1), offset + 1);
    if (type === 2) message.writeDoubleBE(entry.value, offset + 9);
    else if (type === 1) message.writeBigInt64BE(BigInt(Math.trunc(entry.value)), offset + 9);
    else message.writeInt32BE(Math.trunc(entry.value), offset + 13);
  });
  return message;
}
