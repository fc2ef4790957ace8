/**
 * A SignalFlow computation over the WebSocket API, as signalflow-client-go runs it for KEDA:
 * `authenticate` with the access token, `execute` the program on a channel, collect the values of
 * the binary data messages for the duration, then `stop` the job (by the handle of its JOB_START)
 * and read what is still buffered for up to two seconds. Uses Node's WebSocket client.
 */

const DRAIN_MS = 2000;
let channels = 0;

/**
 * The values of one binary data message (20-byte header, 12-byte data header, 17 bytes per value);
 * undefined for a binary message of another type.
 */
export function dataMessageValues(message: Buffer): { channel: string; values: number[] } | undefined {
  if (message.length <= 20)
    throw new Error(`expected SignalFlow message of at least 21 bytes, got ${message.length} bytes`);
  if (message[1] !== 5) return undefined;
  const flags = message[2] ?? 0;
  const channelBytes = message.subarray(4, 20);
  const end = channelBytes.indexOf(0);
  const channel = channelBytes.subarray(0, end < 0 ? 16 : end).toString("utf8");
  if (flags & 1) throw new Error("compressed SignalFlow data messages are not supported");
  if (flags & 2) throw new Error("cannot handle json binary message");
  const body = message.subarray(20);
  const count = body.readUInt32BE(8);
  const values: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const offset = 12 + 17 * index;
    const type = body[offset];
    const raw = body.subarray(offset + 9, offset + 17);
    if (type === 2) values.push(raw.readDoubleBE(0));
    else throw new Error("could not convert Splunk Observability metric value to float64");
  }
  return { channel, values };
}

export function runSignalFlow(
  url: string,
  token: string,
  program: string,
  durationMs: number,
  signal: AbortSignal,
): Promise<number[]> {
  const channel = `R${(channels += 1)}`;
  return new Promise((resolve, reject) => {
    const values: number[] = [];
    let settled = false;
    let handle: string | undefined;
    let stopTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const socket = new WebSocket(url);
    socket.binaryType = "arraybuffer";
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(stopTimer);
      clearTimeout(drainTimer);
      signal.removeEventListener("abort", onAbort);
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)
        socket.close(1000);
      if (error) reject(error);
      else resolve(values);
    };
    const onAbort = () => finish(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
    signal.addEventListener("abort", onAbort, { once: true });
    const send = (message: unknown) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
    };
    socket.addEventListener("open", () => {
      send({ type: "authenticate", token, userAgent: "tidal" });
      send({
        type: "execute",
        program,
        channel,
        start: 0,
        stop: 0,
        resolution: 0,
        maxDelay: 0,
        immediate: false,
        timezone: "",
      });
      stopTimer = setTimeout(() => {
        if (handle !== undefined) send({ type: "stop", handle, reason: "" });
        drainTimer = setTimeout(() => finish(), DRAIN_MS);
      }, durationMs);
    });
    socket.addEventListener("message", (event: MessageEvent) => {
      try {
        if (typeof event.data !== "string") {
          const data = dataMessageValues(Buffer.from(event.data as ArrayBuffer));
          if (data?.channel === channel) values.push(...data.values);
          return;
        }
        const message = JSON.parse(event.data) as {
          type?: string;
          channel?: string;
          event?: string;
          handle?: string;
          error?: number;
          message?: string;
        };
        if (message.type === "error") {
          finish(
            new Error(
              `could not execute signalflow query: ${message.error ?? ""} ${message.message ?? ""}`
                .replace(/\s+/g, " ")
                .trim(),
            ),
          );
        } else if (message.type === "control-message" && message.channel === channel) {
          if (message.event === "JOB_START") handle = message.handle;
          else if (message.event === "END_OF_CHANNEL" || message.event === "CHANNEL_ABORT") finish();
        }
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.addEventListener("error", () => {
      finish(new Error(`cannot reach ${url}: the WebSocket connection failed`));
    });
    socket.addEventListener("close", (event: CloseEvent) => {
      if (!settled && event.code !== 1000) {
        finish(
          new Error(
            `the SignalFlow connection closed (${event.code}${event.reason ? ` ${event.reason}` : ""})`,
          ),
        );
      } else finish();
    });
  });
}
