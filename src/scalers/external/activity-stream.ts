import type * as grpc from "@grpc/grpc-js";
import type { IsActiveResponse } from "./client.ts";
import { rpcError } from "./client.ts";

/** KEDA's reconnect backoff for StreamIsActive: 2 s, doubling up to a minute. */
export const STREAM_RETRY_INITIAL_MS = 2_000;
export const STREAM_RETRY_MAX_MS = 60_000;

export function nextRetryDelayMs(delayMs: number): number {
  return Math.min(delayMs * 2, STREAM_RETRY_MAX_MS);
}

/**
 * Keeps a StreamIsActive call open: `wake` on every `true` (a `false` changes nothing, as in KEDA:
 * deactivation goes through polling), `onError` on each failure, and a reconnect after a backoff
 * that starts again from 2 s once a stream has delivered messages or ended cleanly. Returns the
 * function that stops it.
 */
export function watchActivityStream(
  address: string,
  open: () => Promise<grpc.ClientReadableStream<IsActiveResponse>>,
  wake: () => void,
  onError: (error: Error) => void,
): () => void {
  let stopped = false;
  let stream: grpc.ClientReadableStream<IsActiveResponse> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let delayMs = STREAM_RETRY_INITIAL_MS;

  const retry = (healthy: boolean) => {
    if (stopped) return;
    if (healthy) delayMs = STREAM_RETRY_INITIAL_MS;
    timer = setTimeout(connect, delayMs);
    delayMs = nextRetryDelayMs(delayMs);
  };

  async function connect() {
    let current: grpc.ClientReadableStream<IsActiveResponse>;
    try {
      current = await open();
    } catch (error) {
      if (!stopped) onError(error as Error);
      retry(false);
      return;
    }
    if (stopped) {
      current.cancel();
      return;
    }
    stream = current;
    let received = false;
    let finished = false;
    const finish = (healthy: boolean) => {
      if (finished) return;
      finished = true;
      retry(healthy);
    };
    current.on("data", (response: IsActiveResponse) => {
      received = true;
      if (response.result) wake();
    });
    current.on("error", (error: grpc.ServiceError) => {
      if (stopped) return;
      onError(rpcError("StreamIsActive", address, error));
      finish(received);
    });
    current.on("end", () => finish(true));
  }

  void connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
    stream?.cancel();
  };
}
