import { connect } from "node:net";
import { setTimeout as delay } from "node:timers/promises";

/** How often a starting worker's port is tried. */
const TCP_PROBE_INTERVAL_MS = 100;

function accepts(port: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port, signal, timeout: 1_000 });
    const settle = (accepted: boolean) => {
      socket.destroy();
      resolve(accepted);
    };
    socket.once("connect", () => settle(true));
    socket.once("timeout", () => settle(false));
    socket.once("error", () => settle(false));
  });
}

/**
 * Resolves true once 127.0.0.1:`port` accepts a connection, trying every 100 ms; resolves false
 * when `signal` aborts first.
 */
export async function waitUntilAccepting(port: number, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    if (await accepts(port, signal)) return !signal.aborted;
    await delay(TCP_PROBE_INTERVAL_MS, undefined, { signal }).catch(() => {});
  }
  return false;
}
